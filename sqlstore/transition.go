package sqlstore

import (
	"context"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// plan is a checked transition: where the application goes and what is created.
type plan struct {
	track hiretrack.Track
	app   applicationRow
	from  hiretrack.Stage
	to    hiretrack.Stage
	out   hiretrack.Transition
}

// Transition moves an application between stages. A dry run makes the
// same checks in a read transaction and writes nothing.
func (s *Store) Transition(ctx context.Context, p hiretrack.TransitionParams) (hiretrack.Transition, error) {
	if p.DryRun {
		return s.dryRun(ctx, p)
	}

	var out hiretrack.Transition
	err := s.withTx(ctx, "transition", func(tx *dialectTx) error {
		if err := lockApplication(ctx, tx, p.ApplicationID); err != nil {
			return err
		}
		pl, err := s.planTransition(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := s.applyTransition(ctx, tx, p, &pl); err != nil {
			return err
		}
		out = pl.out
		return nil
	})
	return out, err
}

func (s *Store) dryRun(ctx context.Context, p hiretrack.TransitionParams) (hiretrack.Transition, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return hiretrack.Transition{}, hiretrack.Internal("dry run", err)
	}
	defer tx.Rollback()

	pl, err := s.planTransition(ctx, tx, p)
	if err != nil {
		return hiretrack.Transition{}, wrapInternal("dry run", err)
	}
	pl.out.DryRun = true
	return pl.out, nil
}

// planTransition reads the track and application and runs every check.
func (s *Store) planTransition(ctx context.Context, q queryer, p hiretrack.TransitionParams) (plan, error) {
	var pl plan
	var err error
	pl.track, err = readTrack(ctx, q, p.Principal.CompanyID, p.TrackID)
	if err != nil {
		return pl, err
	}
	pl.app, err = readApplication(ctx, q, p.Principal.CompanyID, p.TrackID, p.ApplicationID)
	if err != nil {
		return pl, err
	}
	if p.CandidateID != 0 && p.CandidateID != pl.app.candidateID {
		return pl, hiretrack.NotFoundf("application %d of candidate %d not found in track %d", p.ApplicationID, p.CandidateID, p.TrackID)
	}
	pl.from, _ = stageByID(pl.track, pl.app.stageID)

	if err := checkSource(p, pl); err != nil {
		return pl, err
	}
	pl.to, err = s.destination(ctx, q, p, pl)
	if err != nil {
		return pl, err
	}

	pl.out = describe(p, pl)
	return pl, nil
}

// checkSource is the compare-and-set on source_stage_id.
func checkSource(p hiretrack.TransitionParams, pl plan) error {
	if p.SourceStageID == "" || p.SourceStageID == pl.app.stageID {
		return nil
	}
	e := hiretrack.Errorf(hiretrack.KindConflict, "stage_mismatch",
		"source_stage_id is %q but application %d is in stage %q (%s)", p.SourceStageID, pl.app.id, pl.from.ID, pl.from.Name)
	e.Field = "source_stage_id"
	e.Extra = map[string]any{"current_stage": pl.from.Ref()}
	return e
}

// destination checks the application's status for the kind of transition
// and returns the stage it goes to.
func (s *Store) destination(ctx context.Context, q queryer, p hiretrack.TransitionParams, pl plan) (hiretrack.Stage, error) {
	if p.Kind == hiretrack.TransitionUnreject {
		return unrejectTarget(pl)
	}
	if pl.app.status != hiretrack.ApplicationActive {
		return hiretrack.Stage{}, hiretrack.Errorf(hiretrack.KindConflict, "application_closed",
			"application %d is %s; only active applications can be moved (unreject a rejected one first)", pl.app.id, pl.app.status)
	}

	switch p.Kind {
	case hiretrack.TransitionAdvance:
		return s.advanceTarget(ctx, q, pl)
	case hiretrack.TransitionMove:
		return moveTarget(p, pl)
	case hiretrack.TransitionReject:
		return terminalStage(pl.track, hiretrack.StageRejected), nil
	case hiretrack.TransitionHire:
		return terminalStage(pl.track, hiretrack.StageHired), nil
	}
	return hiretrack.Stage{}, fmt.Errorf("unknown transition kind %q", p.Kind)
}

// advanceTarget requires a completed track invitation and returns the next regular stage.
func (s *Store) advanceTarget(ctx context.Context, q queryer, pl plan) (hiretrack.Stage, error) {
	first := pl.track.Stages[0]
	status, err := s.invitationStatus(ctx, q, pl.app.id, first.ID)
	if err != nil {
		return hiretrack.Stage{}, err
	}
	if status != hiretrack.InviteCompleted {
		e := hiretrack.Errorf(hiretrack.KindConflict, "invitation_pending",
			"the track invitation of application %d is %s; the candidate must complete stage %q before the application can be advanced",
			pl.app.id, status, first.Name)
		e.Extra = map[string]any{
			"candidate_id": pl.app.candidateID, "email": pl.app.email, "invite_status": status, "name": pl.app.name,
			"status": "not_advanced", "application_id": pl.app.id, "track_id": pl.track.ID,
		}
		return hiretrack.Stage{}, e
	}

	for _, st := range pl.track.Stages {
		if st.Position == pl.from.Position+1 && !st.Type.Terminal() {
			return st, nil
		}
	}
	return hiretrack.Stage{}, hiretrack.Errorf(hiretrack.KindConflict, "no_next_stage",
		"application %d is in %q, the last regular stage of track %d; hiring is an explicit action, not an advance",
		pl.app.id, pl.from.Name, pl.track.ID)
}

// invitationStatus returns Completed when a response of the first stage is
// completed, and otherwise the status of its latest response. An application
// moved back to the first stage has several responses there, and the first
// of them may have been expired by the move away.
func (s *Store) invitationStatus(ctx context.Context, q queryer, applicationID int64, firstStageID string) (hiretrack.InviteStatus, error) {
	r, err := scanResponse(q.QueryRowContext(ctx, `SELECT `+responseColumns+responseFrom+`
		WHERE r.application_id = ? AND r.stage_id = ?
		ORDER BY r.invite_status = ? DESC, r.id DESC LIMIT 1`, applicationID, firstStageID, hiretrack.InviteCompleted), s.now())
	if err != nil {
		return "", fmt.Errorf("read track invitation of application %d: %w", applicationID, err)
	}
	return r.InviteStatus, nil
}

func moveTarget(p hiretrack.TransitionParams, pl plan) (hiretrack.Stage, error) {
	to, ok := stageByID(pl.track, p.DestinationStageID)
	if !ok {
		e := hiretrack.NotFoundf("destination_stage_id %q is not a stage of track %d", p.DestinationStageID, pl.track.ID)
		e.Field = "destination_stage_id"
		return to, e
	}
	if to.ID == pl.from.ID {
		return to, hiretrack.FieldErrorf(hiretrack.KindConflict, "destination_stage_id", "same_stage",
			"destination_stage_id %q (%s) is the stage application %d is already in; choose another stage", to.ID, to.Name, pl.app.id)
	}
	return to, nil
}

func unrejectTarget(pl plan) (hiretrack.Stage, error) {
	if pl.app.status != hiretrack.ApplicationRejected || pl.app.rejectedFrom == "" {
		return hiretrack.Stage{}, hiretrack.Errorf(hiretrack.KindConflict, "not_rejected",
			"application %d is %s; only a rejected application can be unrejected", pl.app.id, pl.app.status)
	}
	to, _ := stageByID(pl.track, pl.app.rejectedFrom)
	return to, nil
}

func terminalStage(t hiretrack.Track, typ hiretrack.StageType) hiretrack.Stage {
	for _, st := range t.Stages {
		if st.Type == typ {
			return st
		}
	}
	panic(fmt.Sprintf("track %d has no %s stage", t.ID, typ))
}

// describe fills in the outcome a transition has, or would have in a dry run.
func describe(p hiretrack.TransitionParams, pl plan) hiretrack.Transition {
	out := hiretrack.Transition{
		Kind: p.Kind, ApplicationID: pl.app.id, CandidateID: pl.app.candidateID, TrackID: pl.track.ID,
		Name: pl.app.name, Email: pl.app.email, From: pl.from, To: pl.to, Status: statusIn(pl.to),
	}
	hasModule := pl.to.ModuleID != nil
	out.LinkCreated = hasModule && p.Format != ""
	out.EmailQueued = (hasModule && p.Format == hiretrack.InviteSendLink) ||
		(p.Kind == hiretrack.TransitionReject && p.SendEmail)
	return out
}

// statusIn returns the application status that goes with being in a stage.
func statusIn(st hiretrack.Stage) hiretrack.ApplicationStatus {
	switch st.Type {
	case hiretrack.StageHired:
		return hiretrack.ApplicationHired
	case hiretrack.StageRejected:
		return hiretrack.ApplicationRejected
	}
	return hiretrack.ApplicationActive
}
