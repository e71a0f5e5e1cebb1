package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"

	"github.com/hiretrack/hiretrack"
)

// Limits of a result.
const (
	maxResultDataBytes = 64 << 10 // the free JSON data an engine attaches
	maxReportURLLen    = 2000
	maxNotesLen        = 10000
	maxAnswerLen       = 10000
	maxScale           = 1_000_000 // the largest max_score
)

func (s *Server) recordResult(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "response_id")
	if err != nil {
		return err
	}
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	params, err := readResult(body)
	if err != nil {
		return err
	}
	params.Principal, params.ResponseID = p, id

	out, err := s.store.RecordResult(r.Context(), params)
	if err != nil {
		return err
	}
	resp := responseJSON(out.Response)
	resp["automation"] = nil
	if out.Fired != nil {
		s.metrics.countTransition(string(out.Fired.Kind), *out.Fired)
		resp["automation"] = automationJSON(out.Response.RuleFired, *out.Fired)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// automationJSON describes the transition that a rule made.
func automationJSON(rule hiretrack.RuleName, t hiretrack.Transition) map[string]any {
	out := map[string]any{
		"rule": rule, "from_stage": t.From.Ref(), "to_stage": t.To.Ref(),
		"application_status": t.Status, "email_queued": t.EmailQueued, "response_id": nil,
	}
	if t.ResponseID != 0 {
		out["response_id"] = t.ResponseID
	}
	return out
}

// readResult reads {status, score?, data?} and the typed fields. Scores,
// typed fields and answers belong to a completed result.
func readResult(body *object) (hiretrack.ResultParams, error) {
	var params hiretrack.ResultParams
	switch body.Enum("status", "started", "completed") {
	case "started":
		params.Status = hiretrack.InviteStarted
	case "completed":
		params.Status = hiretrack.InviteCompleted
	}
	params.Score = body.Number("score", 0, 100)
	params.Fields = readResultFields(body)
	params.Answers = readAnswers(body)
	data := body.raw("data")
	if err := body.Err(); err != nil {
		return params, err
	}

	if params.Status != hiretrack.InviteCompleted {
		if name := firstResultField(params); name != "" {
			return params, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, name, "invalid_value",
				"%s is only accepted with status \"completed\"", name)
		}
	}
	if data != nil {
		if err := checkResultData(data); err != nil {
			return params, err
		}
		params.Data = data
	}
	return params, nil
}

// firstResultField names the first field of a completed result that params has.
func firstResultField(params hiretrack.ResultParams) string {
	if params.Score != nil {
		return "score"
	}
	if names := params.Fields.Names(); len(names) > 0 {
		return names[0]
	}
	if params.Answers != nil {
		return "answers"
	}
	return ""
}

// readResultFields reads the typed fields. Which of them the response's
// module type accepts is the store's check, because only it knows the type.
func readResultFields(body *object) hiretrack.ResultFields {
	var f hiretrack.ResultFields
	f.MaxScore = body.Number("max_score", 1, maxScale)
	f.Passed = body.OptionalBool("passed")
	f.ReportURL, _ = body.OptionalString("report_url", maxReportURLLen)
	if f.ReportURL != "" {
		if u, err := url.Parse(f.ReportURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			body.fail(hiretrack.KindInvalid, "report_url", "invalid_field",
				"report_url is %q; it must be an absolute http or https URL", f.ReportURL)
		}
	}

	if rating := body.Number("rating", 1, 5); rating != nil {
		if *rating != math.Trunc(*rating) {
			body.fail(hiretrack.KindUnprocessable, "rating", "out_of_range", "rating is %g; it must be an integer from 1 to 5", *rating)
		}
		n := int(*rating)
		f.Rating = &n
	}
	if body.raw("decision") != nil {
		f.Decision = hiretrack.ReviewDecision(body.Enum("decision", decisionNames()...))
	}
	f.Notes, _ = body.OptionalString("notes", maxNotesLen)
	f.ReviewerName, _ = body.OptionalString("reviewer_name", maxNameLen)
	return f
}

// readAnswers reads answers, [{label, value}], or nil when absent.
func readAnswers(body *object) []hiretrack.Answer {
	if body.raw("answers") == nil {
		return nil
	}
	items := body.Objects("answers", maxQuestions, false)
	answers := make([]hiretrack.Answer, 0, len(items))
	for _, item := range items {
		a := hiretrack.Answer{Label: item.String("label", maxLabelLen)}
		a.Value, _ = item.OptionalString("value", maxAnswerLen)
		if err := item.Err(); err != nil {
			body.err = err
			return nil
		}
		answers = append(answers, a)
	}
	return answers
}

// checkResultData checks that data is a JSON object within the size limit.
func checkResultData(data json.RawMessage) error {
	if len(data) > maxResultDataBytes {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "data", "invalid_field",
			"data is %d bytes; the maximum is %d", len(data), maxResultDataBytes)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "data", "invalid_field",
			"data is %s; it must be a JSON object", clip(data))
	}
	return nil
}

func decisionNames() []string {
	names := make([]string, len(hiretrack.ReviewDecisions))
	for i, d := range hiretrack.ReviewDecisions {
		names[i] = string(d)
	}
	return names
}

// responseJSON adds the type-specific id name, such as report_id, to a
// response, and its typed result fields under result.
func responseJSON(r hiretrack.Response) map[string]any {
	out := map[string]any{
		"response_id": r.ID, r.ModuleType.ResponseIDName(): r.ID, "application_id": r.ApplicationID,
		"stage_id": r.StageID, "module_id": r.ModuleID, "module_type": r.ModuleType,
		"invite_status": r.InviteStatus, "score": r.Score, "data": r.Data, "result": resultJSON(r),
		"invited_at": r.InvitedAt, "expires_at": r.ExpiresAt,
		"opened_at": r.OpenedAt, "started_at": r.StartedAt, "completed_at": r.CompletedAt,
		"rule_fired": nil,
	}
	if r.Data == nil {
		out["data"] = nil
	}
	if r.RuleFired != "" {
		out["rule_fired"] = r.RuleFired
	}
	return out
}

// resultJSON returns the typed result fields of the response's module type,
// null where unset; a form's result is its answers.
func resultJSON(r hiretrack.Response) map[string]any {
	f := r.Result
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch r.ModuleType {
	case hiretrack.ModuleAssessment, hiretrack.ModuleAutomatedInterview:
		return map[string]any{"max_score": f.MaxScore, "passed": f.Passed, "report_url": text(f.ReportURL)}
	case hiretrack.ModuleReview:
		return map[string]any{
			"rating": f.Rating, "decision": text(string(f.Decision)), "notes": text(f.Notes), "reviewer_name": text(f.ReviewerName),
		}
	}
	var form struct {
		Answers []hiretrack.Answer `json:"answers"`
	}
	if r.Data != nil {
		_ = json.Unmarshal(r.Data, &form) // data that is not a form's answers has none
	}
	if form.Answers == nil {
		form.Answers = []hiretrack.Answer{}
	}
	return map[string]any{"answers": form.Answers}
}

// reportJSON is one entry of the stage-wise report, and the body of GET
// /responses/{response_id}: the response with its track and stage.
func reportJSON(entry hiretrack.StageReport) map[string]any {
	out := responseJSON(entry.Response)
	out["track_id"] = entry.TrackID
	out["stage"] = entry.Stage
	return out
}

func (s *Server) getResponse(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "response_id")
	if err != nil {
		return err
	}
	entry, err := s.store.Response(r.Context(), p.CompanyID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reportJSON(entry))
	return nil
}
