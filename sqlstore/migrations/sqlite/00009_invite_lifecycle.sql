-- +goose Up
-- starts_at is the optional time before which an invite link cannot be
-- used yet. revoked_at is set when a recruiter revokes a link, which also
-- sets expires_at to that time, so reads show the response as Expired.
ALTER TABLE responses ADD COLUMN starts_at TEXT;
ALTER TABLE responses ADD COLUMN revoked_at TEXT;

-- The open application link of a track: one row per track, whose token a
-- new link replaces. Only the SHA-256 hash of the token is stored, because
-- the API returns the link once and never needs the token again.
-- disabled_at is set by DELETE; starts_at and expires_at bound the window.
CREATE TABLE open_links (
    track_id    INTEGER PRIMARY KEY REFERENCES tracks (id),
    company_id  INTEGER NOT NULL REFERENCES companies (id),
    token_hash  TEXT NOT NULL UNIQUE,
    starts_at   TEXT,
    expires_at  TEXT,
    created_at  TEXT NOT NULL,
    disabled_at TEXT
);

-- The re-issue rate limit counts the recent reinvited events of a response.
CREATE INDEX events_response ON events (response_id, type, created_at);

-- +goose Down
DROP INDEX events_response;
DROP TABLE open_links;
ALTER TABLE responses DROP COLUMN revoked_at;
ALTER TABLE responses DROP COLUMN starts_at;
