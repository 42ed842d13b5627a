-- 0005_transcription: time-aligned transcription of monologues and dialogues
-- (issue 7): the working draft of each clip and the submitted transcriptions.

-- transcription_drafts: one working draft per clip, shared by everyone who
-- may transcribe it (its speaker, transcribers of its project). Last write
-- wins, but only over the version the writer read: a write naming an older
-- version is refused (409), so a stale tab cannot silently undo newer work.
-- Working state, not history: the row is replaced on every save.
CREATE TABLE transcription_drafts (
	clip_id    TEXT    PRIMARY KEY REFERENCES clips (id),
	version    INTEGER NOT NULL CHECK (version >= 1),
	segments   TEXT    NOT NULL, -- JSON [{start, end, channel, text}]
	cursor     TEXT    NOT NULL DEFAULT '{}', -- JSON {segment, offset}
	updated_by INTEGER NOT NULL REFERENCES users (id),
	updated_at INTEGER NOT NULL
);

-- transcriptions: every submitted transcription, append-only. segments is
-- the time-aligned text; lint the findings (warnings only: a segment with a
-- lint error is refused before it gets here). applied is 1 when the
-- transcription became the clip's transcript in the same transaction (the
-- clip was waiting for review, so the reviewer sees it); 0 when the clip had
-- already been decided and the transcription waits for its own review.
CREATE TABLE transcriptions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	clip_id    TEXT    NOT NULL REFERENCES clips (id),
	author_id  INTEGER NOT NULL REFERENCES users (id),
	decision_id INTEGER REFERENCES decision_events (id),
	segments   TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	lint       TEXT    NOT NULL DEFAULT '[]',
	applied    INTEGER NOT NULL CHECK (applied IN (0, 1)),
	created_at INTEGER NOT NULL
);
CREATE INDEX transcriptions_clip ON transcriptions (clip_id, id);

CREATE TRIGGER transcriptions_no_update BEFORE UPDATE ON transcriptions
BEGIN
	SELECT RAISE(ABORT, 'transcriptions is append-only');
END;

CREATE TRIGGER transcriptions_no_delete BEFORE DELETE ON transcriptions
BEGIN
	SELECT RAISE(ABORT, 'transcriptions is append-only');
END;
