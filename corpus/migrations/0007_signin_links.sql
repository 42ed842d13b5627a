-- 0007_signin_links: one-time sign-in links, and each account's first
-- sign-in (issue 10 item 1).
--
-- A link lives here (as the SHA-256 of its token), not in the server's
-- memory, so `dialect user link USERNAME` run on the server issues a link the
-- running `dialect serve` honours. Taking a link deletes its row: it works
-- once. origin says who issued it: 'serve' (printed at start while no admin
-- has ever signed in) or 'cli' (dialect user link).
CREATE TABLE signin_links (
	token_hash BLOB    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	origin     TEXT    NOT NULL CHECK (origin IN ('serve', 'cli')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX signin_links_user_id ON signin_links (user_id);

-- first_signin_at: when the account first signed in (NULL: never). While no
-- admin has one, `dialect serve` prints a one-time admin link at start.
ALTER TABLE users ADD COLUMN first_signin_at INTEGER;

-- A live session is a sign-in that happened: an existing corpus whose admin
-- is signed in right now stops printing links after this migration.
UPDATE users SET first_signin_at = (SELECT MIN(created_at) FROM sessions WHERE sessions.user_id = users.id);
