package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hiretrack/hiretrack"
)

// TokenSource issues the invite token of a response that an automation
// rule creates. The server wires it to the sealer, which the store lacks.
type TokenSource func() (hiretrack.NewToken, error)

// SetTokenSource sets the source of invite tokens for auto_advance. Call it
// before the store serves requests. Without it, an auto_advance that fires
// fails the result with an internal error.
func (s *Store) SetTokenSource(tokens TokenSource) { s.tokens = tokens }

// ruleText returns a rule as stored, or nil for no rule.
func ruleText(r *hiretrack.Rule) *string {
	if r == nil {
		return nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		// A Rule holds strings, booleans and JSON that was parsed before.
		panic(fmt.Sprintf("encode rule: %v", err))
	}
	text := string(data)
	return &text
}

// parseRule reads a stored rule; NULL is no rule.
func parseRule(text sql.NullString) (*hiretrack.Rule, error) {
	if !text.Valid {
		return nil, nil
	}
	var r hiretrack.Rule
	if err := json.Unmarshal([]byte(text.String), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkStageInputRules checks the rules of the stages of a new track.
func checkStageInputRules(ctx context.Context, tx *dialectTx, companyID int64, inputs []hiretrack.StageInput) error {
	for i, in := range inputs {
		if in.AutoAdvance == nil && in.AutoReject == nil {
			continue
		}
		target, err := ruleTarget(ctx, tx, companyID, in.ModuleID, in.Type, i == len(inputs)-1)
		if err != nil {
			return err
		}
		prefix := fmt.Sprintf("stages[%d].", i)
		if err := checkRules(prefix, in.AutoAdvance, in.AutoReject, target); err != nil {
			return err
		}
	}
	return nil
}

// checkRules checks the two rules of one stage; nil rules pass.
func checkRules(prefix string, advance, reject *hiretrack.Rule, target hiretrack.RuleTarget) error {
	if advance != nil {
		if err := hiretrack.CheckRule(prefix+string(hiretrack.RuleAutoAdvance), hiretrack.RuleAutoAdvance, *advance, target); err != nil {
			return err
		}
	}
	if reject != nil {
		return hiretrack.CheckRule(prefix+string(hiretrack.RuleAutoReject), hiretrack.RuleAutoReject, *reject, target)
	}
	return nil
}

// ruleTarget reads what rules of a stage are checked against.
func ruleTarget(ctx context.Context, q queryer, companyID, moduleID int64, typ hiretrack.StageType, last bool) (hiretrack.RuleTarget, error) {
	m, err := scanModule(q.QueryRowContext(ctx,
		`SELECT `+moduleColumns+` FROM modules WHERE id = ? AND company_id = ?`, moduleID, companyID))
	if err != nil {
		return hiretrack.RuleTarget{}, fmt.Errorf("read module %d: %w", moduleID, err)
	}
	return hiretrack.RuleTarget{Type: typ, Questions: m.Questions, Last: last}, nil
}

// UpdateStageRules sets or removes the automation rules of a regular stage.
func (s *Store) UpdateStageRules(ctx context.Context, companyID, trackID int64, stageID string, u hiretrack.StageRulesUpdate) (hiretrack.Stage, error) {
	var out hiretrack.Stage
	err := s.withTx(ctx, "update stage rules", func(tx *dialectTx) error {
		track, err := readTrack(ctx, tx, companyID, trackID)
		if err != nil {
			return err
		}
		st, ok := stageByID(track, stageID)
		if !ok {
			return hiretrack.NotFoundf("stage %q not found in track %d", stageID, trackID)
		}
		if st.ModuleID == nil {
			return hiretrack.Errorf(hiretrack.KindUnprocessable, "invalid_rule",
				"stage %q is the %s stage, which has no module and carries no rules", st.ID, st.Type)
		}

		if u.SetAutoAdvance {
			st.AutoAdvance = u.AutoAdvance
		}
		if u.SetAutoReject {
			st.AutoReject = u.AutoReject
		}
		target, err := ruleTarget(ctx, tx, companyID, *st.ModuleID, st.Type, isLastRegular(track, st))
		if err != nil {
			return err
		}
		if err := checkRules("", st.AutoAdvance, st.AutoReject, target); err != nil {
			return err
		}

		_, err = tx.ExecContext(ctx, `UPDATE stages SET auto_advance = ?, auto_reject = ? WHERE id = ?`,
			ruleText(st.AutoAdvance), ruleText(st.AutoReject), st.ID)
		if err != nil {
			return fmt.Errorf("update rules of stage %s: %w", st.ID, err)
		}
		out = st
		return nil
	})
	return out, err
}

// isLastRegular reports whether st is the last stage before Hired.
func isLastRegular(track hiretrack.Track, st hiretrack.Stage) bool {
	for _, next := range track.Stages {
		if next.Position == st.Position+1 {
			return next.Type.Terminal()
		}
	}
	return true
}

// fireRules evaluates the rules of the stage of a response that was just
// completed, and makes the transition of the first rule that matches:
// auto_advance, else auto_reject. It returns nil when no rule matches. The
// caller holds the application's lock and has checked that the application
// is still in the response's stage.
func (s *Store) fireRules(ctx context.Context, tx *dialectTx, companyID int64, r hiretrack.Response) (*hiretrack.Transition, error) {
	var trackID int64
	err := tx.QueryRowContext(ctx, `SELECT track_id FROM applications WHERE id = ?`, r.ApplicationID).Scan(&trackID)
	if err != nil {
		return nil, fmt.Errorf("read application %d: %w", r.ApplicationID, err)
	}
	track, err := readTrack(ctx, tx, companyID, trackID)
	if err != nil {
		return nil, err
	}
	st, _ := stageByID(track, r.StageID)

	name, rule := matchingRule(st, resultView(r))
	if rule == nil {
		return nil, nil
	}
	p, err := s.ruleTransition(companyID, trackID, r, name, rule)
	if err != nil {
		return nil, err
	}
	return s.runRule(ctx, tx, p, r)
}

// matchingRule returns the first rule of a stage that the result matches.
func matchingRule(st hiretrack.Stage, v hiretrack.ResultView) (hiretrack.RuleName, *hiretrack.Rule) {
	if st.AutoAdvance != nil && st.AutoAdvance.Matches(v) {
		return hiretrack.RuleAutoAdvance, st.AutoAdvance
	}
	if st.AutoReject != nil && st.AutoReject.Matches(v) {
		return hiretrack.RuleAutoReject, st.AutoReject
	}
	return "", nil
}

// resultView returns what rules test of a response. Form answers are in
// its data, as {"answers": [{"label": …, "value": …}]}.
func resultView(r hiretrack.Response) hiretrack.ResultView {
	v := hiretrack.ResultView{Score: r.Score, Fields: r.Result}
	v.Answers = answersOf(r.Data)
	return v
}

// answersOf returns the form answers stored in a response's data.
func answersOf(data json.RawMessage) []hiretrack.Answer {
	var form struct {
		Answers []hiretrack.Answer `json:"answers"`
	}
	if data == nil || json.Unmarshal(data, &form) != nil {
		return nil
	}
	return form.Answers
}

// ruleTransition returns the transition that a rule makes.
func (s *Store) ruleTransition(companyID, trackID int64, r hiretrack.Response, name hiretrack.RuleName, rule *hiretrack.Rule) (hiretrack.TransitionParams, error) {
	p := hiretrack.TransitionParams{
		Principal: hiretrack.Principal{CompanyID: companyID}, TrackID: trackID, ApplicationID: r.ApplicationID,
		SourceStageID: r.StageID, Rule: name,
	}
	if name == hiretrack.RuleAutoReject {
		p.Kind = hiretrack.TransitionReject
		p.SendEmail = rule.SendEmail != nil && *rule.SendEmail
		p.EmailMessage = rule.EmailMessage
		return p, nil
	}

	p.Kind, p.Format = hiretrack.TransitionAdvance, rule.InviteFormat
	if s.tokens == nil {
		return p, errors.New("auto_advance fired but the store has no token source")
	}
	var err error
	p.Token, err = s.tokens()
	return p, err
}

// runRule makes a rule's transition and records the rule on the response.
// A transition that the application's state does not allow, which the
// checks of the rule and of the result should prevent, is logged and
// skipped so that the result is still stored.
func (s *Store) runRule(ctx context.Context, tx *dialectTx, p hiretrack.TransitionParams, r hiretrack.Response) (*hiretrack.Transition, error) {
	pl, err := s.planTransition(ctx, tx, p)
	if hiretrack.ErrorKind(err) == hiretrack.KindConflict {
		s.logger.WarnContext(ctx, "automation rule matched but its transition is not allowed; skipped",
			"rule", p.Rule, "response_id", r.ID, "application_id", r.ApplicationID, "error", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.applyTransition(ctx, tx, p, &pl); err != nil {
		return nil, err
	}

	if _, err := tx.ExecContext(ctx, `UPDATE responses SET rule_fired = ? WHERE id = ?`, p.Rule, r.ID); err != nil {
		return nil, fmt.Errorf("record rule of response %d: %w", r.ID, err)
	}
	// NOTE: a transaction that is retried after a conflict logs this again.
	s.logger.InfoContext(ctx, "automation rule fired", "rule", p.Rule, "response_id", r.ID,
		"application_id", r.ApplicationID, "from_stage_id", pl.from.ID, "to_stage_id", pl.to.ID)
	return &pl.out, nil
}

// fireFormRules fires the rules of a form stage that the candidate page
// completed. readInvite has locked the application and checked that it is
// in the response's stage.
func (s *Store) fireFormRules(ctx context.Context, tx *dialectTx, companyID, responseID int64) error {
	r, err := readResponse(ctx, tx, companyID, responseID, s.now())
	if err != nil {
		return err
	}
	_, err = s.fireRules(ctx, tx, companyID, r)
	return err
}
