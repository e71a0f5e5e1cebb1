package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// observability is the server's Prometheus registry and what the readiness
// checks compare the database with.
type observability struct {
	registry *prometheus.Registry

	// schemaVersion is the highest hiretrack migration version that this
	// build embeds, which the database must have applied.
	schemaVersion int64

	// riverMigrator reads River's applied migrations through the read pool.
	riverMigrator *rivermigrate.Migrator[*sql.Tx]
}

// startObservability creates the registry with the Go runtime, process,
// database pool and job queue collectors, and records the schema version
// that this build embeds. It runs after openStore.
func (s *Server) startObservability(ctx context.Context) error {
	obs := &observability{registry: prometheus.NewRegistry()}

	version, err := s.db.LatestSchemaVersion()
	if err != nil {
		return err
	}
	obs.schemaVersion = version

	obs.riverMigrator, err = rivermigrate.New(readQueueDriver(s.db), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return fmt.Errorf("load job queue migrations: %w", err)
	}

	obs.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newQueueCollector(func(ctx context.Context) (queueStats, error) { return readQueueStats(ctx, s.db.Read) }),
	)
	registerPoolCollectors(obs.registry, s.db)
	s.obs = obs
	return nil
}

// registerPoolCollectors registers the connection pool statistics of db, as
// the go_sql_* metrics. On SQLite the db_name label is "write" or "read". On
// PostgreSQL both are one pool, reported once as "read_write".
func registerPoolCollectors(registry *prometheus.Registry, db *sqlstore.DB) {
	if db.Read == db.Write {
		registry.MustRegister(collectors.NewDBStatsCollector(db.Write, "read_write"))
		return
	}
	registry.MustRegister(
		collectors.NewDBStatsCollector(db.Write, "write"),
		collectors.NewDBStatsCollector(db.Read, "read"),
	)
}

// readQueueDriver returns a River driver on the read pool, for queries that
// must not wait for SQLite's single write connection.
func readQueueDriver(db *sqlstore.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == sqlstore.Postgres {
		return riverdatabasesql.New(db.Read)
	}
	return riversqlite.New(db.Read)
}

// readinessChecks returns the checks of GET /readyz: the database responds,
// its migrations are the ones this server expects, and the job queue runs.
func (s *Server) readinessChecks() []httpapi.ReadinessCheck {
	return []httpapi.ReadinessCheck{
		{Name: "database", Check: s.checkDatabase},
		{Name: "migrations", Check: s.checkMigrations},
		{Name: "queue", Check: s.checkQueue},
	}
}

// checkDatabase pings the read pool. The SQLite write pool is not pinged,
// because its one connection is busy for as long as a write transaction
// runs, and a ping would wait for it.
func (s *Server) checkDatabase(ctx context.Context) error {
	if err := s.db.Read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping the database: %w", err)
	}
	return nil
}

// checkMigrations compares the applied hiretrack and River migrations with
// the versions this server expects. A database that another server
// migrated further, or that was migrated down, fails the check.
func (s *Server) checkMigrations(ctx context.Context) error {
	version, err := appliedSchemaVersion(ctx, s.db.Read)
	if err != nil {
		return err
	}
	if version != s.obs.schemaVersion {
		return fmt.Errorf("the hiretrack schema version is %d, but this server expects %d", version, s.obs.schemaVersion)
	}

	applied, err := s.obs.riverMigrator.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the applied job queue migrations: %w", err)
	}
	all := s.obs.riverMigrator.AllVersions()
	if latestVersion(applied) != latestVersion(all) {
		return fmt.Errorf("the job queue schema version is %d, but this server expects %d",
			latestVersion(applied), latestVersion(all))
	}
	return nil
}

// checkQueue fails once the River client has stopped.
func (s *Server) checkQueue(context.Context) error {
	select {
	case <-s.queue.Stopped():
		return errors.New("the job queue has stopped")
	default:
		return nil
	}
}

// appliedSchemaVersion returns the highest hiretrack migration version in
// goose's table, by the same query as goose's Provider.GetDBVersion in
// v3.30.1. goose deletes the row of a migration that it rolls back.
func appliedSchemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var version int64
	err := db.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&version)
	if err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	return version, nil
}

// latestVersion returns the highest version of River migrations, or 0 when
// there are none.
func latestVersion(migrations []rivermigrate.Migration) int {
	latest := 0
	for _, m := range migrations {
		latest = max(latest, m.Version)
	}
	return latest
}
