package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hiretrack/hiretrack"
)

// ImportApplication adds an applicant whose first-stage form was filled in
// elsewhere: the application starts with its track invitation completed.
func (s *Store) ImportApplication(ctx context.Context, p hiretrack.ImportParams) (hiretrack.Transition, error) {
	var out hiretrack.Transition
	err := s.withTx(ctx, "import application", func(tx *dialectTx) error {
		companyID, now := p.Principal.CompanyID, s.clock()
		track, err := readTrack(ctx, tx, companyID, p.TrackID)
		if err != nil {
			return err
		}
		first := track.Stages[0]
		answers, err := importAnswers(ctx, tx, first, p.Fields)
		if err != nil {
			return err
		}

		out = hiretrack.Transition{Kind: "import", TrackID: track.ID, To: first, Status: hiretrack.ApplicationActive}
		out.CandidateID, out.Name, out.Email, err = upsertCandidate(ctx, tx, companyID, p.CandidateName, p.Email, now)
		if err != nil {
			return err
		}
		if err := checkNotApplied(ctx, tx, track.ID, out.CandidateID); err != nil {
			return err
		}
		return s.insertImported(ctx, tx, importedRow{
			companyID: companyID, actor: p.Principal.Actor(), token: p.Token, answers: answers,
		}, &out, now)
	})
	return out, err
}

// importAnswers checks the answers against the first stage's form and
// returns them in question order.
func importAnswers(ctx context.Context, tx *dialectTx, first hiretrack.Stage, fields map[string]string) ([]hiretrack.Answer, error) {
	m, err := scanModule(tx.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = ?`, *first.ModuleID))
	if err != nil {
		return nil, fmt.Errorf("read module %d: %w", *first.ModuleID, err)
	}
	if m.Type != hiretrack.ModuleForm {
		return nil, hiretrack.Errorf(hiretrack.KindUnprocessable, "first_stage_not_form",
			"the first stage %q of this track is of type %s; importing an application needs a form first stage", first.Name, m.Type)
	}

	values := make([]string, len(m.Questions))
	known := map[string]bool{}
	for i, q := range m.Questions {
		values[i] = fields[q.Label]
		known[q.Label] = true
	}
	// Sorted, so that with several unknown labels the error names the same one every time.
	for _, label := range slices.Sorted(maps.Keys(fields)) {
		if !known[label] {
			return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, "fields", "unknown_field",
				"fields has %q, which is not a question of the form %q", label, m.Name)
		}
	}

	answers, err := checkAnswers(m.Questions, values)
	var e *hiretrack.Error
	if errors.As(err, &e) {
		// checkAnswers names the fields q1, q2 and so on of the candidate
		// page's form, but here the answers come in the fields object.
		e.Field = "fields"
		e.Message = "fields: " + e.Message
	}
	return answers, err
}

// checkNotApplied returns already_applied when the candidate is in the track.
func checkNotApplied(ctx context.Context, tx *dialectTx, trackID, candidateID int64) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM applications WHERE track_id = ? AND candidate_id = ?`,
		trackID, candidateID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find application: %w", err)
	}
	e := hiretrack.Errorf(hiretrack.KindConflict, "already_applied",
		"candidate %d already has application %d in track %d", candidateID, id, trackID)
	e.Extra = map[string]any{"application_id": id}
	return e
}

// importedRow is an application to create with its first stage completed.
// eventData, when not nil, is the data of its applied event.
type importedRow struct {
	companyID int64
	actor     string
	token     hiretrack.NewToken
	answers   []hiretrack.Answer
	eventData map[string]any
}

// insertImported creates the application and its completed first response.
func (s *Store) insertImported(ctx context.Context, tx *dialectTx, row importedRow, out *hiretrack.Transition, now time.Time) error {
	companyID, actor := row.companyID, row.actor
	err := tx.QueryRowContext(ctx, `
		INSERT INTO applications (company_id, track_id, candidate_id, stage_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		companyID, out.TrackID, out.CandidateID, out.To.ID, hiretrack.ApplicationActive, formatTime(now), formatTime(now)).
		Scan(&out.ApplicationID)
	if err != nil {
		return fmt.Errorf("insert application: %w", err)
	}

	out.ResponseID, out.ExpiresAt, err = insertResponse(ctx, tx, newResponse{
		companyID: companyID, applicationID: out.ApplicationID, stage: out.To, token: row.token, now: now,
	})
	if err != nil {
		return err
	}
	stamp := formatTime(now)
	_, err = tx.ExecContext(ctx, `
		UPDATE responses SET invite_status = ?, data = ?, started_at = ?, completed_at = ? WHERE id = ?`,
		hiretrack.InviteCompleted, *jsonText(map[string]any{"answers": row.answers}), stamp, stamp, out.ResponseID)
	if err != nil {
		return fmt.Errorf("complete imported response: %w", err)
	}
	if err := refreshApplicantSummary(ctx, tx, out.ApplicationID); err != nil {
		return err
	}

	for _, typ := range []string{hiretrack.EventApplied, hiretrack.EventCompleted} {
		var data *string
		if typ == hiretrack.EventApplied && row.eventData != nil {
			data = jsonText(row.eventData)
		}
		err := insertEvent(ctx, tx, eventRow{
			companyID: companyID, applicationID: out.ApplicationID, responseID: &out.ResponseID,
			stageID: out.To.ID, typ: typ, actor: actor, at: now, data: data,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
