-- 0009_review_tabs: a reviewer's tabs each hold their own clip, and the
-- review queue is read from an index (issue 21).
--
-- holder says which of the reviewer's tabs (or sessions) a claim was handed
-- to: asking again from the same tab renews the same clip, while another tab
-- of the same reviewer gets another clip instead of the same one twice.
-- '' is the holder of callers that name none (and of claims made before).
ALTER TABLE review_claims ADD COLUMN holder TEXT NOT NULL DEFAULT '';
DROP INDEX review_claims_reviewer;
CREATE INDEX review_claims_holder ON review_claims (reviewer_id, holder, expires_at);

-- The queue a reviewer is handed from: a project's clips of one status,
-- oldest first. With created_at and id in the index the first clip that
-- qualifies is found without sorting every clip that waits.
DROP INDEX clips_project_status;
CREATE INDEX clips_project_status_created ON clips (project_id, status, created_at, id);
