package sqlstore

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUnavailable reports whether err means that the database cannot be
// reached for now, so that the same request may succeed in a few seconds
// without any change on the client's side. These are:
//
//   - on PostgreSQL, a refused or broken connection, a server that is
//     shutting down or starting (SQLSTATE 57P01, 57P02, 57P03) and the
//     connection exceptions of class 08;
//   - on SQLite, a file that another process kept locked for longer than
//     the busy timeout (SQLITE_BUSY).
//
// Constraint violations, bad SQL and timeouts of the request itself are not
// included: retrying does not fix them, or the client chose the limit.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}

	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	var netErr *net.OpError
	return errors.As(err, &netErr)
}
