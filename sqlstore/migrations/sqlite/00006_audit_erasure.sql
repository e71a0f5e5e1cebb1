-- +goose Up
-- The audit log: one row per write through the API, per key created or
-- revoked on the command line, and per candidate erasure. key_prefix is
-- empty for the command line. ids is a JSON object of the record ids the
-- action touched, such as {"track_id": 1, "application_id": 4}; detail is a
-- JSON object or NULL. Neither holds personal data.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    key_id     INTEGER REFERENCES api_keys (id),
    key_prefix TEXT NOT NULL DEFAULT '',
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    route      TEXT NOT NULL DEFAULT '',
    status     INTEGER NOT NULL DEFAULT 0,
    ids        TEXT NOT NULL DEFAULT '{}',
    detail     TEXT,
    request_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX audit_events_company ON audit_events (company_id, id);
CREATE INDEX audit_events_company_action ON audit_events (company_id, action, id);

-- When a candidate's personal data was erased; NULL for other candidates.
ALTER TABLE candidates ADD COLUMN erased_at TEXT;

-- +goose Down
ALTER TABLE candidates DROP COLUMN erased_at;
DROP TABLE audit_events;
