package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// rulesTrack creates newTrack with the given rules on its assessment stage.
func (e *env) rulesTrack(title string, advance, reject any) track {
	e.t.Helper()
	form := e.createFormModule()
	assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName, "launch_url": launchURL})
	review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
	exercise := map[string]any{"name": assessmentStage, "type": "assessment", "module_id": assessment}
	if advance != nil {
		exercise["auto_advance"] = advance
	}
	if reject != nil {
		exercise["auto_reject"] = reject
	}
	return e.createTrack(title,
		map[string]any{"name": formStage, "type": "form", "module_id": form},
		exercise,
		map[string]any{"name": reviewStage, "type": "review", "module_id": review},
	)
}

// inAssessment invites a candidate, completes the form and advances the
// application to the assessment stage, and returns the invitation and the
// assessment's response id.
func (e *env) inAssessment(tr track, name, address string) (invitation, int64) {
	e.t.Helper()
	inv := e.inviteCompleted(tr.ID, name, address)
	adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
	return inv, adv.ResponseID
}

// postResult posts a result for a response.
func (e *env) postResult(responseID int64, body map[string]any) result {
	e.t.Helper()
	return e.do("POST", fmt.Sprintf("/responses/%d/result", responseID), body)
}

// condition returns one rule condition.
func condition(field, operator string, value any) map[string]any {
	return map[string]any{"field": field, "operator": operator, "value": value}
}

// advanceRule returns an auto_advance rule with getlink.
func advanceRule(match string, conditions ...map[string]any) map[string]any {
	return map[string]any{"match": match, "conditions": conditions, "invite_format": "getlink"}
}

func TestRuleOperators(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	cases := []struct {
		name     string
		rule     map[string]any
		score    float64
		advances bool
	}{
		{"EqualsMatches", advanceRule("all", condition("score", "equals", 75)), 75, true},
		{"EqualsDiffers", advanceRule("all", condition("score", "equals", 75)), 75.5, false},
		{"OneOfMatches", advanceRule("all", condition("score", "one_of", []float64{50, 100})), 100, true},
		{"OneOfDiffers", advanceRule("all", condition("score", "one_of", []float64{50, 100})), 99, false},
		{"AtLeastBoundary", advanceRule("all", condition("score", "at_least", 40)), 40, true},
		{"AtLeastBelow", advanceRule("all", condition("score", "at_least", 40)), 39.9, false},
		{"AtMostBoundary", advanceRule("all", condition("score", "at_most", 40)), 40, true},
		{"AtMostAbove", advanceRule("all", condition("score", "at_most", 40)), 40.1, false},
		{"AllBothHold", advanceRule("all", condition("score", "at_least", 40), condition("score", "at_most", 60)), 50, true},
		{"AllOneFails", advanceRule("all", condition("score", "at_least", 40), condition("score", "at_most", 60)), 70, false},
		{"AnyOneHolds", advanceRule("any", condition("score", "at_most", 10), condition("score", "at_least", 90)), 95, true},
		{"AnyNoneHolds", advanceRule("any", condition("score", "at_most", 10), condition("score", "at_least", 90)), 50, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := shared.forTest(t)
			tr := e.rulesTrack("Track "+c.name, c.rule, nil)
			inv, responseID := e.inAssessment(tr, "Op Example", "op@example.com")

			r := e.postResult(responseID, map[string]any{"status": "completed", "score": c.score})

			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
			a := e.applicant(tr.ID, inv.ApplicationID)
			if !c.advances {
				require.Nil(t, r.Body["rule_fired"])
				require.Nil(t, r.Body["automation"])
				require.Equal(t, tr.Stages[1].ID, a.CurrentStage.ID)
				require.Equal(t, []string{"invited", "opened", "completed", "advanced", "completed"}, a.eventTypes())
				return
			}
			require.Equal(t, "auto_advance", r.Body["rule_fired"])
			require.Equal(t, tr.Stages[2].ID, a.CurrentStage.ID)
			require.Equal(t, []string{"invited", "opened", "completed", "advanced", "completed", "advanced"}, a.eventTypes())
		})
	}
}

func TestRuleConditionFields(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	t.Run("PassedEquals", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.rulesTrack("Passed", advanceRule("all", condition("passed", "equals", true)), nil)
		failed, failedID := e.inAssessment(tr, "Fay Failed", "fay@example.com")
		passed, passedID := e.inAssessment(tr, "Pat Passed", "pat@example.com")

		require.Equal(t, http.StatusOK, e.postResult(failedID, map[string]any{"status": "completed", "passed": false}).Status)
		require.Equal(t, http.StatusOK, e.postResult(passedID, map[string]any{"status": "completed", "passed": true}).Status)

		require.Equal(t, assessmentStage, e.applicant(tr.ID, failed.ApplicationID).CurrentStage.Name)
		require.Equal(t, reviewStage, e.applicant(tr.ID, passed.ApplicationID).CurrentStage.Name)
	})

	t.Run("ReviewDecision", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Decision")
		review := tr.Stages[2]
		r := e.do("PATCH", fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, review.ID), map[string]any{
			"auto_reject": map[string]any{"conditions": []any{condition("decision", "one_of", []string{"reject"})}},
		})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		inv, _ := e.inAssessment(tr, "Rev Example", "rev@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		res := e.postResult(adv.ResponseID, map[string]any{
			"status": "completed", "rating": 2, "decision": "reject", "notes": "Too junior", "reviewer_name": "Kim Lead",
		})

		require.Equal(t, http.StatusOK, res.Status, "body: %s", res.Raw)
		require.Equal(t, "auto_reject", res.Body["rule_fired"])
		require.Equal(t, map[string]any{
			"rule": "auto_reject", "from_stage": map[string]any{"stage_id": review.ID, "name": reviewStage, "type": "review"},
			"to_stage": map[string]any{
				"stage_id": tr.stageOfType(t, "rejected").ID, "name": "Rejected", "type": "rejected",
			},
			"application_status": "rejected", "email_queued": false, "response_id": nil,
		}, res.Body["automation"])
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "rejected", a.Applicant.Status)
		rejected := a.Timeline[len(a.Timeline)-1]
		require.Equal(t, "rejected", rejected.Type)
		require.Equal(t, "system", rejected.Actor)
		require.JSONEq(t, fmt.Sprintf(`{"from_stage_id": %q, "to_stage_id": %q, "rule": "auto_reject"}`,
			review.ID, tr.stageOfType(t, "rejected").ID), string(rejected.Data))
	})

	t.Run("FormAnswerOnCandidatePage", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Answers")
		r := e.do("PATCH", fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[0].ID), map[string]any{
			"auto_advance": map[string]any{
				"conditions":    []any{map[string]any{"field": "answer", "label": noticeLabel, "operator": "one_of", "value": []string{"None", "One month"}}},
				"invite_format": "getlink",
			},
		})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		soon := e.invite(tr.ID, "Sue Soon", "sue@example.com", "getlink")
		later := e.invite(tr.ID, "Len Later", "len@example.com", "getlink")

		e.completeForm(soon.InviteLink)
		p := e.postPage(later.InviteLink, url.Values{"q1": {"Interested."}, "q2": {"Three months"}})
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)

		a := e.applicant(tr.ID, soon.ApplicationID)
		require.Equal(t, assessmentStage, a.CurrentStage.Name)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced"}, a.eventTypes())
		advanced := a.Timeline[3]
		require.Equal(t, "system", advanced.Actor)
		require.JSONEq(t, fmt.Sprintf(`{"from_stage_id": %q, "to_stage_id": %q, "invite_format": "getlink", "rule": "auto_advance"}`,
			tr.Stages[0].ID, tr.Stages[1].ID), string(advanced.Data))
		require.Equal(t, "auto_advance", *a.StageWiseReport[0].RuleFired)
		require.Equal(t, "Pending", a.StageWiseReport[1].InviteStatus)
		require.Equal(t, formStage, e.applicant(tr.ID, later.ApplicationID).CurrentStage.Name)
	})

	t.Run("FormAnswerOnOpenLink", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Open answers")
		r := e.do("PATCH", fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[0].ID), map[string]any{
			"auto_advance": map[string]any{
				"conditions":    []any{map[string]any{"field": "answer", "label": noticeLabel, "operator": "equals", "value": "One month"}},
				"invite_format": "getlink",
			},
		})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		link := e.mustOpenLink(tr.ID, nil).OpenLink
		later := applyForm("Lou Later", "lou@example.com")
		later.Set("q2", "Three months")

		soon := e.postPage(link, applyForm("Sam Soon", "sam@example.com"))
		p := e.postPage(link, later)

		require.Equal(t, http.StatusCreated, soon.Status, "page: %s", soon.HTML)
		require.Equal(t, http.StatusCreated, p.Status, "page: %s", p.HTML)
		stages := map[string]string{}
		for _, row := range e.mustListApplicants(tr.ID, "").Data {
			stages[row.Email] = row.CurrentStage.Name
		}
		require.Equal(t, map[string]string{"sam@example.com": assessmentStage, "lou@example.com": formStage}, stages)
	})

	t.Run("AnswerAtLeastNumber", func(t *testing.T) {
		e := e.forTest(t)
		form := e.createModule(map[string]any{"type": "form", "name": "Experience", "questions": []any{
			map[string]any{"label": "Years of Go", "kind": "text", "required": true},
		}})
		review := e.createModule(map[string]any{"type": "review", "name": "Call"})
		tr := e.createTrack("Experience",
			map[string]any{"name": "Form", "type": "form", "module_id": form, "auto_reject": map[string]any{
				"conditions": []any{map[string]any{"field": "answer", "label": "Years of Go", "operator": "at_most", "value": 1}},
			}},
			map[string]any{"name": "Call", "type": "review", "module_id": review},
		)
		junior := e.invite(tr.ID, "Jun Example", "jun@example.com", "getlink")
		senior := e.invite(tr.ID, "Sen Example", "sen@example.com", "getlink")
		words := e.invite(tr.ID, "Wor Example", "wor@example.com", "getlink")

		for link, years := range map[string]string{junior.InviteLink: "0.5", senior.InviteLink: "6", words.InviteLink: "one"} {
			p := e.postPage(link, url.Values{"q1": {years}})
			require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		}

		require.Equal(t, "rejected", e.applicant(tr.ID, junior.ApplicationID).Applicant.Status)
		require.Equal(t, "active", e.applicant(tr.ID, senior.ApplicationID).Applicant.Status)
		require.Equal(t, "active", e.applicant(tr.ID, words.ApplicationID).Applicant.Status)
	})
}

func TestRuleOutcomes(t *testing.T) {
	t.Parallel()

	t.Run("AutoAdvanceSendsInvite", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		rule := map[string]any{"conditions": []any{condition("score", "at_least", 40)}, "invite_format": "sendlink"}
		tr := e.rulesTrack("Backend Engineer", rule, nil)
		inv, responseID := e.inAssessment(tr, "Ada Advance", "ada@example.com")

		r := e.postResult(responseID, map[string]any{"status": "completed", "score": 82})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		a := e.applicant(tr.ID, inv.ApplicationID)
		next := a.Responses[len(a.Responses)-1]
		require.Equal(t, map[string]any{
			"rule": "auto_advance", "from_stage": map[string]any{"stage_id": tr.Stages[1].ID, "name": assessmentStage, "type": "assessment"},
			"to_stage":           map[string]any{"stage_id": tr.Stages[2].ID, "name": reviewStage, "type": "review"},
			"application_status": "active", "email_queued": true, "response_id": float64(next.ID),
		}, r.Body["automation"])
		require.Equal(t, tr.Stages[2].ID, next.StageID)
		require.Equal(t, "Pending", next.InviteStatus)

		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		m := parseEmail(t, messages[0].Data)
		require.Equal(t, []string{"ada@example.com"}, messages[0].To)
		require.Equal(t, "Your next step for Backend Engineer: "+reviewStage, m.Subject)
		link := regexp.MustCompile(`http://\S+/invite/\S+`).FindString(m.Text)
		require.NotEmpty(t, link, "email text: %s", m.Text)
		a = e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{
			"invited", "opened", "completed", "advanced", "completed", "advanced", "email_queued", "email_sent",
		}, a.eventTypes())
		p := e.getPage(link)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, reviewStage)
		advanced := a.Timeline[5]
		require.Equal(t, "system", advanced.Actor)
		require.Equal(t, &next.ID, advanced.ResponseID)
		require.JSONEq(t, fmt.Sprintf(`{"from_stage_id": %q, "to_stage_id": %q, "invite_format": "sendlink", "rule": "auto_advance"}`,
			tr.Stages[1].ID, tr.Stages[2].ID), string(advanced.Data))
		require.Equal(t, "system", a.Timeline[6].Actor)
	})

	t.Run("AutoRejectSendsEmail", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		rule := map[string]any{
			"conditions": []any{condition("score", "at_most", 39.99)}, "send_email": true,
			"email_message": "Thank you for taking the exercise. We will not continue this time.",
		}
		tr := e.rulesTrack("Backend Engineer", nil, rule)
		inv, responseID := e.inAssessment(tr, "Rex Reject", "rex@example.com")

		r := e.postResult(responseID, map[string]any{"status": "completed", "score": 25})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, "auto_reject", r.Body["rule_fired"])
		require.Equal(t, true, r.Body["automation"].(map[string]any)["email_queued"])
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		m := parseEmail(t, messages[0].Data)
		require.Equal(t, []string{"rex@example.com"}, messages[0].To)
		require.Equal(t, "Your application for Backend Engineer", m.Subject)
		require.Contains(t, m.Text, "Thank you for taking the exercise. We will not continue this time.")

		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, "rejected", a.Applicant.Status)
		require.Equal(t, "Rejected", a.CurrentStage.Name)
		require.Equal(t, []string{
			"invited", "opened", "completed", "advanced", "completed", "rejected", "email_queued", "email_sent",
		}, a.eventTypes())
		require.Equal(t, "system", a.Timeline[5].Actor)
		require.Equal(t, 25.0, *a.Applicant.Score)
	})

	t.Run("AdvanceBeforeReject", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		advance := advanceRule("all", condition("score", "at_least", 50))
		reject := map[string]any{"conditions": []any{condition("score", "at_least", 0)}}
		tr := e.rulesTrack("Both rules", advance, reject)
		high, highID := e.inAssessment(tr, "Hi Score", "hi@example.com")
		low, lowID := e.inAssessment(tr, "Lo Score", "lo@example.com")

		require.Equal(t, "auto_advance", e.postResult(highID, map[string]any{"status": "completed", "score": 50}).Body["rule_fired"])
		require.Equal(t, "auto_reject", e.postResult(lowID, map[string]any{"status": "completed", "score": 49}).Body["rule_fired"])

		require.Equal(t, reviewStage, e.applicant(tr.ID, high.ApplicationID).CurrentStage.Name)
		require.Equal(t, "Rejected", e.applicant(tr.ID, low.ApplicationID).CurrentStage.Name)
	})
}

func TestRuleIdempotence(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	rule := advanceRule("all", condition("score", "at_least", 40))

	t.Run("SameResultTwice", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.rulesTrack("Twice", rule, nil)
		inv, responseID := e.inAssessment(tr, "Two Posts", "two@example.com")
		body := map[string]any{"status": "completed", "score": 64, "passed": true, "data": map[string]any{"tests": 12}}
		first := e.postResult(responseID, body)
		require.Equal(t, http.StatusOK, first.Status, "body: %s", first.Raw)
		before := e.state(inv.ApplicationID)

		second := e.postResult(responseID, body)

		require.Equal(t, http.StatusOK, second.Status, "body: %s", second.Raw)
		require.Equal(t, before, e.state(inv.ApplicationID), "the repeated result changed the database")
		require.Equal(t, "auto_advance", second.Body["rule_fired"])
		require.Nil(t, second.Body["automation"])
		delete(first.Body, "automation")
		delete(second.Body, "automation")
		require.Equal(t, first.Body, second.Body)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Len(t, a.eventsOfType("advanced"), 2, "one manual advance and one by the rule")
		require.Equal(t, reviewStage, a.CurrentStage.Name)
	})

	t.Run("OtherResultAfterRule", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.rulesTrack("Other", rule, nil)
		inv, responseID := e.inAssessment(tr, "Other Post", "other@example.com")
		require.Equal(t, http.StatusOK, e.postResult(responseID, map[string]any{"status": "completed", "score": 64}).Status)

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.postResult(responseID, map[string]any{"status": "completed", "score": 20})
		})

		requireError(t, r, http.StatusConflict, "response_closed", "")
		require.Equal(t, tr.Stages[2].ID, r.Body["current_stage_id"])
	})

	t.Run("ResultAfterManualMove", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.rulesTrack("Moved", rule, nil)
		inv, responseID := e.inAssessment(tr, "Mo Moved", "mo@example.com")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[1].ID, "destination_stage_id": tr.Stages[2].ID,
		})

		for _, status := range []string{"completed", "started"} {
			body := map[string]any{"status": status}
			if status == "completed" {
				body["score"] = 90
			}
			r := e.requireNoChange(inv.ApplicationID, func() result { return e.postResult(responseID, body) })

			requireError(t, r, http.StatusConflict, "response_closed", "")
		}
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, reviewStage, a.CurrentStage.Name)
		require.Nil(t, a.Responses[1].Score)
		require.Equal(t, "Expired", a.Responses[1].InviteStatus)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "moved"}, a.eventTypes())
	})

	t.Run("ResultAfterReject", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.rulesTrack("Rejected", rule, nil)
		inv, responseID := e.inAssessment(tr, "Rae Rejected", "rae@example.com")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.postResult(responseID, map[string]any{"status": "completed", "score": 90})
		})

		requireError(t, r, http.StatusConflict, "response_closed", "")
		require.Equal(t, "rejected", e.applicant(tr.ID, inv.ApplicationID).Applicant.Status)
	})
}

func TestStageRules(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	t.Run("CreateAndRead", func(t *testing.T) {
		e := e.forTest(t)
		advance := map[string]any{"match": "any", "conditions": []any{condition("score", "at_least", 40)}, "invite_format": "sendlink"}
		reject := map[string]any{"conditions": []any{condition("passed", "equals", false)}}

		tr := e.rulesTrack("With rules", advance, reject)

		r := e.do("GET", fmt.Sprintf("/tracks/%d", tr.ID), nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		stages := r.Body["stages"].([]any)
		require.Equal(t, map[string]any{
			"match": "any", "conditions": []any{map[string]any{"field": "score", "operator": "at_least", "value": 40.0}},
			"invite_format": "sendlink",
		}, stages[1].(map[string]any)["auto_advance"])
		require.Equal(t, map[string]any{
			"match": "all", "conditions": []any{map[string]any{"field": "passed", "operator": "equals", "value": false}},
			"send_email": false,
		}, stages[1].(map[string]any)["auto_reject"])
		require.Nil(t, stages[0].(map[string]any)["auto_advance"])
		require.Nil(t, stages[3].(map[string]any)["auto_reject"])
	})

	t.Run("PatchSetsAndRemoves", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Patched")
		path := fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[1].ID)

		set := e.do("PATCH", path, map[string]any{"auto_advance": advanceRule("all", condition("score", "at_least", 70))})
		require.Equal(t, http.StatusOK, set.Status, "body: %s", set.Raw)
		require.Equal(t, tr.Stages[1].ID, set.Body["stage_id"])
		require.Equal(t, "getlink", set.Body["auto_advance"].(map[string]any)["invite_format"])
		require.Nil(t, set.Body["auto_reject"])

		reject := e.do("PATCH", path, map[string]any{"auto_reject": map[string]any{"conditions": []any{condition("score", "at_most", 20)}}})
		require.Equal(t, http.StatusOK, reject.Status, "body: %s", reject.Raw)
		require.NotNil(t, reject.Body["auto_advance"], "a PATCH without auto_advance keeps it")

		removed := e.do("PATCH", path, map[string]any{"auto_advance": nil})
		require.Equal(t, http.StatusOK, removed.Status, "body: %s", removed.Raw)
		require.Nil(t, removed.Body["auto_advance"])
		require.NotNil(t, removed.Body["auto_reject"])

		inv, responseID := e.inAssessment(tr, "Pa Patched", "pa@example.com")
		require.Nil(t, e.postResult(responseID, map[string]any{"status": "completed", "score": 90}).Body["rule_fired"])
		require.Equal(t, assessmentStage, e.applicant(tr.ID, inv.ApplicationID).CurrentStage.Name)
	})

	t.Run("PatchNotFound", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Not found")
		body := map[string]any{"auto_advance": nil}

		requireError(t, e.do("PATCH", fmt.Sprintf("/tracks/%d/stages/stg_unknown", tr.ID), body), http.StatusNotFound, "not_found", "")
		requireError(t, e.do("PATCH", fmt.Sprintf("/tracks/999999/stages/%s", tr.Stages[0].ID), body), http.StatusNotFound, "not_found", "")
		other := e.newKey("Other company")
		r := e.doWithKey(other, "PATCH", fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[0].ID), body)
		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("PatchErrors", func(t *testing.T) {
		e := e.forTest(t)
		tr := e.newTrack("Patch errors")
		stagePath := func(i int) string { return fmt.Sprintf("/tracks/%d/stages/%s", tr.ID, tr.Stages[i].ID) }

		requireError(t, e.do("PATCH", stagePath(0), map[string]any{}), http.StatusBadRequest, "missing_field", "auto_advance")
		requireError(t, e.do("PATCH", stagePath(2), map[string]any{"auto_advance": advanceRule("all", condition("rating", "at_least", 4))}),
			http.StatusUnprocessableEntity, "invalid_rule", "auto_advance")
		requireError(t, e.do("PATCH", stagePath(3), map[string]any{"auto_reject": nil}),
			http.StatusUnprocessableEntity, "invalid_rule", "")
	})
}

func TestStageRuleErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	form := e.createFormModule()
	assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName})
	review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
	noticeCondition := func(operator string, value any) map[string]any {
		return map[string]any{"field": "answer", "label": noticeLabel, "operator": operator, "value": value}
	}

	cases := []struct {
		name   string
		stage  int // 0 form, 1 assessment, 2 review
		key    string
		rule   any
		status int
		code   string
		field  string
	}{
		{"FieldNotOfStage", 1, "auto_advance", advanceRule("all", condition("decision", "equals", "advance")),
			422, "invalid_rule", "stages[1].auto_advance.conditions[0].field"},
		{"UnknownField", 1, "auto_advance", advanceRule("all", condition("grade", "equals", "A")),
			422, "invalid_value", "stages[1].auto_advance.conditions[0].field"},
		{"OperatorNotOfField", 1, "auto_advance", advanceRule("all", condition("passed", "at_least", true)),
			422, "invalid_rule", "stages[1].auto_advance.conditions[0].operator"},
		{"ScoreOutOfRange", 1, "auto_advance", advanceRule("all", condition("score", "at_least", 140)),
			422, "invalid_rule", "stages[1].auto_advance.conditions[0].value"},
		{"ScoreNotNumber", 1, "auto_advance", advanceRule("all", condition("score", "at_least", "40")),
			422, "invalid_rule", "stages[1].auto_advance.conditions[0].value"},
		{"OneOfNotArray", 1, "auto_advance", advanceRule("all", condition("score", "one_of", 40)),
			422, "invalid_rule", "stages[1].auto_advance.conditions[0].value"},
		{"DecisionUnknown", 2, "auto_reject", map[string]any{"conditions": []any{condition("decision", "equals", "maybe")}},
			422, "invalid_rule", "stages[2].auto_reject.conditions[0].value"},
		{"AnswerUnknownLabel", 0, "auto_advance", advanceRule("all", map[string]any{"field": "answer", "label": "Salary", "operator": "equals", "value": "x"}),
			422, "invalid_rule", "stages[0].auto_advance.conditions[0].label"},
		{"AnswerNotAnOption", 0, "auto_advance", advanceRule("all", noticeCondition("one_of", []string{"None", "Two weeks"})),
			422, "invalid_rule", "stages[0].auto_advance.conditions[0].value"},
		{"AnswerWithoutLabel", 0, "auto_advance", advanceRule("all", condition("answer", "equals", "x")),
			400, "missing_field", "stages[0].auto_advance.conditions[0].label"},
		{"AdvanceOnLastStage", 2, "auto_advance", advanceRule("all", condition("rating", "at_least", 4)),
			422, "invalid_rule", "stages[2].auto_advance"},
		{"AdvanceWithoutFormat", 1, "auto_advance", map[string]any{"conditions": []any{condition("score", "at_least", 40)}},
			400, "missing_field", "stages[1].auto_advance.invite_format"},
		{"RejectWithFormat", 1, "auto_reject", map[string]any{"conditions": []any{condition("score", "at_most", 40)}, "invite_format": "getlink"},
			422, "invalid_value", "stages[1].auto_reject.invite_format"},
		{"NoConditions", 1, "auto_reject", map[string]any{"conditions": []any{}},
			400, "invalid_field", "stages[1].auto_reject.conditions"},
		{"UnknownMatch", 1, "auto_reject", map[string]any{"match": "most", "conditions": []any{condition("score", "at_most", 40)}},
			422, "invalid_value", "stages[1].auto_reject.match"},
		{"MisspeltKey", 1, "auto_reject", map[string]any{"conditions": []any{map[string]any{"field": "score", "operator": "at_most", "value": 40, "valeu": 3}}},
			400, "unknown_field", "stages[1].auto_reject.conditions[0].valeu"},
		{"RuleNotObject", 1, "auto_reject", "score < 40", 400, "invalid_json", "stages[1].auto_reject"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)
			stages := []map[string]any{
				{"name": formStage, "type": "form", "module_id": form},
				{"name": assessmentStage, "type": "assessment", "module_id": assessment},
				{"name": reviewStage, "type": "review", "module_id": review},
			}
			stages[c.stage][c.key] = c.rule
			before := e.countRows("SELECT count(*) FROM tracks")

			r := e.do("POST", "/tracks", map[string]any{"title": "Rule errors", "stages": stages})

			requireError(t, r, c.status, c.code, c.field)
			require.Equal(t, before, e.countRows("SELECT count(*) FROM tracks"), "a rejected track was stored")
		})
	}
}
