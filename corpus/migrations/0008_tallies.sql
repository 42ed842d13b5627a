-- 0008_tallies: counters that task assignment and the quotas read instead of
-- counting the corpus (issue 21). Each is kept in the transaction that
-- inserts a clip or changes its status (tally.go), and `dialect audit`
-- compares each with a recount (B0).
--
-- duration_ms counts a clip as CAST(MAX(duration_s, 0) * 1000 + 0.5 AS
-- INTEGER), whole milliseconds half up: integers add up exactly, so a
-- counter equals its recount to the millisecond.

-- clip_tallies: a project's clips and their duration per status and per
-- value of each dimension the quotas speak of: the declared noise band, the
-- speaker's dialect region, gender and age band (their profile as it is now:
-- UpdateProfile moves a speaker's clips), and the mode. '' = not given.
CREATE TABLE clip_tallies (
	project_id  INTEGER NOT NULL REFERENCES projects (id),
	dimension   TEXT    NOT NULL CHECK (dimension IN ('band', 'region', 'gender', 'age_band', 'mode')),
	value       TEXT    NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('pending_review', 'rejected', 'accepted')),
	clips       INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	PRIMARY KEY (project_id, dimension, value, status)
) WITHOUT ROWID;

INSERT INTO clip_tallies (project_id, dimension, value, status, clips, duration_ms)
SELECT project_id, 'band', noise_band, status, COUNT(*), SUM(CAST(MAX(duration_s, 0) * 1000 + 0.5 AS INTEGER))
	FROM clips GROUP BY project_id, noise_band, status
UNION ALL
SELECT project_id, 'mode', mode, status, COUNT(*), SUM(CAST(MAX(duration_s, 0) * 1000 + 0.5 AS INTEGER))
	FROM clips GROUP BY project_id, mode, status
UNION ALL
SELECT c.project_id, 'region', u.dialect_region, c.status, COUNT(*), SUM(CAST(MAX(c.duration_s, 0) * 1000 + 0.5 AS INTEGER))
	FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.dialect_region, c.status
UNION ALL
SELECT c.project_id, 'gender', u.gender, c.status, COUNT(*), SUM(CAST(MAX(c.duration_s, 0) * 1000 + 0.5 AS INTEGER))
	FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.gender, c.status
UNION ALL
SELECT c.project_id, 'age_band', u.age_band, c.status, COUNT(*), SUM(CAST(MAX(c.duration_s, 0) * 1000 + 0.5 AS INTEGER))
	FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.age_band, c.status;

-- prompt_tallies: per prompt, the clips not rejected of tasks for it (the
-- "least recorded prompt" of task assignment).
CREATE TABLE prompt_tallies (
	prompt_id INTEGER PRIMARY KEY REFERENCES prompts (id),
	clips     INTEGER NOT NULL
);

INSERT INTO prompt_tallies (prompt_id, clips)
SELECT t.prompt_id, COUNT(*) FROM clips c JOIN tasks t ON t.id = c.task_id
	WHERE t.prompt_id IS NOT NULL AND c.status != 'rejected' GROUP BY t.prompt_id;

-- speaker_prompts: per speaker, (task mode, prompt) and the clips not
-- rejected of such tasks: what the speaker has recorded, so that task
-- assignment offers something new. Read by the speaker's key alone.
CREATE TABLE speaker_prompts (
	speaker_id INTEGER NOT NULL REFERENCES users (id),
	mode       TEXT    NOT NULL,
	prompt_id  INTEGER NOT NULL REFERENCES prompts (id),
	clips      INTEGER NOT NULL,
	PRIMARY KEY (speaker_id, mode, prompt_id)
) WITHOUT ROWID;

INSERT INTO speaker_prompts (speaker_id, mode, prompt_id, clips)
SELECT c.speaker_id, t.mode, t.prompt_id, COUNT(*) FROM clips c JOIN tasks t ON t.id = c.task_id
	WHERE t.prompt_id IS NOT NULL AND c.status != 'rejected' GROUP BY c.speaker_id, t.mode, t.prompt_id;

-- tasks.live_clips: the task's clips not rejected. A task is open (waiting
-- for a take, or a retake after a rejection) while it has none; the
-- partial index holds only open tasks, so a speaker's open task is found
-- without walking every task they ever had.
ALTER TABLE tasks ADD COLUMN live_clips INTEGER NOT NULL DEFAULT 0;
UPDATE tasks SET live_clips = (SELECT COUNT(*) FROM clips c WHERE c.task_id = tasks.id AND c.status != 'rejected');
CREATE INDEX tasks_open ON tasks (speaker_id, created_at) WHERE live_clips = 0;
