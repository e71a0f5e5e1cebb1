package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
)

// feedPayloadKeys are the top-level keys of a feed payload that erasure
// keeps: ids, the event's type and time, and the actor, which is an API key,
// "candidate" or "system" and never names the candidate. The data object
// keeps only eventDataKeys and email_kind, so the candidate's name, email,
// form answers, scores, results and the stage and track objects are removed.
var feedPayloadKeys = []string{"event_id", "type", "occurred_at", "seq", "track_id", "application_id",
	"candidate_id", "stage_id", "response_id", "actor"}

// eraseFeedEvents reduces the payloads of the candidate's feed events to
// ids. Webhook deliveries read the payload from feed_events when they run,
// so a pending delivery or a redelivery sends the reduced payload too.
func eraseFeedEvents(ctx context.Context, tx *dialectTx, companyID, candidateID int64) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, payload FROM feed_events WHERE company_id = ? AND candidate_id = ? ORDER BY id`,
		companyID, candidateID)
	if err != nil {
		return fmt.Errorf("read feed events of candidate %d: %w", candidateID, err)
	}
	reduced := map[int64]string{}
	var order []int64
	for rows.Next() {
		var id int64
		var payload string
		if err := rows.Scan(&id, &payload); err != nil {
			rows.Close()
			return fmt.Errorf("read feed events of candidate %d: %w", candidateID, err)
		}
		reduced[id] = reduceFeedPayload(payload)
		order = append(order, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read feed events of candidate %d: %w", candidateID, err)
	}

	for _, id := range order {
		if _, err := tx.ExecContext(ctx, `UPDATE feed_events SET payload = ? WHERE id = ?`, reduced[id], id); err != nil {
			return fmt.Errorf("erase payload of feed event %d: %w", id, err)
		}
	}
	return nil
}

// reduceFeedPayload returns a payload with only feedPayloadKeys and the
// kept data keys. A payload that is not a JSON object becomes one with an
// empty data object.
func reduceFeedPayload(payload string) string {
	var fields map[string]any
	_ = json.Unmarshal([]byte(payload), &fields)
	kept := map[string]any{}
	for _, k := range feedPayloadKeys {
		if v, ok := fields[k]; ok {
			kept[k] = v
		}
	}

	data := map[string]any{"erased": true}
	old, _ := fields["data"].(map[string]any)
	for _, k := range append([]string{"email_kind"}, eventDataKeys...) {
		if v, ok := old[k]; ok {
			data[k] = v
		}
	}
	kept["data"] = data
	return *jsonText(kept)
}

// readFeedEvents returns the payloads of the candidate's feed events in
// the order they happened, for the export.
func readFeedEvents(ctx context.Context, tx *dialectTx, companyID, candidateID int64) ([]json.RawMessage, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT payload FROM feed_events WHERE company_id = ? AND candidate_id = ? ORDER BY id`,
		companyID, candidateID)
	if err != nil {
		return nil, fmt.Errorf("read feed events of candidate %d: %w", candidateID, err)
	}
	defer rows.Close()

	events := []json.RawMessage{}
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("read feed events of candidate %d: %w", candidateID, err)
		}
		events = append(events, json.RawMessage(payload))
	}
	return events, rows.Err()
}
