package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// CreateAPIKey creates the company if needed and stores the key.
func (s *Store) CreateAPIKey(ctx context.Context, companyName string, key hiretrack.NewKey) (hiretrack.Principal, error) {
	if len(key.Scopes) == 0 {
		key.Scopes = hiretrack.AllScopes
	}
	p := hiretrack.Principal{KeyPrefix: key.Prefix, Scopes: key.Scopes}
	err := s.withTx(ctx, "create api key", func(tx *dialectTx) error {
		now := formatTime(s.now())
		err := tx.QueryRowContext(ctx, `
			INSERT INTO companies (name, created_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET name = excluded.name
			RETURNING id`, companyName, now).Scan(&p.CompanyID)
		if err != nil {
			return fmt.Errorf("upsert company: %w", err)
		}

		p.KeyID, err = insertKey(ctx, tx, p.CompanyID, key, now)
		return err
	})
	return p, err
}

// AddAPIKey stores a new key of an existing company.
func (s *Store) AddAPIKey(ctx context.Context, companyID int64, key hiretrack.NewKey) (hiretrack.APIKey, error) {
	if len(key.Scopes) == 0 {
		return hiretrack.APIKey{}, hiretrack.Internal("add api key", errors.New("the key has no scopes"))
	}
	created := s.clock()
	stored := hiretrack.APIKey{Prefix: key.Prefix, Name: key.Name, Scopes: key.Scopes, CreatedAt: created}
	err := s.withTx(ctx, "add api key", func(tx *dialectTx) error {
		var err error
		stored.ID, err = insertKey(ctx, tx, companyID, key, formatTime(created))
		return err
	})
	return stored, err
}

// insertKey inserts one key row and returns its id.
func insertKey(ctx context.Context, tx *dialectTx, companyID int64, key hiretrack.NewKey, now string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO api_keys (company_id, prefix, key_hash, name, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		companyID, key.Prefix, string(key.Hash), key.Name, hiretrack.ScopeList(key.Scopes), now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert api key: %w", err)
	}
	return id, nil
}

// Authenticate returns the principal of an active key.
func (s *Store) Authenticate(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.Principal, error) {
	var p hiretrack.Principal
	var scopes string
	err := s.read().QueryRowContext(ctx, `
		SELECT id, company_id, prefix, scopes FROM api_keys
		WHERE key_hash = ? AND revoked_at IS NULL`, string(hash)).
		Scan(&p.KeyID, &p.CompanyID, &p.KeyPrefix, &scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return p, hiretrack.Errorf(hiretrack.KindUnauthorized, "unauthorized", "the API key is unknown or revoked")
	}
	if err != nil {
		return p, hiretrack.Internal("authenticate", err)
	}

	p.Scopes, err = hiretrack.ParseScopes(scopes)
	if err != nil {
		return p, hiretrack.Internal("authenticate", fmt.Errorf("stored scopes of key %d: %w", p.KeyID, err))
	}
	return p, nil
}

// apiKeyColumns are the columns that scanAPIKey reads, in its order.
const apiKeyColumns = `id, prefix, name, scopes, created_at, revoked_at`

// scanAPIKey reads one row of apiKeyColumns.
func scanAPIKey(row interface{ Scan(...any) error }) (hiretrack.APIKey, error) {
	var k hiretrack.APIKey
	var scopes string
	var revoked nullTime
	if err := row.Scan(&k.ID, &k.Prefix, &k.Name, &scopes, textTime{&k.CreatedAt}, &revoked); err != nil {
		return k, err
	}
	k.RevokedAt = revoked.t

	var err error
	k.Scopes, err = hiretrack.ParseScopes(scopes)
	if err != nil {
		return k, fmt.Errorf("stored scopes of key %d: %w", k.ID, err)
	}
	return k, nil
}

// APIKeys returns the company's keys, oldest first.
func (s *Store) APIKeys(ctx context.Context, companyID int64) ([]hiretrack.APIKey, error) {
	rows, err := s.read().QueryContext(ctx, `
		SELECT `+apiKeyColumns+` FROM api_keys WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, hiretrack.Internal("list api keys", err)
	}
	defer rows.Close()

	var keys []hiretrack.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, hiretrack.Internal("list api keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, hiretrack.Internal("list api keys", err)
	}
	return keys, nil
}

// RevokeAPIKey sets revoked_at on a key of the company that has none yet.
func (s *Store) RevokeAPIKey(ctx context.Context, companyID, keyID int64) (hiretrack.APIKey, error) {
	var k hiretrack.APIKey
	err := s.withTx(ctx, "revoke api key", func(tx *dialectTx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE api_keys SET revoked_at = ?
			WHERE id = ? AND company_id = ? AND revoked_at IS NULL`,
			formatTime(s.clock()), keyID, companyID)
		if err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}

		k, err = scanAPIKey(tx.QueryRowContext(ctx, `
			SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ? AND company_id = ?`, keyID, companyID))
		if errors.Is(err, sql.ErrNoRows) {
			return hiretrack.NotFoundf("API key %d not found", keyID)
		}
		return err
	})
	return k, err
}

// CompanyID returns the id of the named company.
func (s *Store) CompanyID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.read().QueryRowContext(ctx, `SELECT id FROM companies WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, hiretrack.NotFoundf("company %q not found", name)
	}
	if err != nil {
		return 0, hiretrack.Internal("find company", err)
	}
	return id, nil
}
