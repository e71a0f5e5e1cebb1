package modernc

import (
	"net/url"
	"testing"

	"github.com/hiretrack/hiretrack/bench/sqlitedrivers/suite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// dsn builds the connection string the way sqlstore does.
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

func BenchmarkModernc(b *testing.B) {
	suite.Run(b, suite.Driver{Name: "sqlite", DSN: dsn})
}
