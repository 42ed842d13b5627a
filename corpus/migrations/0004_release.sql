-- 0004_release: immutable releases and vendor downloads (issue 6, item 4;
-- reliability.md F-05, S-04, S-09).

-- project_secrets: the key of each project's pseudonymous speaker ids
-- (HMAC-SHA-256 of the user id). Made once, at the project's first release,
-- and never changed: ids stay the same across the project's releases.
CREATE TABLE project_secrets (
	project_id INTEGER PRIMARY KEY REFERENCES projects (id),
	speaker_key BLOB   NOT NULL CHECK (length(speaker_key) = 32),
	created_at INTEGER NOT NULL
);

CREATE TRIGGER project_secrets_no_update BEFORE UPDATE ON project_secrets
BEGIN
	SELECT RAISE(ABORT, 'project_secrets are never changed');
END;

-- releases: a frozen set of accepted clips of one project. A release is
-- written as 'building' with its clips, then its manifest hash is computed
-- and it becomes 'published'; from then on nothing about it may change.
CREATE TABLE releases (
	id              INTEGER PRIMARY KEY,
	project_id      INTEGER NOT NULL REFERENCES projects (id),
	number          INTEGER NOT NULL CHECK (number >= 1), -- 1, 2, … per project
	status          TEXT    NOT NULL CHECK (status IN ('building', 'published')),
	clips           INTEGER NOT NULL DEFAULT 0,
	speakers        INTEGER NOT NULL DEFAULT 0,
	duration_s      REAL    NOT NULL DEFAULT 0,
	consent_version INTEGER NOT NULL, -- the project's, when the release was made
	project_name    TEXT    NOT NULL DEFAULT '', -- frozen for the datasheet
	dialect         TEXT    NOT NULL DEFAULT '',
	manifest_sha256 TEXT    NOT NULL DEFAULT '',
	validation      TEXT    NOT NULL DEFAULT '', -- JSON: the thresholds in force (datasheet)
	created_at      INTEGER NOT NULL,
	published_at    INTEGER,
	UNIQUE (project_id, number)
);

CREATE TRIGGER releases_immutable BEFORE UPDATE ON releases WHEN OLD.status = 'published'
BEGIN
	SELECT RAISE(ABORT, 'a published release is immutable');
END;

CREATE TRIGGER releases_no_delete BEFORE DELETE ON releases WHEN OLD.status = 'published'
BEGIN
	SELECT RAISE(ABORT, 'a published release is immutable');
END;

-- release_clips: each clip of a release with a snapshot of everything its
-- archive says about it, so a later profile edit, transcript fix or status
-- change never alters a published release.
CREATE TABLE release_clips (
	release_id     INTEGER NOT NULL REFERENCES releases (id),
	clip_id        TEXT    NOT NULL REFERENCES clips (id),
	speaker        TEXT    NOT NULL, -- pseudonymous id
	sha256         TEXT    NOT NULL,
	bytes          INTEGER NOT NULL,
	duration_s     REAL    NOT NULL,
	sample_rate    INTEGER NOT NULL,
	channels       INTEGER NOT NULL,
	bits           INTEGER NOT NULL,
	mode           TEXT    NOT NULL,
	noise_band     TEXT    NOT NULL,
	transcript     TEXT    NOT NULL,
	dialect_region TEXT    NOT NULL,
	age_band       TEXT    NOT NULL,
	gender         TEXT    NOT NULL,
	PRIMARY KEY (release_id, clip_id)
) WITHOUT ROWID;

CREATE TRIGGER release_clips_no_update BEFORE UPDATE ON release_clips
BEGIN
	SELECT RAISE(ABORT, 'release_clips are immutable');
END;

CREATE TRIGGER release_clips_frozen BEFORE INSERT ON release_clips
	WHEN (SELECT status FROM releases WHERE id = NEW.release_id) = 'published'
BEGIN
	SELECT RAISE(ABORT, 'a published release is immutable');
END;

CREATE TRIGGER release_clips_no_delete BEFORE DELETE ON release_clips
	WHEN (SELECT status FROM releases WHERE id = OLD.release_id) IS NOT 'building'
BEGIN
	SELECT RAISE(ABORT, 'a published release is immutable');
END;

-- release_archives: an archive built and published under
-- releases/<id>/<format>.tar, with its SHA-256, so a damaged file is never
-- served (F-05).
CREATE TABLE release_archives (
	release_id INTEGER NOT NULL REFERENCES releases (id),
	format     TEXT    NOT NULL,
	sha256     TEXT    NOT NULL,
	bytes      INTEGER NOT NULL,
	built_at   INTEGER NOT NULL,
	PRIMARY KEY (release_id, format)
);

-- release_downloads: who fetched what (append-only log).
CREATE TABLE release_downloads (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	release_id  INTEGER NOT NULL REFERENCES releases (id),
	format      TEXT    NOT NULL,
	token_id    INTEGER REFERENCES tokens (id),
	user_id     INTEGER REFERENCES users (id),
	vendor      TEXT    NOT NULL DEFAULT '',
	range_spec  TEXT    NOT NULL DEFAULT '',
	remote_addr TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX release_downloads_release ON release_downloads (release_id, id);

CREATE TRIGGER release_downloads_no_update BEFORE UPDATE ON release_downloads
BEGIN
	SELECT RAISE(ABORT, 'release_downloads is append-only');
END;

CREATE TRIGGER release_downloads_no_delete BEFORE DELETE ON release_downloads
BEGIN
	SELECT RAISE(ABORT, 'release_downloads is append-only');
END;
