package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// eventPayload is the JSON body of a webhook and of a feed entry. The ids
// are null only in webhook.test events.
type eventPayload struct {
	EventID       string         `json:"event_id"`
	Type          string         `json:"type"`
	OccurredAt    time.Time      `json:"occurred_at"`
	Seq           *int64         `json:"seq"`
	TrackID       *int64         `json:"track_id"`
	ApplicationID *int64         `json:"application_id"`
	CandidateID   *int64         `json:"candidate_id"`
	StageID       *string        `json:"stage_id"`
	ResponseID    *int64         `json:"response_id"`
	Actor         string         `json:"actor"`
	Data          map[string]any `json:"data"`
}

// stageRef is a stage as payloads show it.
type stageRef struct {
	ID   string `json:"stage_id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// buildPayload reads what a receiver needs about the event's application,
// in the event's transaction, so the payload shows the state the change
// left. It returns the payload and the application's candidate id.
func buildPayload(ctx context.Context, tx *dialectTx, typ string, seq int64, e eventRow) (eventPayload, int64, error) {
	eventID, err := newEventID()
	if err != nil {
		return eventPayload{}, 0, err
	}
	p := eventPayload{
		EventID: eventID, Type: typ, OccurredAt: e.at, Seq: &seq, ApplicationID: &e.applicationID,
		StageID: &e.stageID, ResponseID: e.responseID, Actor: e.actor, Data: map[string]any{},
	}

	// The timeline data (from_stage_id, invite_format, score, attempt,
	// error, …) is kept as it is, and the lookups below add to it.
	if e.data != nil {
		if err := json.Unmarshal([]byte(*e.data), &p.Data); err != nil {
			return p, 0, fmt.Errorf("decode %s event data: %w", e.typ, err)
		}
	}

	var trackID, candidateID int64
	if err := addApplication(ctx, tx, &p, &trackID, &candidateID); err != nil {
		return p, 0, err
	}
	p.TrackID, p.CandidateID = &trackID, &candidateID
	if err := addStages(ctx, tx, &p, e.stageID); err != nil {
		return p, 0, err
	}
	if e.responseID != nil {
		if err := addResponse(ctx, tx, &p, *e.responseID); err != nil {
			return p, 0, err
		}
	}
	if typ == hiretrack.WebhookEmailSent || typ == hiretrack.WebhookEmailFailed {
		// Rejection emails are the only ones without a response.
		p.Data["email_kind"] = hiretrack.EmailRejection
		if e.responseID != nil {
			p.Data["email_kind"] = hiretrack.EmailInvite
		}
	}
	return p, candidateID, nil
}

// addApplication adds the candidate, the track and the application's
// status and current stage.
func addApplication(ctx context.Context, tx *dialectTx, p *eventPayload, trackID, candidateID *int64) error {
	var name, email, status, title string
	var current stageRef
	err := tx.QueryRowContext(ctx, `
		SELECT a.track_id, a.candidate_id, c.name, c.email, a.status, t.title, st.id, st.name, st.type
		FROM applications a
		JOIN candidates c ON c.id = a.candidate_id
		JOIN tracks t ON t.id = a.track_id
		JOIN stages st ON st.id = a.stage_id
		WHERE a.id = ?`, *p.ApplicationID).
		Scan(trackID, candidateID, &name, &email, &status, &title, &current.ID, &current.Name, &current.Type)
	if err != nil {
		return fmt.Errorf("read application %d for the feed: %w", *p.ApplicationID, err)
	}

	p.Data["candidate"] = map[string]any{"name": name, "email": email}
	p.Data["track"] = map[string]any{"title": title}
	p.Data["application"] = map[string]any{"status": status, "current_stage": current}
	return nil
}

// addStages adds the event's stage and, for transitions, the stages it
// came from and went to, each with its name and type.
func addStages(ctx context.Context, tx *dialectTx, p *eventPayload, stageID string) error {
	fields := map[string]string{"stage": stageID}
	if from, ok := p.Data["from_stage_id"].(string); ok {
		fields["from_stage"] = from
	}
	if to, ok := p.Data["to_stage_id"].(string); ok {
		fields["to_stage"] = to
	}

	for field, id := range fields {
		var ref stageRef
		err := tx.QueryRowContext(ctx, `SELECT id, name, type FROM stages WHERE id = ?`, id).
			Scan(&ref.ID, &ref.Name, &ref.Type)
		if err != nil {
			return fmt.Errorf("read stage %s for the feed: %w", id, err)
		}
		p.Data[field] = ref
	}
	return nil
}

// addResponse adds the response with its status, expiry, score and data:
// the form answers or the result that an integration reported.
func addResponse(ctx context.Context, tx *dialectTx, p *eventPayload, responseID int64) error {
	var moduleType, status string
	var score *float64
	var data *string
	var expiresAt time.Time
	err := tx.QueryRowContext(ctx, `
		SELECT m.type, r.invite_status, r.score, r.data, r.expires_at
		FROM responses r JOIN modules m ON m.id = r.module_id
		WHERE r.id = ?`, responseID).Scan(&moduleType, &status, &score, &data, textTime{&expiresAt})
	if err != nil {
		return fmt.Errorf("read response %d for the feed: %w", responseID, err)
	}

	response := map[string]any{
		"response_id": responseID, "module_type": moduleType, "invite_status": status,
		"score": score, "expires_at": expiresAt, "data": nil,
	}
	if data != nil {
		response["data"] = json.RawMessage(*data)
	}
	p.Data["response"] = response
	return nil
}
