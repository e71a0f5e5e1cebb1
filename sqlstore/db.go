// Package sqlstore is the Store on an embedded SQLite file, through the
// pure-Go modernc.org/sqlite driver, or on a PostgreSQL database, through
// pgx. One implementation serves both: queries are written with ?
// placeholders and rebound for PostgreSQL (see Dialect).
//
// SQLite allows one writer at a time. All writes go through a pool of one
// connection whose transactions start with BEGIN IMMEDIATE. A transaction
// that reads and then writes thus takes the write lock up front and never
// fails with SQLITE_BUSY half way. Reads use a separate pool.
//
// PostgreSQL runs writers at the same time, in READ COMMITTED transactions
// on one pool. A write transaction that reads a row and then decides on it
// locks that row first (see lockApplication), and withTx retries a
// transaction that lost a race to another.
//
// The River job queue shares the write pool, which lets a store transaction
// insert a job.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// readPoolSize is the number of SQLite read connections. WAL mode lets
// readers run while the writer works, so a few are enough for a 2 to 8 core
// server.
const readPoolSize = 4

// DefaultMaxConns is the default size of the PostgreSQL connection pool.
const DefaultMaxConns = 20

// minMaxConns is the smallest PostgreSQL pool that works: Migrate holds one
// connection for its advisory lock while the migrations run on another.
const minMaxConns = 2

// migrationLockID is the key of the PostgreSQL advisory lock that Migrate
// holds, the ASCII bytes of "hiretrk" read as a number. Any other program
// that takes advisory locks on the same database must not use it.
const migrationLockID int64 = 0x6869726574726b

// DB is an open database. On SQLite, Write is one connection and Read a
// pool of readPoolSize; on PostgreSQL both are the same pool.
type DB struct {
	Write   *sql.DB
	Read    *sql.DB
	Dialect Dialect

	writeStmts *stmtCache // SQLite only: statements prepared on the write connection
	readStmts  *stmtCache // SQLite only: statements prepared on the read pool
}

// Options are the settings of Open.
type Options struct {
	// MaxConns is the maximum number of open PostgreSQL connections, at
	// least 2; 0 means DefaultMaxConns. SQLite ignores it.
	MaxConns int
}

// Open opens the database that source names: a postgres:// or
// postgresql:// URL (see DialectOf), or else the path of a SQLite file,
// which is created when missing. It does not migrate.
func Open(source string, opts Options) (*DB, error) {
	if DialectOf(source) == Postgres {
		return openPostgres(source, opts)
	}
	return openSQLite(source)
}

// openSQLite opens the write connection and the read pool of a SQLite file.
func openSQLite(path string) (*DB, error) {
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

	db := &DB{Write: write, Read: read, Dialect: SQLite, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}
	if err := write.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// openPostgres opens a pool of up to opts.MaxConns connections through pgx.
// Idle connections stay open for five minutes, because opening a
// PostgreSQL connection costs a process fork on the server.
func openPostgres(source string, opts Options) (*DB, error) {
	maxConns := opts.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	if maxConns < minMaxConns {
		return nil, fmt.Errorf("the PostgreSQL pool size is %d; it must be at least %d", maxConns, minMaxConns)
	}

	pool, err := sql.Open("pgx", source)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(source), err)
	}
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)

	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", redact(source), err)
	}
	return &DB{Write: pool, Read: pool, Dialect: Postgres}, nil
}

// redact returns a database URL without its password, for messages and
// logs. A source that is not a URL, such as a file path, is returned as is.
func redact(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.Scheme == "" {
		return source
	}
	return u.Redacted()
}

// Redact returns source as Open accepts it, with the password of a URL
// replaced by xxxxx, so that it can be logged.
func Redact(source string) string { return redact(source) }

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

// Close closes the pools. On SQLite it first runs PRAGMA optimize, which
// refreshes the query planner's statistics where they have gone stale.
func (db *DB) Close() error {
	if db.Dialect == Postgres {
		return db.Write.Close()
	}

	db.writeStmts.close()
	db.readStmts.close()
	// An optimize failure leaves the old statistics in place, which is harmless.
	_, _ = db.Write.Exec("PRAGMA optimize")
	rerr := db.Read.Close()
	if werr := db.Write.Close(); werr != nil {
		return werr
	}
	return rerr
}

// QueueDriver returns the River driver for this database, on the write
// pool, so that a store transaction can insert a job.
func (db *DB) QueueDriver() riverdriver.Driver[*sql.Tx] {
	if db.Dialect == Postgres {
		return riverdatabasesql.New(db.Write)
	}
	return riversqlite.New(db.Write)
}

// Migrate applies hiretrack's and River's migrations that have not run yet,
// each in its own transaction. On PostgreSQL it holds an advisory lock
// meanwhile, so that servers starting together migrate one at a time and
// the later ones find nothing left to apply.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) error {
	if db.Dialect != Postgres {
		return db.migrate(ctx, logger)
	}

	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	migrateErr := db.migrate(ctx, logger)

	// The lock belongs to the connection's session. When the unlock fails,
	// closing the connection would return it to the pool still locked, so
	// it is discarded instead, which ends the session and its lock.
	_, unlockErr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID)
	if unlockErr != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		unlockErr = fmt.Errorf("release the migration lock: %w", unlockErr)
	}
	return errors.Join(migrateErr, unlockErr)
}

// migrate applies the migrations of the dialect and then River's.
func (db *DB) migrate(ctx context.Context, logger *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations/"+db.Dialect.String())
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}

	gooseDialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		gooseDialect = goose.DialectPostgres
	}
	provider, err := goose.NewProvider(gooseDialect, db.Write, fsys, goose.WithDisableGlobalRegistry(true))
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

	migrator, err := rivermigrate.New(db.QueueDriver(), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("load job queue migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}
	return nil
}

// LatestSchemaVersion returns the highest version among the embedded
// migrations of the database's dialect: the schema version this build
// expects once its migrations have run.
func (db *DB) LatestSchemaVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+db.Dialect.String())
	if err != nil {
		return 0, fmt.Errorf("read migrations: %w", err)
	}

	var latest int64
	for _, e := range entries {
		digits, _, _ := strings.Cut(e.Name(), "_")
		version, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migration file %s does not start with a version number", e.Name())
		}
		latest = max(latest, version)
	}
	return latest, nil
}
