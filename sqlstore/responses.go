package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

const responseColumns = `r.id, r.application_id, r.stage_id, r.module_id, m.type, r.invite_status, r.score, r.data,
	r.invited_at, r.expires_at, r.opened_at, r.started_at, r.completed_at, r.result, r.rule_fired`

const responseFrom = ` FROM responses r JOIN modules m ON m.id = r.module_id `

// scanResponse reads one row of responseColumns, with the status as of now.
func scanResponse(row scanner, now time.Time) (hiretrack.Response, error) {
	var r hiretrack.Response
	var data, result, ruleFired sql.NullString
	var opened, started, completed nullTime
	err := row.Scan(&r.ID, &r.ApplicationID, &r.StageID, &r.ModuleID, &r.ModuleType, &r.InviteStatus, &r.Score, &data,
		textTime{&r.InvitedAt}, textTime{&r.ExpiresAt}, &opened, &started, &completed, &result, &ruleFired)
	if err != nil {
		return r, err
	}
	if result.Valid {
		if err := json.Unmarshal([]byte(result.String), &r.Result); err != nil {
			return r, fmt.Errorf("read result of response %d: %w", r.ID, err)
		}
	}
	r.RuleFired = hiretrack.RuleName(ruleFired.String)

	if data.Valid {
		r.Data = []byte(data.String)
	}
	r.OpenedAt, r.StartedAt, r.CompletedAt = opened.t, started.t, completed.t
	r.InviteStatus = effectiveStatus(r.InviteStatus, r.ExpiresAt, now)
	return r, nil
}

// readResponse returns one response of the company.
func readResponse(ctx context.Context, q queryer, companyID, responseID int64, now time.Time) (hiretrack.Response, error) {
	r, err := scanResponse(q.QueryRowContext(ctx,
		`SELECT `+responseColumns+responseFrom+`WHERE r.id = ? AND r.company_id = ?`, responseID, companyID), now)
	if errors.Is(err, sql.ErrNoRows) {
		return r, hiretrack.NotFoundf("response %d not found", responseID)
	}
	if err != nil {
		return r, fmt.Errorf("read response %d: %w", responseID, err)
	}
	return r, nil
}

// readResponses returns the responses of an application, oldest first.
func readResponses(ctx context.Context, q queryer, applicationID int64, now time.Time) ([]hiretrack.Response, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT `+responseColumns+responseFrom+`WHERE r.application_id = ? ORDER BY r.id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("read responses of application %d: %w", applicationID, err)
	}
	defer rows.Close()

	responses := []hiretrack.Response{}
	for rows.Next() {
		r, err := scanResponse(rows, now)
		if err != nil {
			return nil, fmt.Errorf("read responses of application %d: %w", applicationID, err)
		}
		responses = append(responses, r)
	}
	return responses, rows.Err()
}

// RecordResult marks a response started or completed and, on completion,
// fires the automation rules of its stage.
func (s *Store) RecordResult(ctx context.Context, p hiretrack.ResultParams) (hiretrack.ResultOutcome, error) {
	var out hiretrack.ResultOutcome
	err := s.withTx(ctx, "record result", func(tx *dialectTx) error {
		out = hiretrack.ResultOutcome{}
		companyID, now := p.Principal.CompanyID, s.clock()
		r, err := readResponse(ctx, tx, companyID, p.ResponseID, now)
		if err != nil {
			return err
		}
		// The response is read again after the lock, because a concurrent
		// report may have completed it meanwhile.
		if err := lockApplication(ctx, tx, r.ApplicationID); err != nil {
			return err
		}
		if r, err = readResponse(ctx, tx, companyID, p.ResponseID, now); err != nil {
			return err
		}
		if err := s.prepareResult(ctx, tx, &p, r); err != nil {
			return err
		}
		if sameResult(r, p) {
			out.Response = r
			return nil
		}
		if err := checkResponseOpen(ctx, tx, r); err != nil {
			return err
		}
		if r.CompletedAt != nil {
			return hiretrack.Errorf(hiretrack.KindConflict, "response_completed",
				"response %d is already Completed with another result; a completed response cannot be changed", r.ID)
		}

		if err := s.applyResult(ctx, tx, p, r, now); err != nil {
			return err
		}
		if err := refreshApplicantSummary(ctx, tx, r.ApplicationID); err != nil {
			return err
		}
		return s.finishResult(ctx, tx, p, &out, now)
	})
	return out, err
}

// finishResult fires the rules of a completed response and reads the
// response as the transaction leaves it.
func (s *Store) finishResult(ctx context.Context, tx *dialectTx, p hiretrack.ResultParams, out *hiretrack.ResultOutcome, now time.Time) error {
	companyID := p.Principal.CompanyID
	r, err := readResponse(ctx, tx, companyID, p.ResponseID, now)
	if err != nil {
		return err
	}
	if p.Status == hiretrack.InviteCompleted {
		if out.Fired, err = s.fireRules(ctx, tx, companyID, r); err != nil {
			return err
		}
	}
	out.Response, err = readResponse(ctx, tx, companyID, p.ResponseID, now)
	return err
}

// applyResult writes the new status, score and data and the timeline event.
// Reporting Started for a response already started changes nothing.
func (s *Store) applyResult(ctx context.Context, tx *dialectTx, p hiretrack.ResultParams, r hiretrack.Response, now time.Time) error {
	if p.Status == hiretrack.InviteStarted && r.StartedAt != nil {
		return nil
	}

	var data *string
	if p.Data != nil {
		text := string(p.Data)
		data = &text
	}
	stamp := formatTime(now)
	query := `UPDATE responses SET invite_status = ?, started_at = COALESCE(started_at, ?) WHERE id = ?`
	args := []any{p.Status, stamp, r.ID}
	eventType := hiretrack.EventStarted
	if p.Status == hiretrack.InviteCompleted {
		query = `UPDATE responses SET invite_status = ?, started_at = COALESCE(started_at, ?), completed_at = ?,
			score = COALESCE(?, score), data = COALESCE(?, data), result = ? WHERE id = ?`
		args = []any{p.Status, stamp, stamp, p.Score, data, resultText(p.Fields), r.ID}
		eventType = hiretrack.EventCompleted
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("update response %d: %w", r.ID, err)
	}

	eventData := map[string]any{}
	if p.Score != nil && p.Status == hiretrack.InviteCompleted {
		eventData["score"] = *p.Score
	}
	return insertEvent(ctx, tx, eventRow{
		companyID: p.Principal.CompanyID, applicationID: r.ApplicationID, responseID: &r.ID, stageID: r.StageID,
		typ: eventType, actor: p.Principal.Actor(), at: now, data: jsonText(eventData),
	})
}
