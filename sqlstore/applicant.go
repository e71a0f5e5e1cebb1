package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// Applicant returns one application with its stages, responses and timeline.
func (s *Store) Applicant(ctx context.Context, companyID, trackID, applicationID int64) (hiretrack.ApplicantDetail, error) {
	var d hiretrack.ApplicantDetail
	tx, err := s.beginRead(ctx)
	if err != nil {
		return d, hiretrack.Internal("read applicant", err)
	}
	defer tx.Rollback()

	d, err = s.readApplicant(ctx, tx, companyID, trackID, applicationID)
	if err != nil {
		return d, wrapInternal("read applicant", err)
	}
	return d, nil
}

// readApplicant reads everything in one read transaction, so the parts agree.
func (s *Store) readApplicant(ctx context.Context, tx *dialectTx, companyID, trackID, applicationID int64) (hiretrack.ApplicantDetail, error) {
	var d hiretrack.ApplicantDetail
	track, err := readTrack(ctx, tx, companyID, trackID)
	if err != nil {
		return d, err
	}
	app, err := readApplication(ctx, tx, companyID, trackID, applicationID)
	if err != nil {
		return d, err
	}
	responses, err := readResponses(ctx, tx, applicationID, s.now())
	if err != nil {
		return d, err
	}
	timeline, err := readEvents(ctx, tx, applicationID)
	if err != nil {
		return d, err
	}

	current, _ := stageByID(track, app.stageID)
	d = hiretrack.ApplicantDetail{
		TrackID: track.ID, TrackTitle: track.Title, CurrentStage: current.Ref(),
		Stages: track.Stages, Responses: responses, Timeline: timeline,
		Applicant: summarize(app, track, responses),
	}
	d.Report = stageReport(track, responses)
	d.SubmittedResponse = submittedResponse(track, d.Report)
	return d, nil
}

// summarize builds the applicant row. stage_status is the status of the
// latest response in the current stage, or the application status in a
// terminal stage. score is that of the latest scored response. The track
// invitation status follows the rule advance checks: Completed when any
// first-stage response is completed, else the status of the latest one.
func summarize(app applicationRow, track hiretrack.Track, responses []hiretrack.Response) hiretrack.Applicant {
	a := hiretrack.Applicant{
		ApplicationID: app.id, CandidateID: app.candidateID, Name: app.name, Email: app.email,
		Status: app.status, StageStatus: string(app.status), DateAdded: app.createdAt, LastUpdatedAt: app.updatedAt,
	}
	first := track.Stages[0].ID
	for _, r := range responses {
		if r.StageID == first && a.TrackInvitationStatus != hiretrack.InviteCompleted {
			a.TrackInvitationStatus = r.InviteStatus
		}
		if r.StageID == app.stageID {
			a.StageStatus = string(r.InviteStatus)
		}
		if r.Score != nil {
			a.Score = r.Score
		}
	}
	return a
}

// readEvents returns an application's timeline, oldest first.
func readEvents(ctx context.Context, q queryer, applicationID int64) ([]hiretrack.Event, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT id, type, actor, stage_id, response_id, data, created_at FROM events
		WHERE application_id = ? ORDER BY id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("read timeline of application %d: %w", applicationID, err)
	}
	defer rows.Close()

	events := []hiretrack.Event{}
	for rows.Next() {
		var e hiretrack.Event
		var data sql.NullString
		if err := rows.Scan(&e.ID, &e.Type, &e.Actor, &e.StageID, &e.ResponseID, &data, textTime{&e.At}); err != nil {
			return nil, fmt.Errorf("read timeline of application %d: %w", applicationID, err)
		}
		if data.Valid && data.String != "{}" {
			e.Data = []byte(data.String)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}
