-- 0002_resumable: long recordings received in chunks over the tus protocol
-- (reliability.md C6). The row is the upload's whole state; its bytes are
-- tmp/<id>.part until the finished upload becomes a clip. upload_offset only
-- moves forward after the bytes before it are fsynced, so it never claims a
-- byte that is not on disk.

CREATE TABLE resumable_uploads (
	id             TEXT    PRIMARY KEY,
	speaker_id     INTEGER NOT NULL REFERENCES users (id),
	task_id        TEXT    NOT NULL REFERENCES tasks (id),
	client_clip_id TEXT    NOT NULL,
	noise_band     TEXT    NOT NULL,
	transcript     TEXT    NOT NULL DEFAULT '',
	upload_length  INTEGER NOT NULL CHECK (upload_length >= 0),
	upload_offset  INTEGER NOT NULL DEFAULT 0 CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
	sha256         TEXT    NOT NULL, -- the whole file's, from the client; checked at finalize
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	clip_id        TEXT    REFERENCES clips (id), -- set once the upload became this clip
	-- The same idempotency key as clips: one take, one upload.
	UNIQUE (speaker_id, client_clip_id)
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
