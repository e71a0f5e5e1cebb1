// Package suite holds the benchmarks that compare Go SQLite drivers under
// hiretrack's use of SQLite: WAL, synchronous=NORMAL, busy_timeout 10000,
// foreign keys on, one write connection whose transactions start with
// BEGIN IMMEDIATE, and a read pool of 4 connections with query_only.
//
// Each driver has its own package (modernc, mattn, ncruces) with a test file
// that registers the driver and calls Run, because mattn and ncruces both
// register the database/sql name "sqlite3" and cannot share a test binary.
package suite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Driver names a database/sql driver and builds its connection strings.
type Driver struct {
	// Name is the name the driver registers with database/sql.
	Name string
	// DSN returns the connection string for the file at path: with
	// BEGIN IMMEDIATE transactions when write is true, query_only otherwise.
	// Both set busy_timeout 10000, WAL, synchronous NORMAL and foreign keys.
	DSN func(path string, write bool) string
}

// readPoolSize matches sqlstore's read pool.
const readPoolSize = 4

// seedApplications is the number of applications each database starts with.
const seedApplications = 1000

// schema is a subset of hiretrack's applications, responses and events
// tables, with the foreign keys between them.
const schema = `
CREATE TABLE applications (
    id           INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL,
    stage_id     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    stage_id       TEXT NOT NULL,
    invite_status  TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    invited_at     TEXT NOT NULL
);
CREATE INDEX responses_application ON responses (application_id);
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    response_id    INTEGER REFERENCES responses (id),
    stage_id       TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    data           TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX events_application ON events (application_id, id);
`

// Queries of the advance transaction, prepared once on the write connection.
const (
	selectApplication = `SELECT stage_id, status FROM applications WHERE id = ?`
	updateApplication = `UPDATE applications SET stage_id = ?, updated_at = ? WHERE id = ?`
	insertResponse    = `INSERT INTO responses (application_id, stage_id, invite_status, token_hash, invited_at) VALUES (?, ?, 'sent', ?, ?)`
	insertEvent       = `INSERT INTO events (application_id, response_id, stage_id, type, actor, data, created_at) VALUES (?, ?, ?, 'advanced', 'bench', '{"from":"a"}', ?)`
)

// store is an open benchmark database with prepared statements.
type store struct {
	write *sql.DB
	read  *sql.DB

	selectApp, updateApp, insertResp, insertEv *sql.Stmt
	readApp                                    *sql.Stmt

	tokens atomic.Int64 // source of unique token_hash values
	busy   atomic.Int64 // SQLITE_BUSY or "database is locked" errors seen
}

// Run runs every benchmark of the suite for driver d.
func Run(b *testing.B, d Driver) {
	for _, goroutines := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("Advance/goroutines=%d", goroutines), func(b *testing.B) {
			benchAdvance(b, d, goroutines)
		})
	}
	b.Run("ReadDuringWrites", func(b *testing.B) { benchReadDuringWrites(b, d) })
	b.Run("BulkInsert", func(b *testing.B) { benchBulkInsert(b, d) })
}

// open creates a database in a temporary directory, creates the schema and
// seeds it with seedApplications applications.
func open(b *testing.B, d Driver) *store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")

	write, err := sql.Open(d.Name, d.DSN(path, true))
	if err != nil {
		b.Fatalf("open the write connection: %v", err)
	}
	write.SetMaxOpenConns(1)
	b.Cleanup(func() { write.Close() })
	if _, err := write.Exec(schema); err != nil {
		b.Fatalf("create the schema: %v", err)
	}
	seed(b, write)

	read, err := sql.Open(d.Name, d.DSN(path, false))
	if err != nil {
		b.Fatalf("open the read pool: %v", err)
	}
	read.SetMaxOpenConns(readPoolSize)
	read.SetMaxIdleConns(readPoolSize)
	b.Cleanup(func() { read.Close() })

	s := &store{write: write, read: read}
	s.selectApp = prepare(b, write, selectApplication)
	s.updateApp = prepare(b, write, updateApplication)
	s.insertResp = prepare(b, write, insertResponse)
	s.insertEv = prepare(b, write, insertEvent)
	s.readApp = prepare(b, read, selectApplication)
	return s
}

// prepare prepares query on db and closes the statement when b ends.
func prepare(b *testing.B, db *sql.DB, query string) *sql.Stmt {
	b.Helper()
	st, err := db.Prepare(query)
	if err != nil {
		b.Fatalf("prepare %q: %v", query, err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// seed inserts seedApplications applications in one transaction.
func seed(b *testing.B, write *sql.DB) {
	b.Helper()
	tx, err := write.Begin()
	if err != nil {
		b.Fatalf("begin the seed transaction: %v", err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := 1; i <= seedApplications; i++ {
		_, err := tx.Exec(`INSERT INTO applications (id, candidate_id, stage_id, status, created_at, updated_at) VALUES (?, ?, 'screen', 'active', ?, ?)`, i, i, now, now)
		if err != nil {
			b.Fatalf("seed application %d: %v", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatalf("commit the seed transaction: %v", err)
	}
}

// advance runs one transaction shaped like hiretrack's advance: read an
// application, update it, insert a response and an event, commit.
func (s *store) advance(ctx context.Context, id int64) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.note(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()

	var stage, status string
	if err := tx.StmtContext(ctx, s.selectApp).QueryRowContext(ctx, id).Scan(&stage, &status); err != nil {
		return s.note(fmt.Errorf("select application %d: %w", id, err))
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	next := "interview"
	if stage == next {
		next = "screen"
	}
	if _, err := tx.StmtContext(ctx, s.updateApp).ExecContext(ctx, next, now, id); err != nil {
		return s.note(fmt.Errorf("update application %d: %w", id, err))
	}
	token := fmt.Sprintf("token-%d", s.tokens.Add(1))
	res, err := tx.StmtContext(ctx, s.insertResp).ExecContext(ctx, id, next, token, now)
	if err != nil {
		return s.note(fmt.Errorf("insert response: %w", err))
	}
	responseID, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("read the response id: %w", err)
	}
	if _, err := tx.StmtContext(ctx, s.insertEv).ExecContext(ctx, id, responseID, next, now); err != nil {
		return s.note(fmt.Errorf("insert event: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return s.note(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// readOne reads one application by primary key from the read pool.
func (s *store) readOne(ctx context.Context, id int64) error {
	var stage, status string
	if err := s.readApp.QueryRowContext(ctx, id).Scan(&stage, &status); err != nil {
		return s.note(fmt.Errorf("read application %d: %w", id, err))
	}
	return nil
}

// note counts err when it is SQLITE_BUSY or "database is locked", and
// returns it.
func (s *store) note(err error) error {
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "busy") || strings.Contains(msg, "database is locked") {
		s.busy.Add(1)
	}
	return err
}

// runWorkers calls op n times in total from the given number of goroutines
// and returns the first error.
func runWorkers(goroutines, n int, op func(i int64) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := op(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// appID spreads operation i over the seeded applications.
func appID(i int64) int64 { return (i*7919)%seedApplications + 1 }

// benchAdvance measures advance transactions from goroutines sharing the
// one write connection.
func benchAdvance(b *testing.B, d Driver, goroutines int) {
	s := open(b, d)
	ctx := context.Background()

	b.ResetTimer()
	start := time.Now()
	err := runWorkers(goroutines, b.N, func(i int64) error { return s.advance(ctx, appID(i)) })
	elapsed := time.Since(start)
	b.StopTimer()

	if err != nil {
		b.Errorf("advance: %v", err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "advances/s")
	reportBusy(b, s)
}

// benchReadDuringWrites measures point reads by primary key from the read
// pool, from readPoolSize goroutines, while one goroutine runs advance
// transactions without pause.
func benchReadDuringWrites(b *testing.B, d Driver) {
	s := open(b, d)
	ctx, cancel := context.WithCancel(context.Background())

	var writes atomic.Int64
	var writeErr error
	var writer sync.WaitGroup
	writer.Go(func() {
		for i := int64(1); ctx.Err() == nil; i++ {
			if err := s.advance(ctx, appID(i)); err != nil {
				if ctx.Err() == nil {
					writeErr = err
				}
				return
			}
			writes.Add(1)
		}
	})

	b.ResetTimer()
	start := time.Now()
	writesBefore := writes.Load()
	err := runWorkers(readPoolSize, b.N, func(i int64) error { return s.readOne(ctx, appID(i)) })
	elapsed := time.Since(start)
	writesDone := writes.Load() - writesBefore
	b.StopTimer()
	cancel()
	writer.Wait()

	if err != nil {
		b.Errorf("read: %v", err)
	}
	if writeErr != nil {
		b.Errorf("advance during reads: %v", writeErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reads/s")
	b.ReportMetric(float64(writesDone)/elapsed.Seconds(), "advances/s")
	reportBusy(b, s)
}

// Sizes of the bulk insert.
const (
	bulkRows   = 100_000
	bulkTxRows = 1_000
)

// benchBulkInsert measures inserting bulkRows events in transactions of
// bulkTxRows through the write connection. Each operation is the whole
// bulk insert into a freshly seeded database.
func benchBulkInsert(b *testing.B, d Driver) {
	var rows int64
	var elapsed time.Duration
	b.StopTimer()
	for range b.N {
		s := open(b, d)
		b.StartTimer()
		start := time.Now()
		if err := s.bulkInsert(); err != nil {
			b.Fatalf("bulk insert: %v", err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		rows += bulkRows
		reportBusy(b, s)
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
}

// bulkInsert inserts bulkRows events in transactions of bulkTxRows.
func (s *store) bulkInsert() error {
	ctx := context.Background()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	insert, err := s.write.PrepareContext(ctx, `INSERT INTO events (application_id, stage_id, type, actor, data, created_at) VALUES (?, 'screen', 'imported', 'bench', '{"source":"bulk"}', ?)`)
	if err != nil {
		return err
	}
	defer insert.Close()

	for done := 0; done < bulkRows; done += bulkTxRows {
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return s.note(fmt.Errorf("begin: %w", err))
		}
		st := tx.StmtContext(ctx, insert)
		for i := done; i < done+bulkTxRows; i++ {
			if _, err := st.ExecContext(ctx, appID(int64(i)), now); err != nil {
				tx.Rollback()
				return s.note(fmt.Errorf("insert event %d: %w", i, err))
			}
		}
		if err := tx.Commit(); err != nil {
			return s.note(fmt.Errorf("commit: %w", err))
		}
	}
	return nil
}

// reportBusy reports the SQLITE_BUSY count as a metric and fails the
// benchmark when it is not zero.
func reportBusy(b *testing.B, s *store) {
	busy := s.busy.Load()
	b.ReportMetric(float64(busy), "busy_errors")
	if busy != 0 {
		b.Errorf("%d SQLITE_BUSY errors; the suite allows none", busy)
	}
}
