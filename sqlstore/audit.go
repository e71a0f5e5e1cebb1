package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// RecordAudit appends one event to the audit log.
func (s *Store) RecordAudit(ctx context.Context, e hiretrack.AuditEvent) error {
	err := s.withTx(ctx, "record audit event", func(tx *dialectTx) error {
		return insertAudit(ctx, tx, e, s.clock())
	})
	return err
}

// insertAudit inserts e, stamped with now when e.At is zero.
func insertAudit(ctx context.Context, tx *dialectTx, e hiretrack.AuditEvent, now time.Time) error {
	if e.At.IsZero() {
		e.At = now
	}
	if e.IDs == nil {
		e.IDs = map[string]int64{}
	}
	ids, err := json.Marshal(e.IDs)
	if err != nil {
		return fmt.Errorf("encode audit ids: %w", err)
	}
	var detail *string
	if len(e.Detail) > 0 {
		detail = jsonText(e.Detail)
	}

	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_events (company_id, key_id, key_prefix, actor, action, route, status, ids, detail, request_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.CompanyID, e.KeyID, e.KeyPrefix, e.Actor, e.Action, e.Route, e.Status, string(ids), detail,
		e.RequestID, formatTime(e.At))
	if err != nil {
		return fmt.Errorf("insert audit event %s: %w", e.Action, err)
	}
	return nil
}

// AuditEvents returns one page of the company's audit log, oldest first.
// It reads one row more than the page to tell whether another page follows.
func (s *Store) AuditEvents(ctx context.Context, companyID int64, q hiretrack.AuditQuery) (hiretrack.AuditPage, error) {
	var page hiretrack.AuditPage
	since := ""
	if !q.Since.IsZero() {
		since = formatTime(q.Since)
	}
	rows, err := s.read().QueryContext(ctx, `
		SELECT id, key_id, key_prefix, actor, action, route, status, ids, detail, request_id, created_at
		FROM audit_events
		WHERE company_id = ? AND id > ? AND (? = '' OR action = ?) AND (? = '' OR created_at >= ?)
		ORDER BY id LIMIT ?`,
		companyID, q.After, q.Action, q.Action, since, since, q.Limit+1)
	if err != nil {
		return page, hiretrack.Internal("read audit log", err)
	}
	defer rows.Close()

	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return page, hiretrack.Internal("read audit log", err)
		}
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return page, hiretrack.Internal("read audit log", err)
	}

	if len(page.Events) > q.Limit {
		page.Events = page.Events[:q.Limit]
		page.Next = page.Events[q.Limit-1].ID
	}
	return page, nil
}

// scanAudit reads one row of the audit log query.
func scanAudit(rows *sql.Rows) (hiretrack.AuditEvent, error) {
	var e hiretrack.AuditEvent
	var ids string
	var detail sql.NullString
	err := rows.Scan(&e.ID, &e.KeyID, &e.KeyPrefix, &e.Actor, &e.Action, &e.Route, &e.Status, &ids, &detail,
		&e.RequestID, textTime{&e.At})
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(ids), &e.IDs); err != nil {
		return e, fmt.Errorf("decode ids of audit event %d: %w", e.ID, err)
	}
	if detail.Valid {
		if err := json.Unmarshal([]byte(detail.String), &e.Detail); err != nil {
			return e, fmt.Errorf("decode detail of audit event %d: %w", e.ID, err)
		}
	}
	return e, nil
}
