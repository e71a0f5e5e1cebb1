package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// idempotencyKeyLifetime is how long a key stays bound to its first request.
// A claim deletes older rows, so the table holds about one day of keys.
const idempotencyKeyLifetime = 24 * time.Hour

// idempotencyTakeover is the age at which an in-progress reservation counts
// as abandoned by a request that crashed, so that a retry can claim the key.
// It is four times the HTTP server's 30 s write timeout, after which the
// client can no longer receive the response. A request that still runs when
// it is taken over cannot complete or release the new reservation, because
// those match the reservation's created_at.
const idempotencyTakeover = 2 * time.Minute

// idempotencyRow is one row of idempotency_keys.
type idempotencyRow struct {
	requestHash string
	statusCode  sql.NullInt64
	contentType sql.NullString
	body        []byte
	createdAt   time.Time
	completedAt nullTime
}

// ClaimIdempotencyKey reserves a key, or returns the response stored under it.
//
// On PostgreSQL two claims of one key can run at once. The read locks an
// existing row, so the second claim waits and then sees the first one's
// reservation. When there is no row yet, both may insert one. The second
// insert then fails with a unique violation once the first commits, and
// withTx runs the claim again, which reads the first one's row.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c hiretrack.IdempotencyClaim) (hiretrack.IdempotencyRecord, error) {
	var record hiretrack.IdempotencyRecord
	err := s.withTx(ctx, "claim idempotency key", func(tx *dialectTx) error {
		record = hiretrack.IdempotencyRecord{}
		now := s.clock()
		if err := deleteExpiredIdempotencyKeys(ctx, tx, now); err != nil {
			return err
		}

		row, found, err := readIdempotencyKey(ctx, tx, c)
		if err != nil {
			return err
		}
		if found && !abandoned(row, now) {
			record.Replay, err = replayOf(row, c)
			return err
		}

		record = hiretrack.IdempotencyRecord{ClaimedAt: now, TookOver: found}
		if found {
			return takeOverIdempotencyKey(ctx, tx, c, now)
		}
		return reserveIdempotencyKey(ctx, tx, c, now)
	})
	return record, err
}

// CompleteIdempotencyKey stores the response of a reservation.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, c hiretrack.IdempotencyClaim, claimedAt time.Time, resp hiretrack.IdempotentResponse) error {
	result, err := s.write().ExecContext(ctx, `
		UPDATE idempotency_keys
		SET status_code = ?, content_type = ?, response_body = ?, completed_at = ?
		WHERE company_id = ? AND key = ? AND request_hash = ? AND created_at = ? AND completed_at IS NULL`,
		resp.StatusCode, resp.ContentType, resp.Body, formatTime(s.clock()),
		c.CompanyID, c.Key, c.RequestHash, formatTime(claimedAt))
	if err != nil {
		return hiretrack.Internal("complete idempotency key", err)
	}

	updated, err := result.RowsAffected()
	if err != nil {
		return hiretrack.Internal("complete idempotency key", err)
	}
	if updated == 0 {
		return hiretrack.Internal("complete idempotency key",
			fmt.Errorf("the reservation made at %s no longer exists; it was released or taken over", formatTime(claimedAt)))
	}
	return nil
}

// ReleaseIdempotencyKey deletes a reservation that is still in progress.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, c hiretrack.IdempotencyClaim, claimedAt time.Time) error {
	_, err := s.write().ExecContext(ctx, `
		DELETE FROM idempotency_keys
		WHERE company_id = ? AND key = ? AND request_hash = ? AND created_at = ? AND completed_at IS NULL`,
		c.CompanyID, c.Key, c.RequestHash, formatTime(claimedAt))
	if err != nil {
		return hiretrack.Internal("release idempotency key", err)
	}
	return nil
}

// deleteExpiredIdempotencyKeys deletes the rows of every company that are
// past idempotencyKeyLifetime, so that expired keys read as absent.
func deleteExpiredIdempotencyKeys(ctx context.Context, tx *dialectTx, now time.Time) error {
	cutoff := now.Add(-idempotencyKeyLifetime)
	_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`, formatTime(cutoff))
	if err != nil {
		return fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return nil
}

// readIdempotencyKey reads and locks the row of a key. found is false when
// there is none.
func readIdempotencyKey(ctx context.Context, tx *dialectTx, c hiretrack.IdempotencyClaim) (row idempotencyRow, found bool, err error) {
	err = tx.QueryRowContext(ctx, `
		SELECT request_hash, status_code, content_type, response_body, created_at, completed_at
		FROM idempotency_keys WHERE company_id = ? AND key = ?`+tx.dialect.rowLock(), c.CompanyID, c.Key).
		Scan(&row.requestHash, &row.statusCode, &row.contentType, &row.body, textTime{&row.createdAt}, &row.completedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("read idempotency key: %w", err)
	}
	return row, true, nil
}

// abandoned reports whether row is a reservation still in progress after
// the takeover window.
func abandoned(row idempotencyRow, now time.Time) bool {
	return row.completedAt.t == nil && !now.Before(row.createdAt.Add(idempotencyTakeover))
}

// replayOf returns the stored response of row for a claim with the same
// hash, or the error that explains to the client why the key cannot be used.
func replayOf(row idempotencyRow, c hiretrack.IdempotencyClaim) (*hiretrack.IdempotentResponse, error) {
	if row.requestHash != c.RequestHash {
		return nil, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "Idempotency-Key", "idempotency_key_reused",
			"the Idempotency-Key was used at %s for a request to another endpoint or with another body; "+
				"send a new key for a new request", formatTime(row.createdAt))
	}
	if row.completedAt.t == nil {
		return nil, hiretrack.Errorf(hiretrack.KindConflict, "idempotency_key_in_progress",
			"a request with this Idempotency-Key is still running; retry after it finishes to receive its response")
	}

	return &hiretrack.IdempotentResponse{
		StatusCode:  int(row.statusCode.Int64),
		ContentType: row.contentType.String,
		Body:        row.body,
	}, nil
}

// reserveIdempotencyKey inserts an in-progress row for the claim. It fails
// with a unique violation when another claim inserted the key meanwhile.
func reserveIdempotencyKey(ctx context.Context, tx *dialectTx, c hiretrack.IdempotencyClaim, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (company_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)`,
		c.CompanyID, c.Key, c.RequestHash, formatTime(now))
	if err != nil {
		return fmt.Errorf("reserve idempotency key: %w", err)
	}
	return nil
}

// takeOverIdempotencyKey replaces an abandoned reservation, which the claim
// has read and locked, with an in-progress row for the claim.
func takeOverIdempotencyKey(ctx context.Context, tx *dialectTx, c hiretrack.IdempotencyClaim, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE idempotency_keys SET request_hash = ?, status_code = NULL, content_type = NULL,
			response_body = NULL, created_at = ?, completed_at = NULL
		WHERE company_id = ? AND key = ?`,
		c.RequestHash, formatTime(now), c.CompanyID, c.Key)
	if err != nil {
		return fmt.Errorf("take over idempotency key: %w", err)
	}
	return nil
}
