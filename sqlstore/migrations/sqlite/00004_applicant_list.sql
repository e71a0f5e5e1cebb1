-- +goose Up
-- Columns that the applicant list filters and sorts on, copied onto each
-- application so that one indexed query over applications selects a page.
-- refreshApplicantSummary (sqlite/applicants.go) rewrites them in every
-- transaction that creates an application, moves it, or changes one of its
-- responses.
--   name_key, email_key      the candidate's name and email in lower case
--   score                    the score of the latest response that has one
--   stage_invite_status,     the stored invite_status and expires_at of the
--   stage_invite_expires_at  latest response in the current stage; NULL when
--                            that stage has no response, as terminal stages
ALTER TABLE applications ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN score REAL;
ALTER TABLE applications ADD COLUMN stage_invite_status TEXT;
ALTER TABLE applications ADD COLUMN stage_invite_expires_at TEXT;

-- Sort keys for score that put a missing score last: ascending sorts use
-- score_high, where it is +Inf, and descending sorts use score_low, where it
-- is -Inf. SQLite reads the literal 9e999 as +Inf. Being NOT NULL, they let a
-- cursor resume at (key, id) with plain comparisons.
ALTER TABLE applications ADD COLUMN score_high REAL GENERATED ALWAYS AS (coalesce(score, 9e999)) VIRTUAL;
ALTER TABLE applications ADD COLUMN score_low REAL GENERATED ALWAYS AS (coalesce(score, -9e999)) VIRTUAL;

-- NOTE: SQLite's lower() folds only ASCII letters, so a name with other
-- capitals that existed before this migration sorts and matches by its
-- original case until the next write to its application refreshes name_key
-- with Go's strings.ToLower. Emails already have a lower-cased email_key.
UPDATE applications SET
    name_key = (SELECT lower(c.name) FROM candidates c WHERE c.id = applications.candidate_id),
    email_key = (SELECT c.email_key FROM candidates c WHERE c.id = applications.candidate_id),
    score = (SELECT r.score FROM responses r
        WHERE r.application_id = applications.id AND r.score IS NOT NULL ORDER BY r.id DESC LIMIT 1),
    stage_invite_status = (SELECT r.invite_status FROM responses r
        WHERE r.application_id = applications.id AND r.stage_id = applications.stage_id ORDER BY r.id DESC LIMIT 1),
    stage_invite_expires_at = (SELECT r.expires_at FROM responses r
        WHERE r.application_id = applications.id AND r.stage_id = applications.stage_id ORDER BY r.id DESC LIMIT 1);

-- One index per sort key. Each ends with id, the tiebreaker, so a page in
-- either direction is a range scan from the cursor.
CREATE INDEX applications_track_created ON applications (track_id, created_at, id);
CREATE INDEX applications_track_updated ON applications (track_id, updated_at, id);
CREATE INDEX applications_track_name ON applications (track_id, name_key, id);
CREATE INDEX applications_track_score_high ON applications (track_id, score_high, id);
CREATE INDEX applications_track_score_low ON applications (track_id, score_low, id);

-- +goose Down
DROP INDEX applications_track_score_low;
DROP INDEX applications_track_score_high;
DROP INDEX applications_track_name;
DROP INDEX applications_track_updated;
DROP INDEX applications_track_created;
ALTER TABLE applications DROP COLUMN score_low;
ALTER TABLE applications DROP COLUMN score_high;
ALTER TABLE applications DROP COLUMN stage_invite_expires_at;
ALTER TABLE applications DROP COLUMN stage_invite_status;
ALTER TABLE applications DROP COLUMN score;
ALTER TABLE applications DROP COLUMN email_key;
ALTER TABLE applications DROP COLUMN name_key;
