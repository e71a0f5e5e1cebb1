package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hiretrack/hiretrack"
)

// DeliveryInserter queues the job of one webhook delivery in the caller's
// transaction, so that the job commits with the event.
type DeliveryInserter func(ctx context.Context, tx *sql.Tx, deliveryID int64) error

// SetDeliveryInserter sets how the store queues webhook deliveries. The
// server calls it once, before it serves requests.
func (s *Store) SetDeliveryInserter(insert DeliveryInserter) { s.insertDelivery = insert }

// appendFeedEvent adds the feed entry of a timeline event whose type the
// feed carries, and a delivery to each enabled endpoint subscribed to it.
// It runs in the transaction of the change, so a rolled-back change leaves
// no event and a committed one always has its deliveries.
func (s *Store) appendFeedEvent(ctx context.Context, tx *dialectTx, e eventRow) error {
	typ := hiretrack.FeedEventType(e.typ)
	if typ == "" {
		return nil
	}

	seq, err := nextSeq(ctx, tx, e.companyID)
	if err != nil {
		return err
	}
	payload, candidateID, err := buildPayload(ctx, tx, typ, seq, e)
	if err != nil {
		return err
	}

	feedID, err := insertFeedEvent(ctx, tx, feedRow{
		companyID: e.companyID, seq: &seq, eventID: payload.EventID, typ: typ,
		applicationID: &e.applicationID, candidateID: &candidateID, payload: payload, at: formatTime(e.at),
	})
	if err != nil {
		return err
	}
	return s.queueDeliveries(ctx, tx, e.companyID, feedID, typ, &e.applicationID, &seq)
}

// nextSeq increments the company's feed counter. The row stays locked
// until the transaction ends, so on PostgreSQL the transactions that write
// events of one company commit in seq order.
func nextSeq(ctx context.Context, tx *dialectTx, companyID int64) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO company_event_seqs (company_id, last_seq) VALUES (?, 1)
		ON CONFLICT (company_id) DO UPDATE SET last_seq = company_event_seqs.last_seq + 1
		RETURNING last_seq`, companyID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("next feed seq of company %d: %w", companyID, err)
	}
	return seq, nil
}

// feedRow is a feed_events row to insert. Test events have no seq,
// application or candidate.
type feedRow struct {
	companyID     int64
	seq           *int64
	eventID       string
	typ           string
	applicationID *int64
	candidateID   *int64
	payload       any
	at            string
}

func insertFeedEvent(ctx context.Context, tx *dialectTx, r feedRow) (int64, error) {
	body, err := json.Marshal(r.payload)
	if err != nil {
		return 0, fmt.Errorf("encode %s payload: %w", r.typ, err)
	}

	var id int64
	err = tx.QueryRowContext(ctx, `
		INSERT INTO feed_events (company_id, seq, event_id, type, application_id, candidate_id, payload, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.companyID, r.seq, r.eventID, r.typ, r.applicationID, r.candidateID, string(body), r.at).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert %s feed event: %w", r.typ, err)
	}
	return id, nil
}

// queueDeliveries inserts a delivery and its job for each enabled endpoint
// of the company that subscribes to typ.
func (s *Store) queueDeliveries(ctx context.Context, tx *dialectTx, companyID, feedID int64, typ string, applicationID, seq *int64) error {
	endpoints, err := subscribedEndpoints(ctx, tx, companyID, typ)
	if err != nil {
		return err
	}
	for _, endpointID := range endpoints {
		if _, err := s.queueDelivery(ctx, tx, deliveryRow{
			companyID: companyID, endpointID: endpointID, feedID: feedID, applicationID: applicationID, seq: seq,
		}); err != nil {
			return err
		}
	}
	return nil
}

// subscribedEndpoints returns the ids of the company's enabled endpoints
// that subscribe to typ.
func subscribedEndpoints(ctx context.Context, tx *dialectTx, companyID int64, typ string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, events FROM webhook_endpoints WHERE company_id = ? AND enabled = 1 ORDER BY id`, companyID)
	if err != nil {
		return nil, fmt.Errorf("read webhook endpoints: %w", err)
	}
	defer rows.Close()

	var ids []int64
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			return nil, fmt.Errorf("scan webhook endpoint: %w", err)
		}
		if slices.Contains(strings.Split(events, ","), typ) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// deliveryRow is a webhook_deliveries row to insert.
type deliveryRow struct {
	companyID     int64
	endpointID    int64
	feedID        int64
	applicationID *int64
	seq           *int64
}

// queueDelivery inserts one pending delivery and queues its job.
func (s *Store) queueDelivery(ctx context.Context, tx *dialectTx, d deliveryRow) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO webhook_deliveries (company_id, endpoint_id, feed_event_id, application_id, seq, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.companyID, d.endpointID, d.feedID, d.applicationID, d.seq, hiretrack.DeliveryPending, formatTime(s.clock())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert webhook delivery: %w", err)
	}
	if s.insertDelivery == nil {
		return id, nil
	}
	if err := s.insertDelivery(ctx, tx.tx, id); err != nil {
		return 0, fmt.Errorf("queue webhook delivery %d: %w", id, err)
	}
	return id, nil
}

// newEventID returns a random event id of 128 bits, such as
// "evt_mfrggzdfmztwq2lknnwg23tpoa".
func newEventID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	return "evt_" + strings.ToLower(enc), nil
}

// Events returns feed events of the company after a seq, in seq order.
func (s *Store) Events(ctx context.Context, companyID, after int64, limit int) ([]hiretrack.FeedEvent, error) {
	rows, err := s.read().QueryContext(ctx, `
		SELECT seq, payload FROM feed_events
		WHERE company_id = ? AND seq > ? ORDER BY seq LIMIT ?`, companyID, after, limit)
	if err != nil {
		return nil, hiretrack.Internal("read events", err)
	}
	defer rows.Close()

	events := []hiretrack.FeedEvent{}
	for rows.Next() {
		var e hiretrack.FeedEvent
		var payload string
		if err := rows.Scan(&e.Seq, &payload); err != nil {
			return nil, hiretrack.Internal("scan event", err)
		}
		e.Payload = json.RawMessage(payload)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, hiretrack.Internal("read events", err)
	}
	return events, nil
}

// errNoRow reports whether err is the no-row error of a single-row query.
func errNoRow(err error) bool { return errors.Is(err, sql.ErrNoRows) }
