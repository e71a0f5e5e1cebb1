-- +goose Up
-- An optional name that tells keys apart in lists, and the scopes of each
-- key as a comma-separated list in the order read, write, admin. Keys that
-- existed before scopes get all three, so they keep working as before.
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,write,admin';

-- The key list of a company.
CREATE INDEX api_keys_company ON api_keys (company_id, id);

-- +goose Down
DROP INDEX api_keys_company;
ALTER TABLE api_keys DROP COLUMN scopes;
ALTER TABLE api_keys DROP COLUMN name;
