package ncruces

import (
	"net/url"
	"testing"

	"github.com/hiretrack/hiretrack/bench/sqlitedrivers/suite"
	_ "github.com/ncruces/go-sqlite3/driver" // registers the "sqlite3" database/sql driver and loads the SQLite WASM build
)

// dsn builds a connection string with the same settings as sqlstore's, in
// the parameters that ncruces/go-sqlite3's driver reads.
func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return "file:" + path + "?" + q.Encode()
}

func BenchmarkNcruces(b *testing.B) {
	suite.Run(b, suite.Driver{Name: "sqlite3", DSN: dsn})
}
