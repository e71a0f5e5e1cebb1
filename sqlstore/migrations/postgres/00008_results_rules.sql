-- +goose Up
-- The typed fields of a response's result (max_score, passed, report_url
-- for assessments and automated interviews; rating, decision, notes,
-- reviewer_name for reviews) as a JSON object, and the automation rule that
-- the response's completion fired (auto_advance or auto_reject, NULL when
-- none did).
ALTER TABLE responses ADD COLUMN result TEXT;
ALTER TABLE responses ADD COLUMN rule_fired TEXT;

-- The automation rules of a stage as JSON objects, NULL when unset.
ALTER TABLE stages ADD COLUMN auto_advance TEXT;
ALTER TABLE stages ADD COLUMN auto_reject TEXT;

-- +goose Down
ALTER TABLE stages DROP COLUMN auto_reject;
ALTER TABLE stages DROP COLUMN auto_advance;
ALTER TABLE responses DROP COLUMN rule_fired;
ALTER TABLE responses DROP COLUMN result;
