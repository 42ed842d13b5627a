-- 0003_review: human review with reasons, appeals, and the payment ledger
-- (issue 6; reliability.md B0 items 4-5, S-21, F-03).

-- How many agreeing reviews decide a clip (1 or more; 2 = "two agreeing
-- reviews"). A disagreement waits for further reviews until one outcome has
-- this many votes.
ALTER TABLE projects ADD COLUMN reviews_required INTEGER NOT NULL DEFAULT 1
	CHECK (reviews_required BETWEEN 1 AND 3);

-- reviews: one row per reviewer vote, beside the decision event it made
-- (every vote is an event in decision_events; this row adds what the event
-- has no column for). A reviewer votes on a clip at most once, ever: so an
-- appeal never returns to a reviewer who saw the clip. Append-only.
CREATE TABLE reviews (
	event_id    INTEGER PRIMARY KEY REFERENCES decision_events (id),
	clip_id     TEXT    NOT NULL REFERENCES clips (id),
	reviewer_id INTEGER NOT NULL REFERENCES users (id),
	round       INTEGER NOT NULL CHECK (round >= 0), -- 0 = first review, 1 = after the appeal
	vote        TEXT    NOT NULL CHECK (vote IN ('accept', 'reject')),
	reason      TEXT    NOT NULL,
	marker_ms   INTEGER CHECK (marker_ms IS NULL OR marker_ms >= 0),
	created_at  INTEGER NOT NULL,
	UNIQUE (clip_id, reviewer_id)
);
CREATE INDEX reviews_reviewer ON reviews (reviewer_id);

CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN
	SELECT RAISE(ABORT, 'reviews is append-only');
END;

CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN
	SELECT RAISE(ABORT, 'reviews is append-only');
END;

-- review_claims: who is looking at a clip, until when, so two reviewers are
-- not handed the same clip. Working state, not history: rows come and go.
CREATE TABLE review_claims (
	clip_id     TEXT    PRIMARY KEY REFERENCES clips (id),
	reviewer_id INTEGER NOT NULL REFERENCES users (id),
	expires_at  INTEGER NOT NULL
);
CREATE INDEX review_claims_reviewer ON review_claims (reviewer_id);

-- ledger_entries: what each speaker has earned, append-only and hash-chained
-- (one global chain, like decision_events). An entry is written in the same
-- transaction as the decision event that caused it (decision_id): an earning
-- when a clip becomes accepted, a reversal (the negated earning, reverses =
-- its id) when an accepted clip leaves accepted. Net per clip: one earning
-- if accepted, zero otherwise (B0 item 5).
CREATE TABLE ledger_entries (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	speaker_id            INTEGER NOT NULL REFERENCES users (id),
	project_id            INTEGER NOT NULL REFERENCES projects (id),
	clip_id               TEXT    NOT NULL REFERENCES clips (id),
	decision_id           INTEGER NOT NULL UNIQUE REFERENCES decision_events (id),
	kind                  TEXT    NOT NULL CHECK (kind IN ('earning', 'reversal')),
	reverses              INTEGER UNIQUE REFERENCES ledger_entries (id),
	duration_ms           INTEGER NOT NULL CHECK (duration_ms >= 0),
	rate_cents_per_minute INTEGER NOT NULL,
	amount_cents          INTEGER NOT NULL,
	currency              TEXT    NOT NULL,
	prev_hash             TEXT    NOT NULL,
	hash                  TEXT    NOT NULL UNIQUE,
	created_at            INTEGER NOT NULL,
	CHECK ((kind = 'earning') = (reverses IS NULL))
);
CREATE INDEX ledger_entries_speaker ON ledger_entries (speaker_id, id);
CREATE INDEX ledger_entries_clip ON ledger_entries (clip_id, id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
	SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
	SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
