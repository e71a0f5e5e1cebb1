package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hiretrack/hiretrack"
)

// inviteRow is an invite link's response with what decides whether the link is usable.
type inviteRow struct {
	page      hiretrack.InvitePage
	companyID int64
	appStage  string
	appStatus hiretrack.ApplicationStatus
	opened    bool
	started   bool
	revoked   bool
}

// readInvite finds the response of a token hash and checks the link is
// usable: KindNotFound for an unknown token, KindGone for one that was used,
// whose application left the stage, or that expired.
func (s *Store) readInvite(ctx context.Context, tx *dialectTx, hash hiretrack.SecretHash) (inviteRow, error) {
	var in inviteRow
	if err := lockInviteApplication(ctx, tx, hash); err != nil {
		return in, err
	}

	var moduleID int64
	var opened, started, startsAt, revoked nullTime
	err := tx.QueryRowContext(ctx, `
		SELECT r.id, r.application_id, r.company_id, r.module_id, r.invite_status, r.expires_at, r.opened_at, r.started_at,
			r.starts_at, r.revoked_at, c.name, t.title, st.id, st.name, st.type, a.stage_id, a.status
		FROM responses r
		JOIN applications a ON a.id = r.application_id
		JOIN candidates c ON c.id = a.candidate_id
		JOIN tracks t ON t.id = a.track_id
		JOIN stages st ON st.id = r.stage_id
		WHERE r.token_hash = ?`, string(hash)).
		Scan(&in.page.ResponseID, &in.page.ApplicationID, &in.companyID, &moduleID, &in.page.InviteStatus,
			textTime{&in.page.ExpiresAt}, &opened, &started, &startsAt, &revoked, &in.page.CandidateName, &in.page.TrackTitle,
			&in.page.Stage.ID, &in.page.Stage.Name, &in.page.Stage.Type, &in.appStage, &in.appStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return in, hiretrack.Errorf(hiretrack.KindNotFound, "invite_not_found", "this invite link is not valid")
	}
	if err != nil {
		return in, fmt.Errorf("read invite: %w", err)
	}
	in.opened, in.started, in.revoked = opened.t != nil, started.t != nil, revoked.t != nil
	in.page.StartsAt = startsAt.t

	in.page.Module, err = scanModule(tx.QueryRowContext(ctx,
		`SELECT `+moduleColumns+` FROM modules WHERE id = ?`, moduleID))
	if err != nil {
		return in, fmt.Errorf("read module %d: %w", moduleID, err)
	}
	return in, s.checkUsable(in)
}

// lockInviteApplication locks the application of a token's response, so
// that the reads of readInvite that follow see the writes of any candidate
// page request, result report or transition that ran at the same time. A
// reissue that changed the token meanwhile makes readInvite find no
// response. On SQLite, and for an unknown token, it does nothing.
func lockInviteApplication(ctx context.Context, tx *dialectTx, hash hiretrack.SecretHash) error {
	if tx.dialect != Postgres {
		return nil
	}
	var applicationID int64
	err := tx.QueryRowContext(ctx, `SELECT application_id FROM responses WHERE token_hash = ?`, string(hash)).Scan(&applicationID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read invite: %w", err)
	}
	return lockApplication(ctx, tx, applicationID)
}

// checkUsable returns a KindGone error when the link can no longer be used.
func (s *Store) checkUsable(in inviteRow) error {
	switch {
	case in.page.InviteStatus == hiretrack.InviteCompleted:
		return hiretrack.Errorf(hiretrack.KindGone, "invite_completed", "this step is already completed")
	case in.appStatus != hiretrack.ApplicationActive || in.appStage != in.page.Stage.ID ||
		in.page.InviteStatus == hiretrack.InviteExpired:
		// A transition stores Expired on the open responses of the stage it
		// leaves. Moving back to that stage creates a new response, so the
		// expired one stays closed even then.
		return hiretrack.Errorf(hiretrack.KindGone, "invite_closed", "this step is closed")
	case in.revoked:
		return hiretrack.Errorf(hiretrack.KindGone, "invite_revoked", "this invite link was withdrawn")
	case !s.now().Before(in.page.ExpiresAt):
		return hiretrack.Errorf(hiretrack.KindGone, "invite_expired", "this invite link expired on %s",
			in.page.ExpiresAt.UTC().Format(pageTimeLayout))
	case in.page.StartsAt != nil && s.now().Before(*in.page.StartsAt):
		return hiretrack.Errorf(hiretrack.KindForbidden, "invite_not_started", "this invite link opens on %s",
			in.page.StartsAt.UTC().Format(pageTimeLayout))
	}
	return nil
}

// pageTimeLayout is the layout of times on candidate pages, such as "2026-03-09 09:30 UTC".
const pageTimeLayout = "2006-01-02 15:04 MST"

// OpenInvite returns the page of a usable link and records the first opening.
func (s *Store) OpenInvite(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.InvitePage, error) {
	var page hiretrack.InvitePage
	err := s.withTx(ctx, "open invite", func(tx *dialectTx) error {
		in, err := s.readInvite(ctx, tx, hash)
		page = in.page
		if err != nil || in.opened {
			return err
		}
		return s.markResponse(ctx, tx, in, "opened_at", "", hiretrack.EventOpened)
	})
	return page, err
}

// StartInvite marks the response of a non-form stage Started.
func (s *Store) StartInvite(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.InvitePage, error) {
	var page hiretrack.InvitePage
	err := s.withTx(ctx, "start invite", func(tx *dialectTx) error {
		in, err := s.readInvite(ctx, tx, hash)
		if err != nil {
			return err
		}
		if in.page.Module.Type == hiretrack.ModuleForm {
			return hiretrack.Errorf(hiretrack.KindConflict, "form_stage", "a form stage is completed by submitting its answers")
		}
		in.page.InviteStatus = hiretrack.InviteStarted
		page = in.page
		if in.started {
			return nil
		}
		return s.markResponse(ctx, tx, in, "started_at", hiretrack.InviteStarted, hiretrack.EventStarted)
	})
	return page, err
}

// markResponse sets one time column, and the status when given, and appends the event.
func (s *Store) markResponse(ctx context.Context, tx *dialectTx, in inviteRow, column string, status hiretrack.InviteStatus, eventType string) error {
	now := s.clock()
	query := `UPDATE responses SET ` + column + ` = ? WHERE id = ?`
	args := []any{formatTime(now), in.page.ResponseID}
	if status != "" {
		query = `UPDATE responses SET ` + column + ` = ?, invite_status = ? WHERE id = ?`
		args = []any{formatTime(now), status, in.page.ResponseID}
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("update response %d: %w", in.page.ResponseID, err)
	}
	if err := refreshApplicantSummary(ctx, tx, in.page.ApplicationID); err != nil {
		return err
	}

	return insertEvent(ctx, tx, eventRow{
		companyID: in.companyID, applicationID: in.page.ApplicationID, responseID: &in.page.ResponseID,
		stageID: in.page.Stage.ID, typ: eventType, actor: hiretrack.ActorCandidate, at: now,
	})
}

// SubmitForm validates and stores form answers and completes the response.
func (s *Store) SubmitForm(ctx context.Context, hash hiretrack.SecretHash, values []string) (hiretrack.InvitePage, error) {
	var page hiretrack.InvitePage
	err := s.withTx(ctx, "submit form", func(tx *dialectTx) error {
		in, err := s.readInvite(ctx, tx, hash)
		page = in.page
		if err != nil {
			return err
		}
		if in.page.Module.Type != hiretrack.ModuleForm {
			return hiretrack.Errorf(hiretrack.KindConflict, "not_a_form", "this stage has no form to submit")
		}

		answers, err := checkAnswers(in.page.Module.Questions, values)
		if err != nil {
			return err
		}
		page.InviteStatus = hiretrack.InviteCompleted
		return s.completeForm(ctx, tx, in, answers)
	})
	return page, err
}

// maxAnswerLen is the maximum length of one form answer in characters.
const maxAnswerLen = 10000

// checkAnswers pairs values with questions and checks required answers,
// answer lengths and options.
func checkAnswers(questions []hiretrack.Question, values []string) ([]hiretrack.Answer, error) {
	answers := make([]hiretrack.Answer, 0, len(questions))
	for i, q := range questions {
		value := ""
		if i < len(values) {
			value = strings.TrimSpace(values[i])
		}
		field := fmt.Sprintf("q%d", i+1)
		if value == "" && q.Required {
			return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "missing_answer", "%q is required", q.Label)
		}
		if n := utf8.RuneCountInString(value); n > maxAnswerLen {
			return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "invalid_answer",
				"%q is %d characters long; the maximum is %d", q.Label, n, maxAnswerLen)
		}
		if value != "" && q.Kind == hiretrack.QuestionChoice && !slices.Contains(q.Options, value) {
			return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, field, "invalid_answer",
				"%q is %q; it must be one of: %s", q.Label, value, strings.Join(q.Options, ", "))
		}
		answers = append(answers, hiretrack.Answer{Label: q.Label, Value: value})
	}
	return answers, nil
}

// completeForm stores the answers and marks the response Completed.
func (s *Store) completeForm(ctx context.Context, tx *dialectTx, in inviteRow, answers []hiretrack.Answer) error {
	at := s.clock()
	now := formatTime(at)
	data := jsonText(map[string]any{"answers": answers})
	_, err := tx.ExecContext(ctx, `
		UPDATE responses SET invite_status = ?, data = ?, started_at = COALESCE(started_at, ?), completed_at = ?
		WHERE id = ?`, hiretrack.InviteCompleted, *data, now, now, in.page.ResponseID)
	if err != nil {
		return fmt.Errorf("complete response %d: %w", in.page.ResponseID, err)
	}
	if err := refreshApplicantSummary(ctx, tx, in.page.ApplicationID); err != nil {
		return err
	}

	err = insertEvent(ctx, tx, eventRow{
		companyID: in.companyID, applicationID: in.page.ApplicationID, responseID: &in.page.ResponseID,
		stageID: in.page.Stage.ID, typ: hiretrack.EventCompleted, actor: hiretrack.ActorCandidate, at: at,
	})
	if err != nil {
		return err
	}
	return s.fireFormRules(ctx, tx, in.companyID, in.page.ResponseID)
}
