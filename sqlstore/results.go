package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hiretrack/hiretrack"
)

// prepareResult checks that the response's module type accepts the typed
// fields of p, and for a form turns the answers into the data that the
// candidate page stores.
func (s *Store) prepareResult(ctx context.Context, tx *dialectTx, p *hiretrack.ResultParams, r hiretrack.Response) error {
	accepted := hiretrack.ResultFieldNames(r.ModuleType)
	for _, name := range p.Fields.Names() {
		if !slices.Contains(accepted, name) {
			return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, name, "invalid_value",
				"%s is not accepted for response %d, whose module type is %s; %s", name, r.ID, r.ModuleType, acceptedText(r.ModuleType))
		}
	}
	if p.Answers == nil {
		return nil
	}
	if r.ModuleType != hiretrack.ModuleForm {
		return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "answers", "invalid_value",
			"answers is not accepted for response %d, whose module type is %s; %s", r.ID, r.ModuleType, acceptedText(r.ModuleType))
	}
	if p.Data != nil {
		return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "data", "invalid_value",
			"data is not accepted together with answers; the result of a form is its answers")
	}

	m, err := scanModule(tx.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = ?`, r.ModuleID))
	if err != nil {
		return fmt.Errorf("read module %d: %w", r.ModuleID, err)
	}
	answers, err := checkResultAnswers(m.Questions, p.Answers)
	if err != nil {
		return err
	}
	p.Data = json.RawMessage(*jsonText(map[string]any{"answers": answers}))
	return nil
}

// acceptedText names the result fields that a module type accepts.
func acceptedText(t hiretrack.ModuleType) string {
	names := []string{"score", "data"}
	names = append(names, hiretrack.ResultFieldNames(t)...)
	if t == hiretrack.ModuleForm {
		names = append(names, "answers")
	}
	return "it accepts " + strings.Join(names, ", ")
}

// checkResultAnswers matches answers to the form's questions by label and
// checks them as the candidate page does.
func checkResultAnswers(questions []hiretrack.Question, answers []hiretrack.Answer) ([]hiretrack.Answer, error) {
	values := make([]string, len(questions))
	seen := map[string]bool{}
	for i, a := range answers {
		index := slices.IndexFunc(questions, func(q hiretrack.Question) bool { return q.Label == a.Label })
		field := fmt.Sprintf("answers[%d].label", i)
		if index < 0 {
			return nil, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, field, "invalid_value",
				"%s is %q, which is not a question of the form", field, a.Label)
		}
		if seen[a.Label] {
			return nil, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, field, "invalid_value",
				"%s is %q, which answers was given more than once", field, a.Label)
		}
		seen[a.Label] = true
		values[index] = a.Value
	}

	checked, err := checkAnswers(questions, values)
	var e *hiretrack.Error
	if errors.As(err, &e) {
		return nil, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "answers", e.Code, "answers: %s", e.Message)
	}
	return checked, err
}

// sameResult reports whether p repeats the result that completed r, so
// that a retry changes nothing and fires no rule a second time.
func sameResult(r hiretrack.Response, p hiretrack.ResultParams) bool {
	if r.CompletedAt == nil || p.Status != hiretrack.InviteCompleted {
		return false
	}
	if (p.Score == nil) != (r.Score == nil) || (p.Score != nil && *p.Score != *r.Score) {
		return false
	}
	return reflect.DeepEqual(p.Fields, r.Result) && sameJSON(p.Data, r.Data)
}

// sameJSON compares two JSON values by content; nil equals only nil.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// resultText returns the typed result fields as stored, or nil when none is set.
func resultText(f hiretrack.ResultFields) *string {
	if len(f.Names()) == 0 {
		return nil
	}
	return jsonText(f)
}

// checkResponseOpen returns a response_closed conflict when the application
// has left the response's stage, or has entered it again since, which gave
// it a newer response there.
func checkResponseOpen(ctx context.Context, tx *dialectTx, r hiretrack.Response) error {
	var stageID string
	var newer int
	err := tx.QueryRowContext(ctx, `
		SELECT a.stage_id, (SELECT count(*) FROM responses n WHERE n.application_id = a.id AND n.stage_id = ? AND n.id > ?)
		FROM applications a WHERE a.id = ?`, r.StageID, r.ID, r.ApplicationID).Scan(&stageID, &newer)
	if err != nil {
		return fmt.Errorf("read stage of application %d: %w", r.ApplicationID, err)
	}
	if stageID == r.StageID && newer == 0 {
		return nil
	}
	e := hiretrack.Errorf(hiretrack.KindConflict, "response_closed",
		"application %d has left stage %q of response %d, so the response no longer takes results", r.ApplicationID, r.StageID, r.ID)
	e.Extra = map[string]any{"current_stage_id": stageID}
	return e
}

// Response returns one response of the company with its track and stage.
func (s *Store) Response(ctx context.Context, companyID, responseID int64) (hiretrack.StageReport, error) {
	var out hiretrack.StageReport
	tx, err := s.beginRead(ctx)
	if err != nil {
		return out, hiretrack.Internal("read response", err)
	}
	defer tx.Rollback()

	out.Response, err = readResponse(ctx, tx, companyID, responseID, s.now())
	if err != nil {
		return out, wrapInternal("read response", err)
	}
	err = tx.QueryRowContext(ctx, `
		SELECT a.track_id, st.name, st.type FROM applications a JOIN stages st ON st.id = ?
		WHERE a.id = ?`, out.Response.StageID, out.Response.ApplicationID).
		Scan(&out.TrackID, &out.Stage.Name, &out.Stage.Type)
	if err != nil {
		return out, hiretrack.Internal("read response", err)
	}
	out.Stage.ID = out.Response.StageID
	return out, nil
}

// stageReport returns one entry for each stage with a response, in track
// order. A stage entered more than once shows its latest completed
// response, or its latest response when none is completed.
func stageReport(track hiretrack.Track, responses []hiretrack.Response) []hiretrack.StageReport {
	report := []hiretrack.StageReport{}
	for _, st := range track.Stages {
		var chosen *hiretrack.Response
		for i := range responses {
			r := &responses[i]
			if r.StageID != st.ID {
				continue
			}
			if chosen == nil || r.InviteStatus == hiretrack.InviteCompleted || chosen.InviteStatus != hiretrack.InviteCompleted {
				chosen = r
			}
		}
		if chosen != nil {
			report = append(report, hiretrack.StageReport{TrackID: track.ID, Stage: st.Ref(), Response: *chosen})
		}
	}
	return report
}

// submittedResponse returns the answers of the completed first-stage form,
// or an empty list.
func submittedResponse(track hiretrack.Track, report []hiretrack.StageReport) []hiretrack.Answer {
	first := track.Stages[0]
	for _, entry := range report {
		r := entry.Response
		if r.StageID == first.ID && r.ModuleType == hiretrack.ModuleForm && r.InviteStatus == hiretrack.InviteCompleted {
			if answers := answersOf(r.Data); answers != nil {
				return answers
			}
		}
	}
	return []hiretrack.Answer{}
}
