package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

// JobInserter inserts a job in the caller's transaction. The server wires it
// to the River client; it must use tx so the job commits with the change.
type JobInserter func(ctx context.Context, tx *sql.Tx, job hiretrack.EmailJob) error

// Store implements hiretrack.Store on SQLite or PostgreSQL.
type Store struct {
	db        *DB
	insertJob JobInserter
	now       func() time.Time
	logger    *slog.Logger
	tokens    TokenSource // nil until SetTokenSource

	// insertDelivery queues a webhook delivery job; nil queues none. See
	// SetDeliveryInserter.
	insertDelivery DeliveryInserter
}

var _ hiretrack.Store = (*Store)(nil)

// NewStore returns a Store on db. insertJob queues emails; now is the clock
// (time.Now when nil), injectable so tests can move past an expiry. logger
// (slog.Default when nil) receives the retries of conflicting transactions.
func NewStore(db *DB, insertJob JobInserter, now func() time.Time, logger *slog.Logger) *Store {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Store{db: db, insertJob: insertJob, now: now, logger: logger}
}

// clock returns the current time as stored: UTC, in whole microseconds.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// timeLayout has a fixed width so stored times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// nullTime scans a nullable time column.
type nullTime struct{ t *time.Time }

func (n *nullTime) Scan(v any) error {
	if v == nil {
		n.t = nil
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	n.t = &t
	return nil
}

// textTime scans a NOT NULL time column.
type textTime struct{ t *time.Time }

func (x textTime) Scan(v any) error {
	var n nullTime
	if err := n.Scan(v); err != nil {
		return err
	}
	if n.t == nil {
		return errors.New("scan time: unexpected NULL")
	}
	*x.t = *n.t
	return nil
}

// wrapInternal leaves coded errors as they are and wraps any other error.
func wrapInternal(op string, err error) error {
	var e *hiretrack.Error
	if errors.As(err, &e) {
		return err
	}
	return hiretrack.Internal(op, err)
}

// queryer is the query interface shared by *sql.DB and *sql.Tx, so reads run on either.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// newStageID returns a random stage id of 64 bits, such as "stg_k3j5x7q2m4a6c".
func newStageID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	return "stg_" + strings.ToLower(enc), nil
}

// insertEvent appends one timeline event, and through tx.onEvent the
// company feed entry and webhook deliveries of its type.
func insertEvent(ctx context.Context, tx *dialectTx, e eventRow) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO events (company_id, application_id, response_id, stage_id, type, actor, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.companyID, e.applicationID, e.responseID, e.stageID, e.typ, e.actor, e.data, formatTime(e.at))
	if err != nil {
		return fmt.Errorf("insert %s event: %w", e.typ, err)
	}
	if tx.onEvent != nil {
		return tx.onEvent(ctx, tx, e)
	}
	return nil
}

// eventRow is an event to insert. data is JSON text or nil.
type eventRow struct {
	companyID     int64
	applicationID int64
	responseID    *int64
	stageID       string
	typ           string
	actor         string
	data          *string
	at            time.Time
}

// effectiveStatus returns the stored status, or Expired for an unfinished
// response past its expiry, so reads show expiry without waiting for a sweep.
func effectiveStatus(stored hiretrack.InviteStatus, expiresAt, now time.Time) hiretrack.InviteStatus {
	if stored != hiretrack.InviteCompleted && !now.Before(expiresAt) {
		return hiretrack.InviteExpired
	}
	return stored
}

// formatNullTime formats t for a nullable time column.
func formatNullTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// linkTimes returns when a link issued at now opens and expires: the
// window's times when given, else an expiry hours after the link opens.
func linkTimes(now time.Time, hours int, w hiretrack.LinkWindow) (startsAt *time.Time, expiresAt time.Time) {
	if w.StartsAt != nil {
		start := w.StartsAt.UTC().Truncate(time.Microsecond)
		startsAt = &start
	}
	if w.ExpiresAt != nil {
		return startsAt, w.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	from := now
	if startsAt != nil && startsAt.After(now) {
		from = *startsAt
	}
	return startsAt, from.Add(time.Duration(hours) * time.Hour)
}
