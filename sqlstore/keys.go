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
	p := hiretrack.Principal{KeyPrefix: key.Prefix}
	err := s.withTx(ctx, "create api key", func(tx *dialectTx) error {
		now := formatTime(s.now())
		err := tx.QueryRowContext(ctx, `
			INSERT INTO companies (name, created_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET name = excluded.name
			RETURNING id`, companyName, now).Scan(&p.CompanyID)
		if err != nil {
			return fmt.Errorf("upsert company: %w", err)
		}

		err = tx.QueryRowContext(ctx, `
			INSERT INTO api_keys (company_id, prefix, key_hash, created_at)
			VALUES (?, ?, ?, ?) RETURNING id`,
			p.CompanyID, key.Prefix, string(key.Hash), now).Scan(&p.KeyID)
		if err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return nil
	})
	return p, err
}

// Authenticate returns the principal of an active key.
func (s *Store) Authenticate(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.Principal, error) {
	var p hiretrack.Principal
	err := s.read().QueryRowContext(ctx, `
		SELECT id, company_id, prefix FROM api_keys
		WHERE key_hash = ? AND revoked_at IS NULL`, string(hash)).
		Scan(&p.KeyID, &p.CompanyID, &p.KeyPrefix)
	if errors.Is(err, sql.ErrNoRows) {
		return p, hiretrack.Errorf(hiretrack.KindUnauthorized, "unauthorized", "the API key is unknown or revoked")
	}
	if err != nil {
		return p, hiretrack.Internal("authenticate", err)
	}
	return p, nil
}
