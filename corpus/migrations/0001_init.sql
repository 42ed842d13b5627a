-- 0001_init: the whole schema of the first release.
-- Times are INTEGER unix nanoseconds, UTC. JSON fields are TEXT.

CREATE TABLE projects (
	id                    INTEGER PRIMARY KEY,
	slug                  TEXT    NOT NULL UNIQUE,
	name                  TEXT    NOT NULL,
	dialect               TEXT    NOT NULL,
	modes                 TEXT    NOT NULL DEFAULT 'null',
	band_quota            TEXT    NOT NULL DEFAULT 'null',
	rate_cents_per_minute INTEGER NOT NULL DEFAULT 0,
	currency              TEXT    NOT NULL DEFAULT '',
	consent_text          TEXT    NOT NULL DEFAULT '',
	consent_version       INTEGER NOT NULL DEFAULT 1 CHECK (consent_version >= 1),
	check_config          TEXT    NOT NULL DEFAULT '',
	lint_config           TEXT    NOT NULL DEFAULT '',
	created_at            INTEGER NOT NULL
);

CREATE TABLE users (
	id              INTEGER PRIMARY KEY,
	-- NOCASE folds ASCII only; username_fold (Unicode simple case folding,
	-- computed in Go) makes "É" and "é" collide too.
	username        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	username_fold   TEXT    NOT NULL UNIQUE,
	role            TEXT    NOT NULL CHECK (role IN ('speaker', 'reviewer', 'vendor', 'admin')),
	project_id      INTEGER REFERENCES projects (id), -- NULL for admins
	password_hash   TEXT    NOT NULL DEFAULT '',
	disabled        INTEGER NOT NULL DEFAULT 0,
	dialect_region  TEXT    NOT NULL DEFAULT '',
	age_band        TEXT    NOT NULL DEFAULT '',
	gender          TEXT    NOT NULL DEFAULT '',
	consent_version INTEGER NOT NULL DEFAULT 0,
	consent_at      INTEGER,
	created_at      INTEGER NOT NULL
);
CREATE INDEX users_project_id ON users (project_id);

CREATE TABLE sessions (
	token_hash   BLOB    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	idle_timeout INTEGER NOT NULL DEFAULT 0, -- nanoseconds; 0 = none
	expires_at   INTEGER NOT NULL DEFAULT 0  -- 0 = none
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE tokens (
	id         INTEGER PRIMARY KEY,
	hash       BLOB    NOT NULL UNIQUE,
	vendor     TEXT    NOT NULL,
	project_id INTEGER NOT NULL REFERENCES projects (id),
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);

CREATE TABLE prompts (
	id         INTEGER PRIMARY KEY,
	project_id INTEGER NOT NULL REFERENCES projects (id),
	text       TEXT    NOT NULL,
	romanized  TEXT    NOT NULL DEFAULT '',
	note       TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (project_id, text)
);

CREATE TABLE tasks (
	id         TEXT    PRIMARY KEY,
	project_id INTEGER NOT NULL REFERENCES projects (id),
	speaker_id INTEGER NOT NULL REFERENCES users (id),
	prompt_id  INTEGER REFERENCES prompts (id), -- NULL for monologue, dialogue
	mode       TEXT    NOT NULL,
	noise_band TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX tasks_speaker_created ON tasks (speaker_id, created_at);
CREATE INDEX tasks_prompt_id ON tasks (prompt_id);

CREATE TABLE clips (
	id             TEXT    PRIMARY KEY,
	project_id     INTEGER NOT NULL REFERENCES projects (id),
	speaker_id     INTEGER NOT NULL REFERENCES users (id),
	task_id        TEXT    REFERENCES tasks (id), -- NULL when not from a task
	client_clip_id TEXT    NOT NULL,
	sha256         TEXT    NOT NULL,
	bytes          INTEGER NOT NULL,
	duration_s     REAL    NOT NULL DEFAULT 0,
	sample_rate    INTEGER NOT NULL DEFAULT 0,
	channels       INTEGER NOT NULL DEFAULT 0,
	bits           INTEGER NOT NULL DEFAULT 0,
	mode           TEXT    NOT NULL DEFAULT '',
	noise_band     TEXT    NOT NULL DEFAULT '',
	transcript     TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL CHECK (status IN ('pending_review', 'rejected', 'accepted')),
	receipt        TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	UNIQUE (speaker_id, client_clip_id)
);
CREATE INDEX clips_task_id ON clips (task_id);
CREATE INDEX clips_project_status ON clips (project_id, status);
CREATE INDEX clips_created ON clips (created_at);

-- decision_events is append-only (reliability.md S-21, B0 item 4): every
-- event links to the one before it in one global hash chain.
CREATE TABLE decision_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	clip_id     TEXT    NOT NULL REFERENCES clips (id),
	author_id   INTEGER NOT NULL, -- 0 = the automatic checks, so no foreign key
	from_status TEXT    NOT NULL,
	to_status   TEXT    NOT NULL CHECK (to_status IN ('pending_review', 'rejected', 'accepted')),
	reason      TEXT    NOT NULL,
	note        TEXT    NOT NULL DEFAULT '',
	prev_hash   TEXT    NOT NULL,
	hash        TEXT    NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL
);
CREATE INDEX decision_events_clip_id ON decision_events (clip_id, id);

CREATE TRIGGER decision_events_no_update BEFORE UPDATE ON decision_events
BEGIN
	SELECT RAISE(ABORT, 'decision_events is append-only');
END;

CREATE TRIGGER decision_events_no_delete BEFORE DELETE ON decision_events
BEGIN
	SELECT RAISE(ABORT, 'decision_events is append-only');
END;
