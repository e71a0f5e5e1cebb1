package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

var _ hiretrack.WebhookStore = (*Store)(nil)

// webhookColumns are the columns that scanWebhook reads, in its order.
const webhookColumns = `id, url, description, events, enabled, disabled_reason, disabled_at,
	previous_secret_expires_at, created_at, updated_at`

// scanWebhook reads one endpoint selected with webhookColumns.
func scanWebhook(row interface{ Scan(...any) error }) (hiretrack.Webhook, error) {
	var w hiretrack.Webhook
	var events string
	var enabled int
	var disabledAt, previousExpires nullTime
	err := row.Scan(&w.ID, &w.URL, &w.Description, &events, &enabled, &w.DisabledReason,
		&disabledAt, &previousExpires, textTime{&w.CreatedAt}, textTime{&w.UpdatedAt})
	w.Events = strings.Split(events, ",")
	w.Enabled = enabled == 1
	w.DisabledAt, w.PreviousSecretExpiresAt = disabledAt.t, previousExpires.t
	return w, err
}

// CreateWebhook registers an enabled endpoint.
func (s *Store) CreateWebhook(ctx context.Context, companyID int64, nw hiretrack.NewWebhook) (hiretrack.Webhook, error) {
	var w hiretrack.Webhook
	err := s.withTx(ctx, "create webhook", func(tx *dialectTx) error {
		now := formatTime(s.clock())
		row := tx.QueryRowContext(ctx, `
			INSERT INTO webhook_endpoints (company_id, url, description, events, secret_sealed, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+webhookColumns,
			companyID, nw.URL, nw.Description, strings.Join(nw.Events, ","), nw.SecretSealed, now, now)
		var err error
		w, err = scanWebhook(row)
		return err
	})
	return w, err
}

// Webhooks returns the company's endpoints, oldest first.
func (s *Store) Webhooks(ctx context.Context, companyID int64) ([]hiretrack.Webhook, error) {
	rows, err := s.read().QueryContext(ctx, `SELECT `+webhookColumns+`
		FROM webhook_endpoints WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, hiretrack.Internal("read webhooks", err)
	}
	defer rows.Close()

	hooks := []hiretrack.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, hiretrack.Internal("scan webhook", err)
		}
		hooks = append(hooks, w)
	}
	if err := rows.Err(); err != nil {
		return nil, hiretrack.Internal("read webhooks", err)
	}
	return hooks, nil
}

// lockWebhook reads an endpoint of the company and, on PostgreSQL, locks it
// until tx ends.
func lockWebhook(ctx context.Context, tx *dialectTx, companyID, webhookID int64) (hiretrack.Webhook, error) {
	return findWebhook(ctx, tx, companyID, webhookID, tx.dialect.rowLock())
}

// findWebhook reads an endpoint of the company, with lock appended to the
// query. KindNotFound when the company has no such endpoint.
func findWebhook(ctx context.Context, q queryer, companyID, webhookID int64, lock string) (hiretrack.Webhook, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+`
		FROM webhook_endpoints WHERE id = ? AND company_id = ?`+lock, webhookID, companyID))
	if errNoRow(err) {
		return w, hiretrack.NotFoundf("webhook %d not found", webhookID)
	}
	if err != nil {
		return w, fmt.Errorf("read webhook %d: %w", webhookID, err)
	}
	return w, nil
}

// UpdateWebhook changes the fields of u that are set.
func (s *Store) UpdateWebhook(ctx context.Context, companyID, webhookID int64, u hiretrack.WebhookUpdate) (hiretrack.Webhook, error) {
	var w hiretrack.Webhook
	err := s.withTx(ctx, "update webhook", func(tx *dialectTx) error {
		var err error
		if w, err = lockWebhook(ctx, tx, companyID, webhookID); err != nil {
			return err
		}
		applyUpdate(&w, u)

		now := s.clock()
		enabled, reason, disabledAt := 0, w.DisabledReason, w.DisabledAt
		if w.Enabled {
			enabled, reason, disabledAt = 1, "", nil
		} else if disabledAt == nil {
			reason, disabledAt = "disabled by request", &now
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ?,
				disabled_reason = ?, disabled_at = ?, updated_at = ?
			WHERE id = ?`, w.URL, w.Description, strings.Join(w.Events, ","), enabled, reason,
			formatNullTime(disabledAt), formatTime(now), webhookID)
		if err != nil {
			return fmt.Errorf("update webhook %d: %w", webhookID, err)
		}
		if !w.Enabled {
			if err := skipPending(ctx, tx, webhookID, now); err != nil {
				return err
			}
		}
		w, err = lockWebhook(ctx, tx, companyID, webhookID)
		return err
	})
	return w, err
}

func applyUpdate(w *hiretrack.Webhook, u hiretrack.WebhookUpdate) {
	if u.URL != nil {
		w.URL = *u.URL
	}
	if u.Description != nil {
		w.Description = *u.Description
	}
	if u.Events != nil {
		w.Events = u.Events
	}
	if u.Enabled != nil {
		w.Enabled = *u.Enabled
	}
}

// skipPending marks the pending deliveries of an endpoint skipped. Their
// jobs find them finished and send nothing.
func skipPending(ctx context.Context, tx *dialectTx, webhookID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE webhook_deliveries SET status = ?, finished_at = ? WHERE endpoint_id = ? AND status = ?`,
		hiretrack.DeliverySkipped, formatTime(now), webhookID, hiretrack.DeliveryPending)
	if err != nil {
		return fmt.Errorf("skip deliveries of webhook %d: %w", webhookID, err)
	}
	return nil
}

// DeleteWebhook deletes an endpoint with its deliveries and attempts.
func (s *Store) DeleteWebhook(ctx context.Context, companyID, webhookID int64) error {
	return s.withTx(ctx, "delete webhook", func(tx *dialectTx) error {
		if _, err := lockWebhook(ctx, tx, companyID, webhookID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, webhookID); err != nil {
			return fmt.Errorf("delete webhook %d: %w", webhookID, err)
		}
		return nil
	})
}

// RotateWebhookSecret makes sealed the signing secret. The current one
// becomes the previous one and signs beside it for the grace period.
func (s *Store) RotateWebhookSecret(ctx context.Context, companyID, webhookID int64, sealed []byte, grace time.Duration) (hiretrack.Webhook, error) {
	var w hiretrack.Webhook
	err := s.withTx(ctx, "rotate webhook secret", func(tx *dialectTx) error {
		if _, err := lockWebhook(ctx, tx, companyID, webhookID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = ?,
				secret_sealed = ?, updated_at = ?
			WHERE id = ?`, formatTime(s.clock().Add(grace)), sealed, formatTime(s.clock()), webhookID)
		if err != nil {
			return fmt.Errorf("rotate secret of webhook %d: %w", webhookID, err)
		}
		w, err = lockWebhook(ctx, tx, companyID, webhookID)
		return err
	})
	return w, err
}
