package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// eventTypes names the timeline event of each transition kind.
var eventTypes = map[hiretrack.TransitionKind]string{
	hiretrack.TransitionAdvance:  hiretrack.EventAdvanced,
	hiretrack.TransitionMove:     hiretrack.EventMoved,
	hiretrack.TransitionReject:   hiretrack.EventRejected,
	hiretrack.TransitionUnreject: hiretrack.EventUnrejected,
	hiretrack.TransitionHire:     hiretrack.EventHired,
}

// applyTransition writes a planned transition: it closes the stage left,
// moves the application, creates the new response, writes the timeline and
// queues the emails.
func (s *Store) applyTransition(ctx context.Context, tx *dialectTx, p hiretrack.TransitionParams, pl *plan) error {
	now, companyID := s.clock(), p.Principal.CompanyID
	if err := expireOpenResponses(ctx, tx, pl.app.id, pl.from.ID); err != nil {
		return err
	}
	if err := moveApplication(ctx, tx, p.Kind, pl, now); err != nil {
		return err
	}

	var responseID *int64
	if pl.to.ModuleID != nil {
		id, expiresAt, err := insertResponse(ctx, tx, newResponse{
			companyID: companyID, applicationID: pl.app.id, stage: pl.to, token: p.Token, window: p.Window, now: now,
		})
		if err != nil {
			return err
		}
		pl.out.ResponseID, pl.out.ExpiresAt, responseID = id, expiresAt, &id
	}
	if err := refreshApplicantSummary(ctx, tx, pl.app.id); err != nil {
		return err
	}

	data := map[string]any{"from_stage_id": pl.from.ID, "to_stage_id": pl.to.ID}
	if p.Format != "" && responseID != nil {
		data["invite_format"] = p.Format
	}
	if p.Rule != "" {
		data["rule"] = p.Rule
	}
	err := insertEvent(ctx, tx, eventRow{
		companyID: companyID, applicationID: pl.app.id, responseID: responseID, stageID: pl.to.ID,
		typ: eventTypes[p.Kind], actor: transitionActor(p), at: now, data: jsonText(data),
	})
	if err != nil {
		return err
	}
	return s.queueTransitionEmail(ctx, tx, p, pl, now)
}

// expireOpenResponses closes the unfinished responses of the stage an
// application leaves, so their links stop working.
func expireOpenResponses(ctx context.Context, tx *dialectTx, applicationID int64, stageID string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE responses SET invite_status = ?
		WHERE application_id = ? AND stage_id = ? AND invite_status IN (?, ?)`,
		hiretrack.InviteExpired, applicationID, stageID, hiretrack.InvitePending, hiretrack.InviteStarted)
	if err != nil {
		return fmt.Errorf("expire responses of application %d: %w", applicationID, err)
	}
	return nil
}

// moveApplication sets the stage and status. A rejection records the stage
// it came from, and any other transition clears it.
func moveApplication(ctx context.Context, tx *dialectTx, kind hiretrack.TransitionKind, pl *plan, now time.Time) error {
	var rejectedFrom *string
	if pl.out.Status == hiretrack.ApplicationRejected {
		rejectedFrom = &pl.from.ID
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE applications SET stage_id = ?, status = ?, rejected_from_stage_id = ?, updated_at = ? WHERE id = ?`,
		pl.to.ID, pl.out.Status, rejectedFrom, formatTime(now), pl.app.id)
	if err != nil {
		return fmt.Errorf("%s application %d: %w", kind, pl.app.id, err)
	}
	return nil
}

// queueTransitionEmail queues the invite email of the new response for
// sendlink, or the rejection email.
func (s *Store) queueTransitionEmail(ctx context.Context, tx *dialectTx, p hiretrack.TransitionParams, pl *plan, now time.Time) error {
	actor := transitionActor(p)
	switch {
	case pl.out.ResponseID != 0 && p.Format == hiretrack.InviteSendLink:
		job := hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: pl.out.ResponseID, ApplicationID: pl.app.id}
		return s.queueEmail(ctx, tx, p.Principal.CompanyID, job, pl.to.ID, actor, now)
	case p.Kind == hiretrack.TransitionReject && p.SendEmail:
		job := hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: pl.app.id, Message: p.EmailMessage}
		return s.queueEmail(ctx, tx, p.Principal.CompanyID, job, pl.to.ID, actor, now)
	}
	return nil
}

// transitionActor returns the actor of a transition's events: the system
// for an automation rule, else the API key.
func transitionActor(p hiretrack.TransitionParams) string {
	if p.Rule != "" {
		return hiretrack.ActorSystem
	}
	return p.Principal.Actor()
}
