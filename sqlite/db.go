// Package sqlite is the Store on an embedded SQLite file, through the
// pure-Go modernc.org/sqlite driver.
//
// SQLite allows one writer at a time. All writes go through a pool of one
// connection whose transactions start with BEGIN IMMEDIATE, so a transaction
// that reads and then writes takes the write lock up front and never fails
// with SQLITE_BUSY half way; reads use a separate pool. The River job queue
// shares the write pool, which lets a store transaction insert a job.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// readPoolSize is the number of read connections. WAL mode lets readers run
// while the writer works, so a few are enough for a 2 to 8 core server.
const readPoolSize = 4

// DB is an open SQLite database: one write connection and a read pool.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
}

// Open opens or creates the database file at path. It does not migrate.
func Open(path string) (*DB, error) {
	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)

	read, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readPoolSize)

	db := &DB{Write: write, Read: read}
	if err := write.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// dsn builds the connection string. synchronous=NORMAL in WAL mode keeps
// every committed transaction across a process crash; a power loss can undo
// the last few commits, which the deployment guide documents.
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

// Close runs PRAGMA optimize, which refreshes the query planner's
// statistics where they have gone stale, and closes both pools.
func (db *DB) Close() error {
	// An optimize failure leaves the old statistics in place, which is harmless.
	_, _ = db.Write.Exec("PRAGMA optimize")
	rerr := db.Read.Close()
	if werr := db.Write.Close(); werr != nil {
		return werr
	}
	return rerr
}

// Migrate applies hiretrack's and River's migrations that have not run yet,
// each in its own transaction.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}

	provider, err := goose.NewProvider(goose.DialectSQLite3, db.Write, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		logger.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path)
	}

	migrator, err := rivermigrate.New(riversqlite.New(db.Write), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("load job queue migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}
	return nil
}
