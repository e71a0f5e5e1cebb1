package mattn

import (
	"net/url"
	"testing"

	"github.com/hiretrack/hiretrack/bench/sqlitedrivers/suite"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" database/sql driver (cgo)
)

// dsn builds a connection string with the same settings as sqlstore's, in
// the parameters that mattn/go-sqlite3 reads.
func dsn(path string, write bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "on")
	}
	return "file:" + path + "?" + q.Encode()
}

func BenchmarkMattn(b *testing.B) {
	suite.Run(b, suite.Driver{Name: "sqlite3", DSN: dsn})
}
