package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// Advance moves an application to the next regular stage of its track.
func (s *Store) Advance(ctx context.Context, p hiretrack.AdvanceParams) (hiretrack.Advancement, error) {
	var adv hiretrack.Advancement
	err := s.withTx(ctx, "advance", func(tx *sql.Tx) error {
		track, app, err := s.loadForAdvance(ctx, tx, p)
		if err != nil {
			return err
		}
		adv = hiretrack.Advancement{
			ApplicationID: app.id, CandidateID: app.candidateID, TrackID: track.ID,
			Name: app.name, Email: app.email,
		}

		next, err := s.checkAdvance(ctx, tx, track, app)
		if err != nil {
			return err
		}
		adv.Stage = next

		return s.enterStage(ctx, tx, p, app, next, &adv)
	})
	return adv, err
}

// loadForAdvance reads the track and the application and checks the
// application is active and, when the client sent one, in source_stage_id.
func (s *Store) loadForAdvance(ctx context.Context, tx *sql.Tx, p hiretrack.AdvanceParams) (hiretrack.Track, applicationRow, error) {
	companyID := p.Principal.CompanyID
	track, err := readTrack(ctx, tx, companyID, p.TrackID)
	if err != nil {
		return track, applicationRow{}, err
	}
	app, err := readApplication(ctx, tx, companyID, p.TrackID, p.ApplicationID)
	if err != nil {
		return track, app, err
	}

	if app.status != hiretrack.ApplicationActive {
		return track, app, hiretrack.Errorf(hiretrack.KindConflict, "application_closed",
			"application %d is %s; only active applications can be advanced", app.id, app.status)
	}

	current, _ := stageByID(track, app.stageID)
	if p.SourceStageID != "" && p.SourceStageID != app.stageID {
		e := hiretrack.Errorf(hiretrack.KindConflict, "stage_mismatch",
			"source_stage_id is %q but application %d is in stage %q (%s)", p.SourceStageID, app.id, current.ID, current.Name)
		e.Field = "source_stage_id"
		e.Extra = map[string]any{"current_stage": current.Ref()}
		return track, app, e
	}
	return track, app, nil
}

// checkAdvance checks the track invitation is completed and returns the next stage.
func (s *Store) checkAdvance(ctx context.Context, tx *sql.Tx, track hiretrack.Track, app applicationRow) (hiretrack.Stage, error) {
	first := track.Stages[0]
	var stored hiretrack.InviteStatus
	var expiresAt time.Time
	err := tx.QueryRowContext(ctx, `
		SELECT invite_status, expires_at FROM responses WHERE application_id = ? AND stage_id = ? ORDER BY id LIMIT 1`,
		app.id, first.ID).Scan(&stored, textTime{&expiresAt})
	if err != nil {
		return hiretrack.Stage{}, fmt.Errorf("read track invitation of application %d: %w", app.id, err)
	}

	if stored != hiretrack.InviteCompleted {
		status := effectiveStatus(stored, expiresAt, s.now())
		e := hiretrack.Errorf(hiretrack.KindConflict, "invitation_pending",
			"the track invitation of application %d is %s; the candidate must complete stage %q before the application can be advanced",
			app.id, status, first.Name)
		e.Extra = map[string]any{
			"candidate_id": app.candidateID, "email": app.email, "invite_status": status, "name": app.name,
			"status": "not_advanced", "application_id": app.id, "track_id": track.ID,
		}
		return hiretrack.Stage{}, e
	}

	current, _ := stageByID(track, app.stageID)
	for _, st := range track.Stages {
		if st.Position == current.Position+1 && !st.Type.Terminal() {
			return st, nil
		}
	}
	return hiretrack.Stage{}, hiretrack.Errorf(hiretrack.KindConflict, "no_next_stage",
		"application %d is in %q, the last regular stage of track %d; hiring is an explicit action, not an advance",
		app.id, current.Name, track.ID)
}

// enterStage moves the application into next, creates its response, writes
// the timeline and queues the email for sendlink.
func (s *Store) enterStage(ctx context.Context, tx *sql.Tx, p hiretrack.AdvanceParams, app applicationRow, next hiretrack.Stage, adv *hiretrack.Advancement) error {
	companyID, now, actor := p.Principal.CompanyID, s.clock(), p.Principal.Actor()
	_, err := tx.ExecContext(ctx, `UPDATE applications SET stage_id = ?, updated_at = ? WHERE id = ?`,
		next.ID, formatTime(now), app.id)
	if err != nil {
		return fmt.Errorf("move application %d: %w", app.id, err)
	}

	adv.ResponseID, adv.ExpiresAt, err = insertResponse(ctx, tx, newResponse{
		companyID: companyID, applicationID: app.id, stage: next, token: p.Token, now: now,
	})
	if err != nil {
		return err
	}

	err = insertEvent(ctx, tx, eventRow{
		companyID: companyID, applicationID: app.id, responseID: &adv.ResponseID, stageID: next.ID,
		typ: hiretrack.EventAdvanced, actor: actor, at: now,
		data: jsonText(map[string]any{"from_stage_id": app.stageID, "to_stage_id": next.ID, "invite_format": p.Format}),
	})
	if err != nil {
		return err
	}

	if p.Format != hiretrack.InviteSendLink {
		return nil
	}
	adv.EmailQueued = true
	job := hiretrack.EmailJob{ResponseID: adv.ResponseID, ApplicationID: app.id}
	return s.queueEmail(ctx, tx, companyID, job, next.ID, actor, now)
}
