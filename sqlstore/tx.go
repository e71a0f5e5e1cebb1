package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hiretrack/hiretrack"
)

// maxTxAttempts is how many times withTx runs a transaction that fails on a
// conflict with another transaction before it gives up.
const maxTxAttempts = 4

// withTx runs fn in a write transaction and commits when fn returns nil.
// When the transaction fails on a conflict with a concurrent one (see
// retryable), withTx logs the conflict and runs fn again in a new
// transaction, up to maxTxAttempts times in all. fn must therefore set its
// results anew on each run.
func (s *Store) withTx(ctx context.Context, op string, fn func(tx *dialectTx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil {
			return nil
		}
		if attempt == maxTxAttempts || !retryable(err) {
			return wrapInternal(op, err)
		}

		s.logger.Warn("transaction conflicted with another; retrying",
			"op", op, "attempt", attempt, "max_attempts", maxTxAttempts, "error", err)
		if err := sleepBeforeRetry(ctx, attempt); err != nil {
			return hiretrack.Internal(op, err)
		}
	}
}

// runTx runs fn in one write transaction.
func (s *Store) runTx(ctx context.Context, fn func(tx *dialectTx) error) error {
	raw, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &dialectTx{tx: raw, dialect: s.db.Dialect, stmts: s.db.writeStmts, onEvent: s.appendFeedEvent}
	defer tx.prepareMisses(context.WithoutCancel(ctx))
	defer tx.Rollback()

	if err := fn(tx); err != nil {
		return err
	}
	if err := raw.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is a PostgreSQL error that a new run of the
// same transaction can avoid. These are a serialization failure (40001), a
// deadlock (40P01), and a unique violation (23505) from two transactions
// inserting the same key at once, after which the new run reads the row that
// the other committed. SQLite runs one write transaction at a time, so its
// errors are never retried.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// sleepBeforeRetry waits a few milliseconds, more after each attempt and
// with jitter, so that the transactions that conflicted do not meet again.
func sleepBeforeRetry(ctx context.Context, attempt int) error {
	wait := time.Duration(attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// beginRead starts a read-only transaction. On PostgreSQL it is REPEATABLE
// READ, so that all its queries see one snapshot, as they do in a SQLite
// read transaction. A read-only transaction never fails on serialization.
func (s *Store) beginRead(ctx context.Context) (*dialectTx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	raw, err := s.db.Read.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &dialectTx{tx: raw, dialect: s.db.Dialect}, nil
}

// read returns the read pool.
func (s *Store) read() dialectDB {
	return dialectDB{db: s.db.Read, dialect: s.db.Dialect, stmts: s.db.readStmts}
}

// write returns the write pool, for writes of one statement.
func (s *Store) write() dialectDB { return dialectDB{db: s.db.Write, dialect: s.db.Dialect} }

// lockApplication locks an application's row until tx ends. Every write
// transaction that reads an application or its responses and then writes on
// what it read takes this lock first, before those reads. On PostgreSQL the
// next such transaction on the same application then waits, and its reads
// see what the first one committed, because each statement of a READ
// COMMITTED transaction reads the latest commits. Taking the lock in a
// statement of its own matters: a locking SELECT that joins other tables can
// return their rows as they were before the wait. On SQLite it does nothing.
func lockApplication(ctx context.Context, tx *dialectTx, applicationID int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM applications WHERE id = ?`+tx.dialect.rowLock(), applicationID)
	if err != nil {
		return fmt.Errorf("lock application %d: %w", applicationID, err)
	}
	return nil
}
