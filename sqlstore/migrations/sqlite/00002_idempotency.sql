-- +goose Up
-- One row per Idempotency-Key of a company. A row whose completed_at is NULL
-- belongs to a request still running, or to one that crashed; the store
-- treats it as abandoned after a takeover window (sqlite/idempotency.go).
-- response_body holds the response as the HTTP layer passed it, which seals
-- it with the server key because it can contain an invite link.
CREATE TABLE idempotency_keys (
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    content_type  TEXT,
    response_body BLOB,
    created_at    TEXT NOT NULL,
    completed_at  TEXT,
    PRIMARY KEY (company_id, key)
);
-- Claims delete expired rows by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
