package sqlstore

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

func TestDialectOf(t *testing.T) {
	t.Parallel()
	cases := map[string]Dialect{
		"postgres://user@127.0.0.1:5432/hiretrack":   Postgres,
		"postgresql://user@127.0.0.1:5432/hiretrack": Postgres,
		"hiretrack.db":                   SQLite,
		"/var/lib/hiretrack/postgres.db": SQLite,
		"postgres.db":                    SQLite,
	}
	for source, want := range cases {
		require.Equal(t, want, DialectOf(source), "source %q", source)
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, want string
	}{
		{"NoPlaceholders", `SELECT count(*) FROM tracks`, `SELECT count(*) FROM tracks`},
		{"InOrder", `SELECT id FROM a WHERE x = ? AND y IN (?, ?)`, `SELECT id FROM a WHERE x = $1 AND y IN ($2, $3)`},
		{"TenOrMore", `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
		{"InStringLiteral", `SELECT '?' || x FROM a WHERE y = ?`, `SELECT '?' || x FROM a WHERE y = $1`},
		{"InEscapedLiteral", `SELECT 'it''s ?' WHERE y = ?`, `SELECT 'it''s ?' WHERE y = $1`},
		{"InQuotedIdentifier", `SELECT "a?b" FROM t WHERE c = ?`, `SELECT "a?b" FROM t WHERE c = $1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, Postgres.Rebind(c.query))
			require.Equal(t, c.query, SQLite.Rebind(c.query), "SQLite takes ? as it is")
		})
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"40001": true,  // serialization_failure
		"40P01": true,  // deadlock_detected
		"23505": true,  // unique_violation
		"23503": false, // foreign_key_violation
		"P0001": false, // raise_exception
	}
	for code, want := range cases {
		err := fmt.Errorf("update response 1: %w", &pgconn.PgError{Code: code})
		require.Equal(t, want, retryable(err), "code %s", code)
	}
	require.False(t, retryable(fmt.Errorf("commit: %w", fmt.Errorf("database is locked"))))
}
