-- +goose Up
-- The stage an application was rejected from, so unreject can put it back.
ALTER TABLE applications ADD COLUMN rejected_from_stage_id TEXT REFERENCES stages (id);

-- +goose Down
ALTER TABLE applications DROP COLUMN rejected_from_stage_id;
