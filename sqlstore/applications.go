package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
)

// applicationRow is an application with its candidate.
type applicationRow struct {
	id           int64
	trackID      int64
	candidateID  int64
	stageID      string
	status       hiretrack.ApplicationStatus
	rejectedFrom string // stage id; empty unless rejected
	name         string
	email        string
	createdAt    time.Time
	updatedAt    time.Time
}

// readApplication reads an application of the company and checks that it
// belongs to trackID. Both failures are KindNotFound, so a client cannot
// tell another company's application from a missing one.
func readApplication(ctx context.Context, q queryer, companyID, trackID, applicationID int64) (applicationRow, error) {
	a := applicationRow{id: applicationID}
	err := q.QueryRowContext(ctx, `
		SELECT a.track_id, a.candidate_id, a.stage_id, a.status, COALESCE(a.rejected_from_stage_id, ''),
			c.name, c.email, a.created_at, a.updated_at
		FROM applications a JOIN candidates c ON c.id = a.candidate_id
		WHERE a.id = ? AND a.company_id = ?`, applicationID, companyID).
		Scan(&a.trackID, &a.candidateID, &a.stageID, &a.status, &a.rejectedFrom, &a.name, &a.email,
			textTime{&a.createdAt}, textTime{&a.updatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return a, hiretrack.NotFoundf("application %d not found", applicationID)
	}
	if err != nil {
		return a, fmt.Errorf("read application %d: %w", applicationID, err)
	}
	if a.trackID != trackID {
		return a, hiretrack.NotFoundf("application %d not found in track %d", applicationID, trackID)
	}
	return a, nil
}

// upsertCandidate returns the company's candidate with this email, creating
// it when there is none. Emails match case-insensitively; an existing
// candidate keeps the name and spelling it was created with.
func upsertCandidate(ctx context.Context, tx *dialectTx, companyID int64, name, email string, now time.Time) (id int64, storedName, storedEmail string, err error) {
	err = tx.QueryRowContext(ctx, `
		INSERT INTO candidates (company_id, name, email, email_key, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (company_id, email_key) DO UPDATE SET email_key = excluded.email_key
		RETURNING id, name, email`,
		companyID, name, email, strings.ToLower(email), formatTime(now)).Scan(&id, &storedName, &storedEmail)
	if err != nil {
		return 0, "", "", fmt.Errorf("upsert candidate: %w", err)
	}
	return id, storedName, storedEmail, nil
}

// newResponse is a response to create when an application enters a stage.
type newResponse struct {
	companyID     int64
	applicationID int64
	stage         hiretrack.Stage
	token         hiretrack.NewToken
	window        hiretrack.LinkWindow
	now           time.Time
}

// insertResponse creates a Pending response whose link is bounded by
// r.window, and by default expires after the stage's invite_valid_hours.
func insertResponse(ctx context.Context, tx *dialectTx, r newResponse) (id int64, expiresAt time.Time, err error) {
	var hours int
	if err := tx.QueryRowContext(ctx, `SELECT invite_valid_hours FROM stages WHERE id = ?`, r.stage.ID).Scan(&hours); err != nil {
		return 0, time.Time{}, fmt.Errorf("read stage %s: %w", r.stage.ID, err)
	}
	startsAt, expiresAt := linkTimes(r.now, hours, r.window)

	err = tx.QueryRowContext(ctx, `
		INSERT INTO responses (company_id, application_id, stage_id, module_id, invite_status,
			token_hash, token_sealed, invited_at, expires_at, starts_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.companyID, r.applicationID, r.stage.ID, *r.stage.ModuleID, hiretrack.InvitePending,
		string(r.token.Hash), r.token.Sealed, formatTime(r.now), formatTime(expiresAt), formatNullTime(startsAt)).Scan(&id)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("insert response: %w", err)
	}
	return id, expiresAt, nil
}

// queueEmail inserts an email job and its timeline event.
func (s *Store) queueEmail(ctx context.Context, tx *dialectTx, companyID int64, job hiretrack.EmailJob, stageID, actor string, now time.Time) error {
	if err := s.insertJob(ctx, tx.tx, job); err != nil {
		return fmt.Errorf("queue invite email: %w", err)
	}
	var responseID *int64
	if job.ResponseID != 0 {
		responseID = &job.ResponseID
	}
	return insertEvent(ctx, tx, eventRow{
		companyID: companyID, applicationID: job.ApplicationID, responseID: responseID,
		stageID: stageID, typ: hiretrack.EventEmailQueued, actor: actor, at: now,
		data: jsonText(map[string]any{"kind": job.Kind}),
	})
}

// jsonText encodes v for an event's data column.
func jsonText(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of strings and numbers are passed here, which always encode.
		panic(fmt.Sprintf("encode event data: %v", err))
	}
	s := string(b)
	return &s
}

// stageByID returns the stage of a track with the given id.
func stageByID(t hiretrack.Track, id string) (hiretrack.Stage, bool) {
	for _, st := range t.Stages {
		if st.ID == id {
			return st, true
		}
	}
	return hiretrack.Stage{}, false
}
