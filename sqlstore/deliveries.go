package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// WebhookDeliveries returns the newest deliveries of an endpoint with
// their attempts, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, companyID, webhookID int64, limit int) ([]hiretrack.WebhookDelivery, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, hiretrack.Internal("read webhook deliveries", err)
	}
	defer tx.Rollback()

	if _, err := findWebhook(ctx, tx, companyID, webhookID, ""); err != nil {
		return nil, wrapInternal("read webhook deliveries", err)
	}
	deliveries, err := readDeliveries(ctx, tx, `d.endpoint_id = ? ORDER BY d.id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, hiretrack.Internal("read webhook deliveries", err)
	}
	if err := addAttempts(ctx, tx, deliveries); err != nil {
		return nil, hiretrack.Internal("read webhook attempts", err)
	}
	return deliveries, nil
}

// readDeliveries returns the deliveries that the condition where selects.
func readDeliveries(ctx context.Context, q queryer, where string, args ...any) ([]hiretrack.WebhookDelivery, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT d.id, d.endpoint_id, f.event_id, f.type, d.seq, d.application_id, d.status, d.created_at, d.finished_at
		FROM webhook_deliveries d JOIN feed_events f ON f.id = d.feed_event_id
		WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	deliveries := []hiretrack.WebhookDelivery{}
	for rows.Next() {
		var d hiretrack.WebhookDelivery
		var finished nullTime
		err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Seq, &d.ApplicationID, &d.Status,
			textTime{&d.CreatedAt}, &finished)
		if err != nil {
			return nil, err
		}
		d.FinishedAt = finished.t
		d.Attempts = []hiretrack.WebhookAttempt{}
		deliveries = append(deliveries, d)
	}
	return deliveries, rows.Err()
}

// addAttempts reads the attempts of each delivery, oldest first.
func addAttempts(ctx context.Context, q queryer, deliveries []hiretrack.WebhookDelivery) error {
	for i := range deliveries {
		rows, err := q.QueryContext(ctx, `
			SELECT attempt, status_code, latency_ms, error, at FROM webhook_attempts
			WHERE delivery_id = ? ORDER BY id`, deliveries[i].ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a hiretrack.WebhookAttempt
			if err := rows.Scan(&a.Attempt, &a.StatusCode, &a.LatencyMS, &a.Error, textTime{&a.At}); err != nil {
				rows.Close()
				return err
			}
			deliveries[i].Attempts = append(deliveries[i].Attempts, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Redeliver queues the event of an earlier delivery again.
func (s *Store) Redeliver(ctx context.Context, companyID, webhookID, deliveryID int64) (hiretrack.WebhookDelivery, error) {
	var out hiretrack.WebhookDelivery
	err := s.withTx(ctx, "redeliver webhook event", func(tx *dialectTx) error {
		if err := lockEnabledWebhook(ctx, tx, companyID, webhookID); err != nil {
			return err
		}
		d := deliveryRow{companyID: companyID, endpointID: webhookID}
		err := tx.QueryRowContext(ctx, `
			SELECT feed_event_id, application_id, seq FROM webhook_deliveries WHERE id = ? AND endpoint_id = ?`,
			deliveryID, webhookID).Scan(&d.feedID, &d.applicationID, &d.seq)
		if errNoRow(err) {
			return hiretrack.NotFoundf("delivery %d of webhook %d not found", deliveryID, webhookID)
		}
		if err != nil {
			return fmt.Errorf("read delivery %d: %w", deliveryID, err)
		}

		out, err = s.queueAndRead(ctx, tx, d)
		return err
	})
	return out, err
}

// SendTestEvent queues a webhook.test event to one endpoint. The event
// stays out of the feed.
func (s *Store) SendTestEvent(ctx context.Context, companyID, webhookID int64) (hiretrack.WebhookDelivery, error) {
	var out hiretrack.WebhookDelivery
	err := s.withTx(ctx, "send webhook test event", func(tx *dialectTx) error {
		if err := lockEnabledWebhook(ctx, tx, companyID, webhookID); err != nil {
			return err
		}
		eventID, err := newEventID()
		if err != nil {
			return err
		}
		now := s.clock()
		payload := eventPayload{
			EventID: eventID, Type: hiretrack.WebhookTest, OccurredAt: now, Actor: hiretrack.ActorSystem,
			Data: map[string]any{"webhook_id": webhookID},
		}
		feedID, err := insertFeedEvent(ctx, tx, feedRow{
			companyID: companyID, eventID: eventID, typ: hiretrack.WebhookTest, payload: payload, at: formatTime(now),
		})
		if err != nil {
			return err
		}

		out, err = s.queueAndRead(ctx, tx, deliveryRow{companyID: companyID, endpointID: webhookID, feedID: feedID})
		return err
	})
	return out, err
}

// lockEnabledWebhook locks an endpoint and returns KindConflict with code
// webhook_disabled when it is disabled.
func lockEnabledWebhook(ctx context.Context, tx *dialectTx, companyID, webhookID int64) error {
	w, err := lockWebhook(ctx, tx, companyID, webhookID)
	if err != nil {
		return err
	}
	if !w.Enabled {
		return hiretrack.Errorf(hiretrack.KindConflict, "webhook_disabled",
			"webhook %d is disabled; enable it with PATCH /webhooks/%d {\"enabled\": true} first", webhookID, webhookID)
	}
	return nil
}

// queueAndRead queues a delivery and returns it as lists show it.
func (s *Store) queueAndRead(ctx context.Context, tx *dialectTx, d deliveryRow) (hiretrack.WebhookDelivery, error) {
	id, err := s.queueDelivery(ctx, tx, d)
	if err != nil {
		return hiretrack.WebhookDelivery{}, err
	}
	deliveries, err := readDeliveries(ctx, tx, `d.id = ?`, id)
	if err != nil {
		return hiretrack.WebhookDelivery{}, fmt.Errorf("read delivery %d: %w", id, err)
	}
	return deliveries[0], nil
}

// DeliveryWork loads one delivery with its endpoint and payload, and
// whether an earlier event of the same application waits before it.
func (s *Store) DeliveryWork(ctx context.Context, deliveryID int64) (hiretrack.DeliveryWork, error) {
	w := hiretrack.DeliveryWork{DeliveryID: deliveryID}
	var payload string
	var enabled int
	var applicationID, seq *int64
	var previousExpires nullTime
	err := s.read().QueryRowContext(ctx, `
		SELECT d.company_id, d.endpoint_id, d.status, d.application_id, d.seq, f.event_id, f.payload,
			e.url, e.enabled, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at
		FROM webhook_deliveries d
		JOIN feed_events f ON f.id = d.feed_event_id
		JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.id = ?`, deliveryID).Scan(&w.CompanyID, &w.WebhookID, &w.Status, &applicationID, &seq,
		&w.EventID, &payload, &w.URL, &enabled, &w.SecretSealed, &w.PreviousSealed, &previousExpires)
	if errNoRow(err) {
		return w, hiretrack.NotFoundf("webhook delivery %d not found", deliveryID)
	}
	if err != nil {
		return w, hiretrack.Internal("read webhook delivery", err)
	}
	w.Payload, w.Enabled, w.PreviousExpires = []byte(payload), enabled == 1, previousExpires.t

	if applicationID != nil && seq != nil {
		if w.Blocked, err = s.earlierPending(ctx, w.WebhookID, *applicationID, *seq); err != nil {
			return w, hiretrack.Internal("read earlier webhook deliveries", err)
		}
	}
	return w, nil
}

// earlierPending reports whether an event of the application with a
// smaller seq still waits for delivery to the endpoint.
func (s *Store) earlierPending(ctx context.Context, webhookID, applicationID, seq int64) (bool, error) {
	var n int
	err := s.read().QueryRowContext(ctx, `
		SELECT COUNT(*) FROM webhook_deliveries
		WHERE endpoint_id = ? AND application_id = ? AND status = ? AND seq < ?`,
		webhookID, applicationID, hiretrack.DeliveryPending, seq).Scan(&n)
	return n > 0, err
}

// RecordDeliveryAttempt stores one attempt and the delivery's new status.
// An exhausted delivery disables its endpoint and skips the endpoint's
// other pending deliveries, in the same transaction.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, r hiretrack.DeliveryResult) error {
	return s.withTx(ctx, "record webhook attempt", func(tx *dialectTx) error {
		var endpointID int64
		err := tx.QueryRowContext(ctx, `SELECT endpoint_id FROM webhook_deliveries WHERE id = ?`, r.DeliveryID).Scan(&endpointID)
		if errNoRow(err) {
			return hiretrack.NotFoundf("webhook delivery %d not found", r.DeliveryID)
		}
		if err != nil {
			return fmt.Errorf("read delivery %d: %w", r.DeliveryID, err)
		}

		now := s.clock()
		if err := insertAttempt(ctx, tx, r, now); err != nil {
			return err
		}
		if err := finishDelivery(ctx, tx, r, now); err != nil {
			return err
		}
		if r.Outcome != hiretrack.AttemptExhausted {
			return nil
		}
		return disableEndpoint(ctx, tx, endpointID, r, now)
	})
}

func insertAttempt(ctx context.Context, tx *dialectTx, r hiretrack.DeliveryResult, now time.Time) error {
	var statusCode *int
	if r.StatusCode != 0 {
		statusCode = &r.StatusCode
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO webhook_attempts (delivery_id, attempt, status_code, latency_ms, error, at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.DeliveryID, r.Attempt, statusCode, r.Latency.Milliseconds(), r.Error, formatTime(now))
	if err != nil {
		return fmt.Errorf("insert attempt of delivery %d: %w", r.DeliveryID, err)
	}
	return nil
}

// finishDelivery counts the attempt and sets the status its outcome gives.
// A delivery skipped while the attempt ran stays skipped.
func finishDelivery(ctx context.Context, tx *dialectTx, r hiretrack.DeliveryResult, now time.Time) error {
	status := map[string]string{
		hiretrack.AttemptDelivered: hiretrack.DeliveryDelivered,
		hiretrack.AttemptRetry:     hiretrack.DeliveryPending,
		hiretrack.AttemptFailed:    hiretrack.DeliveryFailed,
		hiretrack.AttemptExhausted: hiretrack.DeliveryFailed,
	}[r.Outcome]
	var finished *string
	if status != hiretrack.DeliveryPending {
		text := formatTime(now)
		finished = &text
	}

	_, err := tx.ExecContext(ctx, `
		UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, finished_at = ?
		WHERE id = ? AND status = ?`, status, finished, r.DeliveryID, hiretrack.DeliveryPending)
	if err != nil {
		return fmt.Errorf("update delivery %d: %w", r.DeliveryID, err)
	}
	return nil
}

// disableEndpoint disables an endpoint whose delivery ran out of attempts.
func disableEndpoint(ctx context.Context, tx *dialectTx, endpointID int64, r hiretrack.DeliveryResult, now time.Time) error {
	reason := fmt.Sprintf("disabled after delivery %d failed %d attempts; last error: %s", r.DeliveryID, r.Attempt, r.Error)
	_, err := tx.ExecContext(ctx, `
		UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
		WHERE id = ? AND enabled = 1`, reason, formatTime(now), formatTime(now), endpointID)
	if err != nil {
		return fmt.Errorf("disable webhook %d: %w", endpointID, err)
	}
	return skipPending(ctx, tx, endpointID, now)
}

// SkipDelivery marks a pending delivery skipped.
func (s *Store) SkipDelivery(ctx context.Context, deliveryID int64) error {
	_, err := s.write().ExecContext(ctx, `
		UPDATE webhook_deliveries SET status = ?, finished_at = ? WHERE id = ? AND status = ?`,
		hiretrack.DeliverySkipped, formatTime(s.clock()), deliveryID, hiretrack.DeliveryPending)
	if err != nil {
		return hiretrack.Internal("skip webhook delivery", err)
	}
	return nil
}
