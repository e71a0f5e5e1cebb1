package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

func TestIsUnavailable(t *testing.T) {
	t.Parallel()

	t.Run("SQLiteLockedByAnotherProcess", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "locked.db")
		holder, err := sql.Open("sqlite", "file:"+path)
		require.NoError(t, err)
		defer holder.Close()
		_, err = holder.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")
		require.NoError(t, err)
		conn, err := holder.Conn(context.Background())
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
		require.NoError(t, err)

		// A second pool stands for another process; its short busy timeout
		// keeps the test fast.
		waiter, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)")
		require.NoError(t, err)
		defer waiter.Close()
		_, err = waiter.Exec("INSERT INTO t (id) VALUES (1)")

		require.ErrorContains(t, err, "database is locked")
		require.True(t, IsUnavailable(fmt.Errorf("insert: %w", err)))
	})

	t.Run("SQLiteConstraint", func(t *testing.T) {
		t.Parallel()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
		require.NoError(t, err)
		defer db.Close()
		_, err = db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t (id) VALUES (1)")
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO t (id) VALUES (1)")

		require.ErrorContains(t, err, "UNIQUE constraint failed")
		require.False(t, IsUnavailable(err))
	})

	cases := map[string]struct {
		err  error
		want bool
	}{
		"nil":                  {nil, false},
		"no rows":              {sql.ErrNoRows, false},
		"context deadline":     {context.DeadlineExceeded, false},
		"admin shutdown 57P01": {&pgconn.PgError{Code: "57P01"}, true},
		"starting up 57P03":    {&pgconn.PgError{Code: "57P03"}, true},
		"connection 08006":     {&pgconn.PgError{Code: "08006"}, true},
		"unique 23505":         {&pgconn.PgError{Code: "23505"}, false},
		"refused":              {&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, IsUnavailable(fmt.Errorf("wrapped: %w", c.err)))
		})
	}
}
