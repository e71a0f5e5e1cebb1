package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// Invite creates or finds the application and gives it a track invitation link.
func (s *Store) Invite(ctx context.Context, p hiretrack.InviteParams) (hiretrack.Invitation, error) {
	var inv hiretrack.Invitation
	err := s.withTx(ctx, "invite", func(tx *dialectTx) error {
		inv = hiretrack.Invitation{TrackID: p.TrackID}
		companyID, now := p.Principal.CompanyID, s.clock()
		track, err := readTrack(ctx, tx, companyID, p.TrackID)
		if err != nil {
			return err
		}
		first := track.Stages[0]

		// On PostgreSQL the upsert locks the candidate's row, or the new
		// row's key, until commit, so invites and imports of one email run
		// one at a time and the later ones find the application the first
		// created. Locking the application serializes the reissue with
		// transitions and candidate page writes.
		inv.CandidateID, inv.Name, inv.Email, err = upsertCandidate(ctx, tx, companyID, p.CandidateName, p.Email, now)
		if err != nil {
			return err
		}

		err = tx.QueryRowContext(ctx, `SELECT id FROM applications WHERE track_id = ? AND candidate_id = ?`+tx.dialect.rowLock(),
			p.TrackID, inv.CandidateID).Scan(&inv.ApplicationID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = s.createApplication(ctx, tx, p, first, &inv, now)
		case err == nil:
			err = s.reissueInvitation(ctx, tx, p, first, &inv, now)
		default:
			err = fmt.Errorf("find application: %w", err)
		}
		if err != nil {
			return err
		}
		if err := refreshApplicantSummary(ctx, tx, inv.ApplicationID); err != nil {
			return err
		}

		if p.Format == hiretrack.InviteSendLink {
			job := hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: inv.ResponseID, ApplicationID: inv.ApplicationID}
			inv.EmailQueued = true
			return s.queueEmail(ctx, tx, companyID, job, first.ID, p.Principal.Actor(), now)
		}
		return nil
	})
	return inv, err
}

// createApplication puts a new application in the first stage with a Pending response.
func (s *Store) createApplication(ctx context.Context, tx *dialectTx, p hiretrack.InviteParams, first hiretrack.Stage, inv *hiretrack.Invitation, now time.Time) error {
	err := tx.QueryRowContext(ctx, `
		INSERT INTO applications (company_id, track_id, candidate_id, stage_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Principal.CompanyID, p.TrackID, inv.CandidateID, first.ID, hiretrack.ApplicationActive,
		formatTime(now), formatTime(now)).Scan(&inv.ApplicationID)
	if err != nil {
		return fmt.Errorf("insert application: %w", err)
	}

	inv.ResponseID, inv.ExpiresAt, err = insertResponse(ctx, tx, newResponse{
		companyID: p.Principal.CompanyID, applicationID: inv.ApplicationID, stage: first, token: p.Token, window: p.Window, now: now,
	})
	if err != nil {
		return err
	}
	inv.InviteStatus = hiretrack.InvitePending
	inv.StartsAt = p.Window.StartsAt
	inv.Created = true

	return insertEvent(ctx, tx, eventRow{
		companyID: p.Principal.CompanyID, applicationID: inv.ApplicationID, responseID: &inv.ResponseID,
		stageID: first.ID, typ: hiretrack.EventInvited, actor: p.Principal.Actor(), at: now,
		data: jsonText(map[string]any{"invite_format": p.Format}),
	})
}

// reissueInvitation gives the newest response of the first stage (the
// track invitation, or a later one after a move back) a new token, so the
// old link stops working. An unfinished invitation also gets a renewed
// expiry; a completed one keeps its status.
func (s *Store) reissueInvitation(ctx context.Context, tx *dialectTx, p hiretrack.InviteParams, first hiretrack.Stage, inv *hiretrack.Invitation, now time.Time) error {
	var hours int
	err := tx.QueryRowContext(ctx, `
		SELECT r.id, r.invite_status, r.expires_at, s.invite_valid_hours
		FROM responses r JOIN stages s ON s.id = r.stage_id
		WHERE r.application_id = ? AND r.stage_id = ? ORDER BY r.id DESC LIMIT 1`,
		inv.ApplicationID, first.ID).Scan(&inv.ResponseID, &inv.InviteStatus, textTime{&inv.ExpiresAt}, &hours)
	if err != nil {
		return fmt.Errorf("read track invitation of application %d: %w", inv.ApplicationID, err)
	}

	// A completed invitation keeps its times, so that only the token changes.
	var startsAt *time.Time
	if inv.InviteStatus != hiretrack.InviteCompleted {
		startsAt, inv.ExpiresAt = linkTimes(now, hours, p.Window)
		inv.StartsAt = startsAt
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE responses SET token_hash = ?, token_sealed = ?, expires_at = ?, starts_at = ?, revoked_at = NULL WHERE id = ?`,
		string(p.Token.Hash), p.Token.Sealed, formatTime(inv.ExpiresAt), formatNullTime(startsAt), inv.ResponseID)
	if err != nil {
		return fmt.Errorf("reissue token: %w", err)
	}

	return insertEvent(ctx, tx, eventRow{
		companyID: p.Principal.CompanyID, applicationID: inv.ApplicationID, responseID: &inv.ResponseID,
		stageID: first.ID, typ: hiretrack.EventReinvited, actor: p.Principal.Actor(), at: now,
		data: jsonText(map[string]any{"invite_format": p.Format}),
	})
}
