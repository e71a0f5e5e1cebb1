package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// ExportCandidate reads the candidate, each application in full and the
// queued email jobs in one read transaction, so the parts agree.
func (s *Store) ExportCandidate(ctx context.Context, companyID, candidateID int64) (hiretrack.CandidateExport, error) {
	var out hiretrack.CandidateExport
	tx, err := s.beginRead(ctx)
	if err != nil {
		return out, hiretrack.Internal("export candidate", err)
	}
	defer tx.Rollback()

	out, err = s.readExport(ctx, tx, companyID, candidateID)
	if err != nil {
		return out, wrapInternal("export candidate", err)
	}
	return out, nil
}

func (s *Store) readExport(ctx context.Context, tx *dialectTx, companyID, candidateID int64) (hiretrack.CandidateExport, error) {
	out := hiretrack.CandidateExport{Applications: []hiretrack.ApplicantDetail{}, Emails: []hiretrack.QueuedEmail{}}
	c := &out.Candidate
	var erasedAt nullTime
	err := tx.QueryRowContext(ctx, `
		SELECT id, name, email, created_at, erased_at FROM candidates WHERE id = ? AND company_id = ?`,
		candidateID, companyID).Scan(&c.ID, &c.Name, &c.Email, textTime{&c.CreatedAt}, &erasedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return out, hiretrack.NotFoundf("candidate %d not found", candidateID)
	}
	if err != nil {
		return out, fmt.Errorf("read candidate %d: %w", candidateID, err)
	}
	c.ErasedAt = erasedAt.t

	ids, err := candidateApplications(ctx, tx, companyID, candidateID)
	if err != nil {
		return out, err
	}
	for _, id := range ids {
		var trackID int64
		if err := tx.QueryRowContext(ctx, `SELECT track_id FROM applications WHERE id = ?`, id).Scan(&trackID); err != nil {
			return out, fmt.Errorf("read application %d: %w", id, err)
		}
		d, err := s.readApplicant(ctx, tx, companyID, trackID, id)
		if err != nil {
			return out, err
		}
		out.Applications = append(out.Applications, d)

		emails, err := readEmailJobs(ctx, tx, id)
		if err != nil {
			return out, err
		}
		out.Emails = append(out.Emails, emails...)
	}
	out.Events, err = readFeedEvents(ctx, tx, companyID, candidateID)
	return out, err
}

// readEmailJobs returns the email jobs of an application that River still
// holds, oldest first.
func readEmailJobs(ctx context.Context, tx *dialectTx, applicationID int64) ([]hiretrack.QueuedEmail, error) {
	args := `json(args)`
	if tx.dialect == Postgres {
		args = `args::text`
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, kind, state, attempt, `+args+` FROM river_job
		WHERE kind IN (?, ?) AND `+tx.dialect.jobApplicationID()+` = ? ORDER BY id`,
		emailJobKinds[0], emailJobKinds[1], applicationID)
	if err != nil {
		return nil, fmt.Errorf("read email jobs of application %d: %w", applicationID, err)
	}
	defer rows.Close()

	var jobs []hiretrack.QueuedEmail
	for rows.Next() {
		var j hiretrack.QueuedEmail
		var text string
		if err := rows.Scan(&j.JobID, &j.Kind, &j.State, &j.Attempt, &text); err != nil {
			return nil, fmt.Errorf("read email jobs of application %d: %w", applicationID, err)
		}
		j.Args = []byte(text)
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}
