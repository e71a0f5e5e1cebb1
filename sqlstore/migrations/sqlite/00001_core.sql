-- +goose Up
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000Z), so
-- they sort as strings and read back exactly.

CREATE TABLE companies (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE modules (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    type       TEXT NOT NULL,
    name       TEXT NOT NULL,
    launch_url TEXT NOT NULL DEFAULT '',
    questions  TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX modules_company ON modules (company_id, id);

CREATE TABLE tracks (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX tracks_company ON tracks (company_id, id);

-- Regular stages have positions 1..n; Hired is n+1 and Rejected n+2.
CREATE TABLE stages (
    id                 TEXT PRIMARY KEY,
    track_id           INTEGER NOT NULL REFERENCES tracks (id),
    position           INTEGER NOT NULL,
    name               TEXT NOT NULL,
    type               TEXT NOT NULL,
    module_id          INTEGER REFERENCES modules (id),
    invite_valid_hours INTEGER NOT NULL DEFAULT 168,
    UNIQUE (track_id, position)
);

CREATE TABLE candidates (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (company_id, email_key)
);

CREATE TABLE applications (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    track_id     INTEGER NOT NULL REFERENCES tracks (id),
    candidate_id INTEGER NOT NULL REFERENCES candidates (id),
    stage_id     TEXT NOT NULL REFERENCES stages (id),
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (track_id, candidate_id)
);
CREATE INDEX applications_track ON applications (track_id, id);

CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    application_id INTEGER NOT NULL REFERENCES applications (id),
    stage_id       TEXT NOT NULL REFERENCES stages (id),
    module_id      INTEGER NOT NULL REFERENCES modules (id),
    invite_status  TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    token_sealed   BLOB NOT NULL,
    score          REAL,
    data           TEXT,
    invited_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    opened_at      TEXT,
    started_at     TEXT,
    completed_at   TEXT
);
CREATE INDEX responses_application ON responses (application_id, id);

CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    application_id INTEGER NOT NULL REFERENCES applications (id),
    response_id    INTEGER REFERENCES responses (id),
    stage_id       TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    data           TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX events_application ON events (application_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE responses;
DROP TABLE applications;
DROP TABLE candidates;
DROP TABLE stages;
DROP TABLE tracks;
DROP TABLE modules;
DROP TABLE api_keys;
DROP TABLE companies;
