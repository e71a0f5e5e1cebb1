package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hiretrack/hiretrack"
)

// SetOpenLink creates the open link of a track, or replaces its token and
// window, which also enables a disabled link.
func (s *Store) SetOpenLink(ctx context.Context, p hiretrack.OpenLinkParams) (hiretrack.OpenLink, error) {
	out := hiretrack.OpenLink{TrackID: p.TrackID, StartsAt: utcPointer(p.Window.StartsAt), ExpiresAt: utcPointer(p.Window.ExpiresAt)}
	err := s.withTx(ctx, "set open link", func(tx *dialectTx) error {
		track, err := readTrack(ctx, tx, p.CompanyID, p.TrackID)
		if err != nil {
			return err
		}
		if _, err := firstForm(ctx, tx, track.Stages[0]); err != nil {
			return err
		}

		out.CreatedAt = s.clock()
		_, err = tx.ExecContext(ctx, `
			INSERT INTO open_links (track_id, company_id, token_hash, starts_at, expires_at, created_at, disabled_at)
			VALUES (?, ?, ?, ?, ?, ?, NULL)
			ON CONFLICT (track_id) DO UPDATE SET token_hash = excluded.token_hash, starts_at = excluded.starts_at,
				expires_at = excluded.expires_at, created_at = excluded.created_at, disabled_at = NULL`,
			p.TrackID, p.CompanyID, string(p.TokenHash), formatNullTime(out.StartsAt), formatNullTime(out.ExpiresAt),
			formatTime(out.CreatedAt))
		if err != nil {
			return fmt.Errorf("store open link of track %d: %w", p.TrackID, err)
		}
		return nil
	})
	return out, err
}

// utcPointer returns t in UTC, in whole microseconds as stored, or nil.
func utcPointer(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// firstForm returns the form module of a track's first stage, or
// first_stage_not_form when that stage is not a form.
func firstForm(ctx context.Context, q queryer, first hiretrack.Stage) (hiretrack.Module, error) {
	m, err := scanModule(q.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = ?`, *first.ModuleID))
	if err != nil {
		return m, fmt.Errorf("read module %d: %w", *first.ModuleID, err)
	}
	if m.Type != hiretrack.ModuleForm {
		return m, hiretrack.Errorf(hiretrack.KindUnprocessable, "first_stage_not_form",
			"the first stage %q of this track is of type %s; an open application link needs a form first stage", first.Name, m.Type)
	}
	return m, nil
}

// DisableOpenLink disables the enabled open link of a track.
func (s *Store) DisableOpenLink(ctx context.Context, companyID, trackID int64) error {
	return s.withTx(ctx, "disable open link", func(tx *dialectTx) error {
		if _, err := readTrack(ctx, tx, companyID, trackID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE open_links SET disabled_at = ? WHERE track_id = ? AND company_id = ? AND disabled_at IS NULL`,
			formatTime(s.clock()), trackID, companyID)
		if err != nil {
			return fmt.Errorf("disable open link of track %d: %w", trackID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return hiretrack.NotFoundf("track %d has no enabled open link", trackID)
		}
		return nil
	})
}

// OpenApplyPage returns the page of a usable open link.
func (s *Store) OpenApplyPage(ctx context.Context, hash hiretrack.SecretHash) (hiretrack.ApplyPage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return hiretrack.ApplyPage{}, hiretrack.Internal("open apply page", err)
	}
	defer tx.Rollback()

	page, _, err := s.readOpenLink(ctx, tx, hash)
	if err != nil {
		return page, wrapInternal("open apply page", err)
	}
	return page, nil
}

// readOpenLink finds the open link of a token hash, checks its window and
// returns the page with the track's company.
func (s *Store) readOpenLink(ctx context.Context, q queryer, hash hiretrack.SecretHash) (hiretrack.ApplyPage, int64, error) {
	var page hiretrack.ApplyPage
	var companyID int64
	var startsAt, expiresAt, disabledAt nullTime
	err := q.QueryRowContext(ctx, `
		SELECT track_id, company_id, starts_at, expires_at, disabled_at FROM open_links WHERE token_hash = ?`,
		string(hash)).Scan(&page.TrackID, &companyID, &startsAt, &expiresAt, &disabledAt)
	if errors.Is(err, sql.ErrNoRows) {
		return page, 0, hiretrack.Errorf(hiretrack.KindNotFound, "apply_not_found", "this application link is not valid")
	}
	if err != nil {
		return page, 0, fmt.Errorf("read open link: %w", err)
	}

	now := s.now()
	switch {
	case disabledAt.t != nil:
		return page, 0, hiretrack.Errorf(hiretrack.KindGone, "apply_closed", "applications through this link are closed")
	case startsAt.t != nil && now.Before(*startsAt.t):
		return page, 0, hiretrack.Errorf(hiretrack.KindGone, "apply_not_started",
			"applications through this link open on %s", startsAt.t.Format(pageTimeLayout))
	case expiresAt.t != nil && !now.Before(*expiresAt.t):
		return page, 0, hiretrack.Errorf(hiretrack.KindGone, "apply_expired",
			"applications through this link closed on %s", expiresAt.t.Format(pageTimeLayout))
	}

	track, err := readTrack(ctx, q, companyID, page.TrackID)
	if err != nil {
		return page, 0, err
	}
	page.TrackTitle, page.Stage = track.Title, track.Stages[0].Ref()
	page.Module, err = firstForm(ctx, q, track.Stages[0])
	return page, companyID, err
}

// Apply creates a candidate and an application from the public form.
func (s *Store) Apply(ctx context.Context, p hiretrack.ApplyParams) (hiretrack.Transition, hiretrack.ApplyPage, error) {
	var out hiretrack.Transition
	var page hiretrack.ApplyPage
	err := s.withTx(ctx, "apply", func(tx *dialectTx) error {
		var companyID int64
		var err error
		page, companyID, err = s.readOpenLink(ctx, tx, p.TokenHash)
		if err != nil {
			return err
		}
		answers, err := checkAnswers(page.Module.Questions, p.Values)
		if err != nil {
			return err
		}

		now := s.clock()
		track, err := readTrack(ctx, tx, companyID, page.TrackID)
		if err != nil {
			return err
		}
		out = hiretrack.Transition{Kind: "apply", TrackID: track.ID, To: track.Stages[0], Status: hiretrack.ApplicationActive}
		// The upsert serializes submissions of one email, as in ImportApplication.
		out.CandidateID, out.Name, out.Email, err = upsertCandidate(ctx, tx, companyID, p.CandidateName, p.Email, now)
		if err != nil {
			return err
		}
		if err := checkNotApplied(ctx, tx, track.ID, out.CandidateID); err != nil {
			return err
		}
		err = s.insertImported(ctx, tx, importedRow{
			companyID: companyID, actor: hiretrack.ActorCandidate, token: p.Token, answers: answers,
			eventData: map[string]any{"source": "open_link"},
		}, &out, now)
		if err != nil {
			return err
		}

		// The open link's form completes the first stage as the candidate
		// page does, so the stage's automation rules run here too.
		return s.fireFormRules(ctx, tx, companyID, out.ResponseID)
	})
	return out, page, err
}
