package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTypedResults(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("Assessment", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv, responseID := e.inAssessment(tr, "Asa Assess", "asa@example.com")

		r := e.postResult(responseID, map[string]any{
			"status": "completed", "score": 72.5, "max_score": 40, "passed": true,
			"report_url": "https://assessments.example.com/reports/991", "data": map[string]any{"tests_passed": 29},
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, 72.5, r.Body["score"])
		require.Equal(t, map[string]any{
			"max_score": 40.0, "passed": true, "report_url": "https://assessments.example.com/reports/991",
		}, r.Body["result"])
		require.Equal(t, map[string]any{"tests_passed": 29.0}, r.Body["data"])
		require.Nil(t, r.Body["rule_fired"])
		require.Nil(t, r.Body["automation"])

		got := e.do("GET", fmt.Sprintf("/responses/%d", responseID), nil)
		require.Equal(t, http.StatusOK, got.Status, "body: %s", got.Raw)
		entry := decode[reportEntry](t, got)
		require.Equal(t, responseID, entry.ID)
		require.Equal(t, float64(responseID), got.Body["report_id"])
		require.Equal(t, tr.ID, entry.TrackID)
		require.Equal(t, tr.Stages[1].ref(), entry.Stage)
		require.Equal(t, "Completed", entry.InviteStatus)
		require.Equal(t, r.Body["result"], got.Body["result"])
		require.Equal(t, r.Body["completed_at"], got.Body["completed_at"])

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, 72.5, *a.Applicant.Score)
		require.Len(t, a.StageWiseReport, 2)
		require.Equal(t, entry, a.StageWiseReport[1])
	})

	t.Run("Review", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv, _ := e.inAssessment(tr, "Rey Review", "rey@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		r := e.postResult(adv.ResponseID, map[string]any{
			"status": "completed", "rating": 4, "decision": "hold", "notes": "Strong on APIs.\nAsk about on-call.",
			"reviewer_name": "Kim Lead",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(adv.ResponseID), r.Body["review_id"])
		require.Equal(t, map[string]any{
			"rating": 4.0, "decision": "hold", "notes": "Strong on APIs.\nAsk about on-call.", "reviewer_name": "Kim Lead",
		}, r.Body["result"])
		require.Nil(t, r.Body["score"])
	})

	t.Run("FormAnswers", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Fo Form", "fo@example.com", "getlink")

		r := e.postResult(inv.ResponseID, map[string]any{"status": "completed", "answers": []any{
			map[string]any{"label": noticeLabel, "value": "None"},
			map[string]any{"label": motivationLabel, "value": "Your API docs."},
		}})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		answers := []any{
			map[string]any{"label": motivationLabel, "value": "Your API docs."},
			map[string]any{"label": noticeLabel, "value": "None"},
		}
		require.Equal(t, map[string]any{"answers": answers}, r.Body["result"])
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []answer{{motivationLabel, "Your API docs."}, {noticeLabel, "None"}}, a.SubmittedResponse)
		require.Equal(t, "Completed", a.Applicant.TrackInvitationStatus)
	})

	t.Run("ReportOfCandidatePage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Pa Page", "pa.page@example.com", "getlink")

		before := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []answer{}, before.SubmittedResponse)
		require.Len(t, before.StageWiseReport, 1)
		require.Equal(t, "Pending", before.StageWiseReport[0].InviteStatus)
		require.Nil(t, before.StageWiseReport[0].CompletedAt)

		e.completeForm(inv.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		e.postCompleted(adv.ResponseID, 64)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []answer{{motivationLabel, "I like the product."}, {noticeLabel, "One month"}}, a.SubmittedResponse)
		require.Len(t, a.StageWiseReport, 2)
		form, exercise := a.StageWiseReport[0], a.StageWiseReport[1]
		require.Equal(t, inv.ResponseID, form.ID)
		require.Equal(t, tr.Stages[0].ref(), form.Stage)
		require.Equal(t, "Completed", form.InviteStatus)
		require.NotNil(t, form.OpenedAt)
		require.NotNil(t, form.StartedAt)
		require.NotNil(t, form.CompletedAt)
		require.Equal(t, map[string]any{"answers": []any{
			map[string]any{"label": motivationLabel, "value": "I like the product."},
			map[string]any{"label": noticeLabel, "value": "One month"},
		}}, form.Result)
		require.Equal(t, adv.ResponseID, exercise.ID)
		require.Equal(t, 64.0, *exercise.Score)
		require.Equal(t, map[string]any{"max_score": nil, "passed": nil, "report_url": nil}, exercise.Result)
	})

	t.Run("ScoreIsLatestScoredStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv, responseID := e.inAssessment(tr, "Lu Latest", "lu@example.com")
		e.postCompleted(responseID, 55)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		require.Equal(t, 55.0, *e.applicant(tr.ID, inv.ApplicationID).Applicant.Score)

		e.postCompleted(adv.ResponseID, 91)

		require.Equal(t, 91.0, *e.applicant(tr.ID, inv.ApplicationID).Applicant.Score)
		rows := decode[struct {
			Data []struct {
				Score *float64 `json:"score"`
			} `json:"data"`
		}](t, e.listApplicants(tr.ID, ""))
		require.Equal(t, 91.0, *rows.Data[0].Score)
	})

	t.Run("ResponseNotFound", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "No Body", "nobody@example.com", "getlink")
		other := e.newKey("Other company " + t.Name())

		requireError(t, e.do("GET", "/responses/999999", nil), http.StatusNotFound, "not_found", "")
		requireError(t, e.doWithKey(other, "GET", fmt.Sprintf("/responses/%d", inv.ResponseID), nil), http.StatusNotFound, "not_found", "")
		requireError(t, e.do("GET", "/responses/x1", nil), http.StatusBadRequest, "invalid_path", "response_id")
	})
}

func TestTypedResultErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv, assessmentID := e.inAssessment(tr, "Err Example", "err@example.com")
	formID := inv.ResponseID
	other := e.inviteCompleted(tr.ID, "Rev Errors", "rev.errors@example.com")
	e.mustAdvance(tr.ID, other.ApplicationID, "getlink")
	review := e.mustAdvance(tr.ID, other.ApplicationID, "getlink")
	pending := e.invite(tr.ID, "Pen Form", "pen@example.com", "getlink")

	completed := func(fields map[string]any) map[string]any {
		body := map[string]any{"status": "completed"}
		for k, v := range fields {
			body[k] = v
		}
		return body
	}
	cases := []struct {
		name     string
		response int64
		body     map[string]any
		status   int
		code     string
		field    string
	}{
		{"RatingTooHigh", review.ResponseID, completed(map[string]any{"rating": 6}), 422, "out_of_range", "rating"},
		{"RatingNotInteger", review.ResponseID, completed(map[string]any{"rating": 4.5}), 422, "out_of_range", "rating"},
		{"UnknownDecision", review.ResponseID, completed(map[string]any{"decision": "maybe"}), 422, "invalid_value", "decision"},
		{"NotesTooLong", review.ResponseID, completed(map[string]any{"notes": strings.Repeat("n", 10001)}), 400, "invalid_field", "notes"},
		{"PassedOnReview", review.ResponseID, completed(map[string]any{"passed": true}), 422, "invalid_value", "passed"},
		{"RatingOnAssessment", assessmentID, completed(map[string]any{"rating": 3}), 422, "invalid_value", "rating"},
		{"MaxScoreZero", assessmentID, completed(map[string]any{"max_score": 0}), 422, "out_of_range", "max_score"},
		{"PassedNotBool", assessmentID, completed(map[string]any{"passed": "yes"}), 400, "invalid_field", "passed"},
		{"ReportURLNotHTTP", assessmentID, completed(map[string]any{"report_url": "ftp://example.com/r"}), 400, "invalid_field", "report_url"},
		{"PassedWithStarted", assessmentID, map[string]any{"status": "started", "passed": true}, 422, "invalid_value", "passed"},
		{"AnswersOnAssessment", assessmentID, completed(map[string]any{"answers": []any{}}), 422, "invalid_value", "answers"},
		{"AnswerUnknownLabel", pending.ResponseID, completed(map[string]any{"answers": []any{
			map[string]any{"label": "Salary", "value": "a lot"}}}), 422, "invalid_value", "answers[0].label"},
		{"AnswerMissingRequired", pending.ResponseID, completed(map[string]any{"answers": []any{
			map[string]any{"label": noticeLabel, "value": "None"}}}), 422, "missing_answer", "answers"},
		{"AnswerNotAnOption", pending.ResponseID, completed(map[string]any{"answers": []any{
			map[string]any{"label": motivationLabel, "value": "Yes"}, map[string]any{"label": noticeLabel, "value": "Soon"}}}),
			422, "invalid_answer", "answers"},
		{"AnswersWithData", pending.ResponseID, completed(map[string]any{"answers": []any{
			map[string]any{"label": motivationLabel, "value": "Yes"}}, "data": map[string]any{"x": 1}}), 422, "invalid_value", "data"},
		{"ClosedForm", formID, completed(map[string]any{"score": 10}), 409, "response_closed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)
			path := fmt.Sprintf("/responses/%d", c.response)
			before := e.do("GET", path, nil)

			r := e.requireNoChange(inv.ApplicationID, func() result { return e.postResult(c.response, c.body) })

			requireError(t, r, c.status, c.code, c.field)
			require.Equal(t, before.Body, e.do("GET", path, nil).Body, "the failed request changed the response")
		})
	}
}

// postCompleted reports a completed result with a score and requires 200 OK.
func (e *env) postCompleted(responseID int64, score float64) {
	e.t.Helper()
	r := e.postResult(responseID, map[string]any{"status": "completed", "score": score})
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
}
