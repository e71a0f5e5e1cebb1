package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// InviteEmail returns what the mail worker needs for one response.
func (s *Store) InviteEmail(ctx context.Context, responseID int64) (hiretrack.InviteEmail, error) {
	m := hiretrack.InviteEmail{ResponseID: responseID}
	var startsAt nullTime
	err := s.read().QueryRowContext(ctx, `
		SELECT r.application_id, c.name, c.email, t.title, st.name, r.token_sealed, r.expires_at, r.starts_at
		FROM responses r
		JOIN applications a ON a.id = r.application_id
		JOIN candidates c ON c.id = a.candidate_id
		JOIN tracks t ON t.id = a.track_id
		JOIN stages st ON st.id = r.stage_id
		WHERE r.id = ?`, responseID).
		Scan(&m.ApplicationID, &m.CandidateName, &m.Email, &m.TrackTitle, &m.StageName, &m.TokenSealed, textTime{&m.ExpiresAt}, &startsAt)
	if errors.Is(err, sql.ErrNoRows) {
		return m, hiretrack.NotFoundf("response %d not found", responseID)
	}
	if err != nil {
		return m, hiretrack.Internal("read invite email", err)
	}
	m.StartsAt = startsAt.t
	return m, nil
}

// RecordEmailEvent appends an email outcome to the application's timeline.
// An event of a job without a response, such as a rejection, has the
// application's current stage and a NULL response_id.
func (s *Store) RecordEmailEvent(ctx context.Context, job hiretrack.EmailJob, eventType string, data map[string]any) error {
	return s.withTx(ctx, "record email event", func(tx *dialectTx) error {
		companyID, stageID, err := emailEventStage(ctx, tx, job)
		if err != nil {
			return err
		}

		var responseID *int64
		if job.ResponseID != 0 {
			responseID = &job.ResponseID
		}
		return insertEvent(ctx, tx, eventRow{
			companyID: companyID, applicationID: job.ApplicationID, responseID: responseID, stageID: stageID,
			typ: eventType, actor: hiretrack.ActorSystem, at: s.clock(), data: jsonText(data),
		})
	})
}

// emailEventStage returns the company and stage of the response that job
// names, or of its application when it names no response.
func emailEventStage(ctx context.Context, tx *dialectTx, job hiretrack.EmailJob) (companyID int64, stageID string, err error) {
	query, table, id := `SELECT company_id, stage_id FROM responses WHERE id = ?`, "response", job.ResponseID
	if job.ResponseID == 0 {
		query, table, id = `SELECT company_id, stage_id FROM applications WHERE id = ?`, "application", job.ApplicationID
	}

	if err := tx.QueryRowContext(ctx, query, id).Scan(&companyID, &stageID); err != nil {
		return 0, "", fmt.Errorf("read %s %d: %w", table, id, err)
	}
	return companyID, stageID, nil
}

// RejectionEmail returns what the mail worker needs for the rejection email
// of one application.
func (s *Store) RejectionEmail(ctx context.Context, applicationID int64) (hiretrack.RejectionEmail, error) {
	m := hiretrack.RejectionEmail{ApplicationID: applicationID}
	err := s.read().QueryRowContext(ctx, `
		SELECT c.name, c.email, t.title, a.status
		FROM applications a
		JOIN candidates c ON c.id = a.candidate_id
		JOIN tracks t ON t.id = a.track_id
		WHERE a.id = ?`, applicationID).
		Scan(&m.CandidateName, &m.Email, &m.TrackTitle, &m.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return m, hiretrack.NotFoundf("application %d not found", applicationID)
	}
	if err != nil {
		return m, hiretrack.Internal("read rejection email", err)
	}
	return m, nil
}
