package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/hiretrack/hiretrack"
)

// eventDataKeys are the keys of event data that hold no personal values:
// stage ids, invite formats, email kinds and attempt counts. Erasure drops
// every other key, such as score and the error text of email_failed events,
// which can quote the candidate's address.
var eventDataKeys = []string{"invite_format", "from_stage_id", "to_stage_id", "kind", "attempt"}

// emailJobKinds are the River job kinds of the mail package, whose
// arguments name an application_id.
var emailJobKinds = []string{"invite_email", "rejection_email"}

// EraseCandidate erases a candidate's personal data in one transaction.
func (s *Store) EraseCandidate(ctx context.Context, p hiretrack.EraseParams) (hiretrack.Erasure, error) {
	var out hiretrack.Erasure
	err := s.withTx(ctx, "erase candidate", func(tx *dialectTx) error {
		out = hiretrack.Erasure{CandidateID: p.CandidateID, ApplicationIDs: []int64{}}
		companyID, now := p.Principal.CompanyID, s.clock()

		var name, email string
		var erasedAt nullTime
		err := tx.QueryRowContext(ctx, `
			SELECT name, email, erased_at FROM candidates WHERE id = ? AND company_id = ?`+tx.dialect.rowLock(),
			p.CandidateID, companyID).Scan(&name, &email, &erasedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return hiretrack.NotFoundf("candidate %d not found", p.CandidateID)
		}
		if err != nil {
			return fmt.Errorf("read candidate %d: %w", p.CandidateID, err)
		}
		out.ApplicationIDs, err = candidateApplications(ctx, tx, companyID, p.CandidateID)
		if err != nil {
			return err
		}
		if out.ResponseIDs, err = applicationResponses(ctx, tx, out.ApplicationIDs); err != nil {
			return err
		}
		if erasedAt.t != nil {
			out.ErasedAt, out.AlreadyErased = *erasedAt.t, true
			return nil
		}

		out.ErasedAt = now
		if err := s.eraseRecords(ctx, tx, p, out.ApplicationIDs, now); err != nil {
			return err
		}
		if err := scrubReplays(ctx, tx, p, []string{name, email}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, hiretrack.AuditEvent{
			CompanyID: companyID, KeyID: &p.Principal.KeyID, KeyPrefix: p.Principal.KeyPrefix,
			Actor: p.Principal.Actor(), Action: "candidate.erase", Route: p.Route, Status: 200,
			IDs:       map[string]int64{"candidate_id": p.CandidateID},
			Detail:    map[string]any{"application_ids": out.ApplicationIDs},
			RequestID: p.RequestID,
		}, now)
	})
	return out, err
}

// candidateApplications returns the ids of a candidate's applications, in order.
func candidateApplications(ctx context.Context, q queryer, companyID, candidateID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT id FROM applications WHERE candidate_id = ? AND company_id = ? ORDER BY id`, candidateID, companyID)
	if err != nil {
		return nil, fmt.Errorf("read applications of candidate %d: %w", candidateID, err)
	}
	defer rows.Close()

	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read applications of candidate %d: %w", candidateID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// applicationResponses returns the ids of the responses of applications.
func applicationResponses(ctx context.Context, tx *dialectTx, applicationIDs []int64) ([]int64, error) {
	var ids []int64
	for _, applicationID := range applicationIDs {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM responses WHERE application_id = ? ORDER BY id`, applicationID)
		if err != nil {
			return nil, fmt.Errorf("read responses of application %d: %w", applicationID, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read responses of application %d: %w", applicationID, err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read responses of application %d: %w", applicationID, err)
		}
	}
	return ids, nil
}

// eraseRecords overwrites the candidate row and the personal parts of each
// application: response answers, scores and links, event data and queued emails.
func (s *Store) eraseRecords(ctx context.Context, tx *dialectTx, p hiretrack.EraseParams, applicationIDs []int64, now time.Time) error {
	// The email_key keeps the unique (company_id, email_key) constraint
	// satisfied for many erased candidates, and matches no real address.
	_, err := tx.ExecContext(ctx, `
		UPDATE candidates SET name = ?, email = '', email_key = ?, erased_at = ? WHERE id = ?`,
		hiretrack.ErasedName, "erased:"+strconv.FormatInt(p.CandidateID, 10), formatTime(now), p.CandidateID)
	if err != nil {
		return fmt.Errorf("erase candidate %d: %w", p.CandidateID, err)
	}

	for _, id := range applicationIDs {
		if err := lockApplication(ctx, tx, id); err != nil {
			return err
		}
		if err := eraseApplication(ctx, tx, id); err != nil {
			return err
		}
	}
	return eraseFeedEvents(ctx, tx, p.Principal.CompanyID, p.CandidateID)
}

// eraseApplication erases the personal parts of one application: answers,
// score and typed result (review notes, reviewer name, report links). The
// rule_fired name stays, as it holds no personal value. A new
// token hash that no token has makes the old invite links show "not found".
func eraseApplication(ctx context.Context, tx *dialectTx, applicationID int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE responses SET data = NULL, score = NULL, result = NULL, token_hash = 'erased:' || id, token_sealed = ?
		WHERE application_id = ?`, []byte{}, applicationID)
	if err != nil {
		return fmt.Errorf("erase responses of application %d: %w", applicationID, err)
	}
	if err := eraseEventData(ctx, tx, applicationID); err != nil {
		return err
	}
	if err := deleteEmailJobs(ctx, tx, applicationID); err != nil {
		return err
	}
	return refreshApplicantSummary(ctx, tx, applicationID)
}

// eraseEventData keeps only eventDataKeys in the data of the application's events.
func eraseEventData(ctx context.Context, tx *dialectTx, applicationID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM events WHERE application_id = ? AND data IS NOT NULL`, applicationID)
	if err != nil {
		return fmt.Errorf("read events of application %d: %w", applicationID, err)
	}
	changed := map[int64]*string{}
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return fmt.Errorf("read events of application %d: %w", applicationID, err)
		}
		if kept, ok := keepEventData(data); ok {
			changed[id] = kept
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read events of application %d: %w", applicationID, err)
	}

	for _, id := range slices.Sorted(maps.Keys(changed)) {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET data = ? WHERE id = ?`, changed[id], id); err != nil {
			return fmt.Errorf("erase data of event %d: %w", id, err)
		}
	}
	return nil
}

// keepEventData returns data reduced to eventDataKeys, and whether that
// differs from data. Data that is not a JSON object is dropped whole.
func keepEventData(data string) (*string, bool) {
	var fields map[string]any
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		return nil, true
	}
	kept := map[string]any{}
	for _, k := range eventDataKeys {
		if v, ok := fields[k]; ok {
			kept[k] = v
		}
	}
	if len(kept) == len(fields) {
		return nil, false
	}
	return jsonText(kept), true
}

// deleteEmailJobs deletes the application's email jobs that no worker is
// running, and empties the recruiter's text in those that one is running,
// so that no queued text about the candidate stays in the queue.
//
// NOTE: River keeps the errors of earlier attempts of a running job, which
// can quote the candidate's address, until its retention period ends.
func deleteEmailJobs(ctx context.Context, tx *dialectTx, applicationID int64) error {
	where := ` AND ` + tx.dialect.jobApplicationID() + ` = ?`
	_, err := tx.ExecContext(ctx, `DELETE FROM river_job WHERE kind IN (?, ?) AND state <> 'running'`+where,
		emailJobKinds[0], emailJobKinds[1], applicationID)
	if err != nil {
		return fmt.Errorf("delete email jobs of application %d: %w", applicationID, err)
	}

	_, err = tx.ExecContext(ctx, `UPDATE river_job SET args = `+tx.dialect.jobArgsWithoutMessage()+
		` WHERE kind = ?`+where, emailJobKinds[1], applicationID)
	if err != nil {
		return fmt.Errorf("erase the text of running email jobs of application %d: %w", applicationID, err)
	}
	return nil
}

// jobArgsWithoutMessage returns the SQL expression of a river_job row's
// args with the message argument set to an empty string.
func (d Dialect) jobArgsWithoutMessage() string {
	if d == Postgres {
		return `jsonb_set(args, '{message}', '""'::jsonb)`
	}
	return `jsonb_set(args, '$.message', '')`
}

// jobApplicationID returns the SQL expression of the application_id
// argument of a river_job row. River stores args as JSONB on both
// databases; SQLite's json_extract reads its binary form too.
func (d Dialect) jobApplicationID() string {
	if d == Postgres {
		return `(args->>'application_id')::bigint`
	}
	return `json_extract(args, '$.application_id')`
}

// scrubReplays lets p.ScrubReplay rewrite each stored idempotent response of
// the company that contains one of values.
func scrubReplays(ctx context.Context, tx *dialectTx, p hiretrack.EraseParams, values []string) error {
	if p.ScrubReplay == nil {
		return nil
	}
	type stored struct {
		key  string
		resp hiretrack.IdempotentResponse
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT key, status_code, content_type, response_body FROM idempotency_keys
		WHERE company_id = ? AND completed_at IS NOT NULL ORDER BY key`, p.Principal.CompanyID)
	if err != nil {
		return fmt.Errorf("read idempotency keys: %w", err)
	}
	var all []stored
	for rows.Next() {
		var st stored
		if err := rows.Scan(&st.key, &st.resp.StatusCode, &st.resp.ContentType, &st.resp.Body); err != nil {
			rows.Close()
			return fmt.Errorf("read idempotency keys: %w", err)
		}
		all = append(all, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read idempotency keys: %w", err)
	}

	for _, st := range all {
		resp, changed, err := p.ScrubReplay(st.resp, values)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE idempotency_keys SET status_code = ?, content_type = ?, response_body = ?
			WHERE company_id = ? AND key = ?`,
			resp.StatusCode, resp.ContentType, resp.Body, p.Principal.CompanyID, st.key)
		if err != nil {
			return fmt.Errorf("scrub idempotency key: %w", err)
		}
	}
	return nil
}
