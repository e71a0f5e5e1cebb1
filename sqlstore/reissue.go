package sqlstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/hiretrack/hiretrack"
)

// Reissue rate limit: at most ReissueLimit reinvited events per response
// within ReissueWindow, counted in the database so that every server of a
// PostgreSQL deployment shares it. Reissues through POST /tracks/invite
// count as well, although that endpoint is not limited.
const (
	ReissueLimit  = 5
	ReissueWindow = time.Hour
)

// linkRow is a response with what decides whether its link can be reissued.
type linkRow struct {
	resp        hiretrack.Response
	companyID   int64
	stored      hiretrack.InviteStatus // the stored status, without expiry applied
	startsAt    *time.Time
	revoked     bool
	tokenSealed []byte
	hours       int
	appStage    string
	appStatus   hiretrack.ApplicationStatus
}

// readLink locks the response's application and reads the response.
func (s *Store) readLink(ctx context.Context, tx *dialectTx, companyID, responseID int64, now time.Time) (linkRow, error) {
	var l linkRow
	first, err := readResponse(ctx, tx, companyID, responseID, now)
	if err != nil {
		return l, err
	}
	// The response is read again after the lock, because a concurrent
	// candidate page or transition may have changed it meanwhile.
	if err := lockApplication(ctx, tx, first.ApplicationID); err != nil {
		return l, err
	}
	if l.resp, err = readResponse(ctx, tx, companyID, responseID, now); err != nil {
		return l, err
	}

	var startsAt, revoked nullTime
	err = tx.QueryRowContext(ctx, `
		SELECT r.company_id, r.invite_status, r.starts_at, r.revoked_at, r.token_sealed, st.invite_valid_hours, a.stage_id, a.status
		FROM responses r JOIN stages st ON st.id = r.stage_id JOIN applications a ON a.id = r.application_id
		WHERE r.id = ?`, responseID).
		Scan(&l.companyID, &l.stored, &startsAt, &revoked, &l.tokenSealed, &l.hours, &l.appStage, &l.appStatus)
	if err != nil {
		return l, fmt.Errorf("read link of response %d: %w", responseID, err)
	}
	l.startsAt, l.revoked = startsAt.t, revoked.t != nil
	return l, nil
}

// checkOpen returns response_completed or response_closed for a response
// whose link can no longer be reissued or revoked.
func (l linkRow) checkOpen() error {
	if l.stored == hiretrack.InviteCompleted {
		return hiretrack.Errorf(hiretrack.KindConflict, "response_completed",
			"response %d is Completed; its link can no longer be used", l.resp.ID)
	}
	// A transition stores Expired on the open responses of the stage it leaves.
	if l.appStatus != hiretrack.ApplicationActive || l.appStage != l.resp.StageID || l.stored == hiretrack.InviteExpired {
		return hiretrack.Errorf(hiretrack.KindConflict, "response_closed",
			"response %d is closed because application %d left its stage or is no longer active", l.resp.ID, l.resp.ApplicationID)
	}
	return nil
}

// ReissueInvite renews a link's expiry, replacing its token when it expired,
// was revoked or p.Regenerate is set, and queues the email for sendlink.
func (s *Store) ReissueInvite(ctx context.Context, p hiretrack.ReissueParams) (hiretrack.Reissue, error) {
	var out hiretrack.Reissue
	err := s.withTx(ctx, "reissue invite", func(tx *dialectTx) error {
		now, companyID := s.clock(), p.Principal.CompanyID
		l, err := s.readLink(ctx, tx, companyID, p.ResponseID, now)
		if err != nil {
			return err
		}
		if err := l.checkOpen(); err != nil {
			return err
		}
		if err := checkReissueRate(ctx, tx, l.resp, now); err != nil {
			return err
		}

		out, err = s.writeReissue(ctx, tx, p, l, now)
		if err != nil {
			return err
		}
		if p.Format == hiretrack.InviteSendLink {
			job := hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: l.resp.ID, ApplicationID: l.resp.ApplicationID}
			out.EmailQueued = true
			if err := s.queueEmail(ctx, tx, companyID, job, l.resp.StageID, p.Principal.Actor(), now); err != nil {
				return err
			}
		}
		out.Response, err = readResponse(ctx, tx, companyID, p.ResponseID, now)
		return err
	})
	return out, err
}

// checkReissueRate returns KindRateLimited when the response was reissued
// ReissueLimit times within the last ReissueWindow.
func checkReissueRate(ctx context.Context, tx *dialectTx, r hiretrack.Response, now time.Time) error {
	var count int
	var oldest nullTime
	err := tx.QueryRowContext(ctx, `
		SELECT count(*), min(created_at) FROM events WHERE response_id = ? AND type = ? AND created_at > ?`,
		r.ID, hiretrack.EventReinvited, formatTime(now.Add(-ReissueWindow))).Scan(&count, &oldest)
	if err != nil {
		return fmt.Errorf("count reissues of response %d: %w", r.ID, err)
	}
	if count < ReissueLimit {
		return nil
	}

	retryAfter := int64(math.Ceil(oldest.t.Add(ReissueWindow).Sub(now).Seconds()))
	e := hiretrack.Errorf(hiretrack.KindRateLimited, "reissue_rate_limited",
		"response %d was reissued %d times within the last %s, the maximum; retry after %d s",
		r.ID, count, formatWindow(ReissueWindow), retryAfter)
	e.Extra = map[string]any{"retry_after": max(retryAfter, 1)}
	return e
}

func formatWindow(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return d.String()
}

// writeReissue updates the link and appends the reinvited event.
func (s *Store) writeReissue(ctx context.Context, tx *dialectTx, p hiretrack.ReissueParams, l linkRow, now time.Time) (hiretrack.Reissue, error) {
	out := hiretrack.Reissue{Regenerated: p.Regenerate || l.revoked || !now.Before(l.resp.ExpiresAt)}
	window := p.Window
	if window.StartsAt == nil {
		window.StartsAt = l.startsAt
	}
	startsAt, expiresAt := linkTimes(now, l.hours, window)
	out.StartsAt = startsAt

	query := `UPDATE responses SET expires_at = ?, starts_at = ?, revoked_at = NULL WHERE id = ?`
	args := []any{formatTime(expiresAt), formatNullTime(startsAt), l.resp.ID}
	out.TokenSealed = l.tokenSealed
	if out.Regenerated {
		query = `UPDATE responses SET expires_at = ?, starts_at = ?, revoked_at = NULL, token_hash = ?, token_sealed = ? WHERE id = ?`
		args = []any{formatTime(expiresAt), formatNullTime(startsAt), string(p.Token.Hash), p.Token.Sealed, l.resp.ID}
		out.TokenSealed = nil
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return out, fmt.Errorf("reissue response %d: %w", l.resp.ID, err)
	}
	if err := refreshApplicantSummary(ctx, tx, l.resp.ApplicationID); err != nil {
		return out, err
	}

	data := map[string]any{"invite_format": p.Format, "regenerated": out.Regenerated, "expires_at": expiresAt}
	if startsAt != nil {
		data["starts_at"] = *startsAt
	}
	return out, insertEvent(ctx, tx, eventRow{
		companyID: l.companyID, applicationID: l.resp.ApplicationID, responseID: &l.resp.ID, stageID: l.resp.StageID,
		typ: hiretrack.EventReinvited, actor: p.Principal.Actor(), at: now, data: jsonText(data),
	})
}

// RevokeInvite makes a link unusable at once. Revoking a revoked link
// changes nothing.
func (s *Store) RevokeInvite(ctx context.Context, principal hiretrack.Principal, responseID int64) (hiretrack.Response, error) {
	var out hiretrack.Response
	err := s.withTx(ctx, "revoke invite", func(tx *dialectTx) error {
		now, companyID := s.clock(), principal.CompanyID
		l, err := s.readLink(ctx, tx, companyID, responseID, now)
		if err != nil {
			return err
		}
		if err := l.checkOpen(); err != nil {
			return err
		}
		if !l.revoked {
			if err := s.writeRevoke(ctx, tx, principal, l, now); err != nil {
				return err
			}
		}
		out, err = readResponse(ctx, tx, companyID, responseID, now)
		return err
	})
	return out, err
}

// writeRevoke sets revoked_at and moves the expiry to now, unless it is
// already past, so that reads show the response as Expired.
func (s *Store) writeRevoke(ctx context.Context, tx *dialectTx, principal hiretrack.Principal, l linkRow, now time.Time) error {
	expiresAt := l.resp.ExpiresAt
	if now.Before(expiresAt) {
		expiresAt = now
	}
	_, err := tx.ExecContext(ctx, `UPDATE responses SET revoked_at = ?, expires_at = ? WHERE id = ?`,
		formatTime(now), formatTime(expiresAt), l.resp.ID)
	if err != nil {
		return fmt.Errorf("revoke response %d: %w", l.resp.ID, err)
	}
	if err := refreshApplicantSummary(ctx, tx, l.resp.ApplicationID); err != nil {
		return err
	}
	return insertEvent(ctx, tx, eventRow{
		companyID: l.companyID, applicationID: l.resp.ApplicationID, responseID: &l.resp.ID, stageID: l.resp.StageID,
		typ: hiretrack.EventInviteRevoked, actor: principal.Actor(), at: now,
	})
}
