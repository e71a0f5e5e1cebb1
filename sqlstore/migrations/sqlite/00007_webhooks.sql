-- +goose Up
-- The company change feed and webhook delivery. Times are fixed-width UTC
-- text, as in the other tables.

-- The last feed seq handed out per company. Each event-writing transaction
-- increments its company's row, which holds the row until commit, so seq
-- values commit in order and a reader of after=N never misses a smaller one.
CREATE TABLE company_event_seqs (
    company_id INTEGER PRIMARY KEY REFERENCES companies (id),
    last_seq   INTEGER NOT NULL
);

-- One row per event of the feed, with the payload that webhooks send. Test
-- events have no seq and never appear in the feed. application_id and
-- candidate_id let an erasure find and blank a candidate's payloads; they
-- have no foreign keys, so that deleting a candidate is not blocked here.
CREATE TABLE feed_events (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    seq            INTEGER,
    event_id       TEXT NOT NULL UNIQUE,
    type           TEXT NOT NULL,
    application_id INTEGER,
    candidate_id   INTEGER,
    payload        TEXT NOT NULL,
    occurred_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX feed_events_seq ON feed_events (company_id, seq);
CREATE INDEX feed_events_candidate ON feed_events (candidate_id);

-- Webhook endpoints. events is a comma-separated list of event types.
-- Secrets are sealed with the server key; the previous one keeps signing
-- until previous_secret_expires_at after a rotation.
CREATE TABLE webhook_endpoints (
    id                         INTEGER PRIMARY KEY,
    company_id                 INTEGER NOT NULL REFERENCES companies (id),
    url                        TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    events                     TEXT NOT NULL,
    enabled                    INTEGER NOT NULL DEFAULT 1,
    disabled_reason            TEXT NOT NULL DEFAULT '',
    disabled_at                TEXT,
    secret_sealed              BLOB NOT NULL,
    previous_secret_sealed     BLOB,
    previous_secret_expires_at TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, id);

-- One row per event to send to one endpoint. status is pending, delivered,
-- failed or skipped. seq copies the event's seq, so the worker can find
-- earlier pending deliveries of the same application without a join.
CREATE TABLE webhook_deliveries (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    endpoint_id    INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    feed_event_id  INTEGER NOT NULL REFERENCES feed_events (id),
    application_id INTEGER,
    seq            INTEGER,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    finished_at    TEXT
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, application_id, status, seq);

-- One row per HTTP attempt of a delivery.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE feed_events;
DROP TABLE company_event_seqs;
