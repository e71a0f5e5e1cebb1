package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdvance(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("CompletedInvitation", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Jo Example", "jo@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		r := e.advance(tr.ID, inv.ApplicationID, "getlink")

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, []string{
			"name", "email", "stage_moved", "candidate_id", "application_id", "module_id",
			"response_id", "invite_link", "status", "track_id", "stage_id", "expires_at",
		}, slices.Collect(maps.Keys(r.Body)))

		adv := decode[advancement](t, r)
		require.Equal(t, "Jo Example", adv.Name)
		require.Equal(t, "jo@example.com", adv.Email)
		require.Equal(t, assessmentStage, adv.StageMoved)
		require.Equal(t, inv.CandidateID, adv.CandidateID)
		require.Equal(t, inv.ApplicationID, adv.ApplicationID)
		require.Equal(t, *tr.Stages[1].ModuleID, adv.ModuleID)
		require.Greater(t, adv.ResponseID, inv.ResponseID)
		require.True(t, strings.HasPrefix(adv.InviteLink, e.srv.URL()+"/invite/"), "invite_link %q", adv.InviteLink)
		require.NotEqual(t, inv.InviteLink, adv.InviteLink)
		require.Equal(t, "link_generated", adv.Status)
		require.Equal(t, tr.ID, adv.TrackID)
		require.Equal(t, tr.Stages[1].ID, adv.StageID)
		requireUTC(t, adv.ExpiresAt)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, tr.Stages[1].ID, a.CurrentStage.ID)
		require.Equal(t, assessmentStage, a.CurrentStage.Name)
		require.Equal(t, "assessment", a.CurrentStage.Type)
		require.Equal(t, "Pending", a.Applicant.StageStatus)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced"}, a.eventTypes())
		require.Len(t, a.Responses, 2)
		require.Equal(t, adv.ResponseID, a.Responses[1].ID)
		require.Equal(t, "Pending", a.Responses[1].InviteStatus)
		require.Equal(t, adv.ExpiresAt, a.Responses[1].ExpiresAt)

		p := e.getPage(adv.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, assessmentStage)
	})

	t.Run("SendLink", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sam Example", "sam@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "sendlink")

		require.Equal(t, "email_queued", adv.Status)
		require.Equal(t, assessmentStage, adv.StageMoved)
		types := e.applicant(tr.ID, inv.ApplicationID).eventTypes()
		// The mail worker may have added email_sent already.
		require.GreaterOrEqual(t, len(types), 5, "timeline: %v", types)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "email_queued"}, types[:5])
	})

	t.Run("SourceStageMatches", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Kim Example", "kim@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		r := e.do("PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
			"source_stage_id": tr.Stages[0].ID,
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, tr.Stages[1].ID, r.Body["stage_id"])
	})

	t.Run("IDsAsStrings", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Lee Example", "lee@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		r := e.do("PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": fmt.Sprint(tr.ID), "application_id": fmt.Sprint(inv.ApplicationID), "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(tr.ID), r.Body["track_id"])
		require.Equal(t, float64(inv.ApplicationID), r.Body["application_id"])
	})

	t.Run("BearerToken", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Ash Example", "ash@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		body := fmt.Sprintf(`{"track_id": %d, "application_id": %d, "invite_format": "getlink"}`, tr.ID, inv.ApplicationID)
		req, err := http.NewRequest("PUT", e.srv.URL()+"/tracks/candidate/advance", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.key)

		r := e.send(req)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, assessmentStage, r.Body["stage_moved"])
	})

	t.Run("ThroughEveryRegularStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Max Example", "max@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		second := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		third := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		require.Equal(t, assessmentStage, second.StageMoved)
		require.Equal(t, reviewStage, third.StageMoved)
		require.Equal(t, tr.Stages[2].ID, third.StageID)
		require.Equal(t, *tr.Stages[2].ModuleID, third.ModuleID)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, reviewStage, a.CurrentStage.Name)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "advanced"}, a.eventTypes())
	})

	t.Run("DoubleSubmit", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Dee Example", "dee@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		body, err := json.Marshal(map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
			"source_stage_id": tr.Stages[0].ID,
		})
		require.NoError(t, err)

		// Both requests run at once, as when a user presses the button twice.
		// The goroutines only collect results, because require must run on
		// the test goroutine.
		type outcome struct {
			status int
			body   []byte
			err    error
		}
		outcomes := make([]outcome, 2)
		var wg sync.WaitGroup
		for i := range outcomes {
			wg.Go(func() {
				req, err := http.NewRequest("PUT", e.srv.URL()+"/tracks/candidate/advance", bytes.NewReader(body))
				if err != nil {
					outcomes[i].err = err
					return
				}
				req.Header.Set("apiKey", e.key)
				resp, err := e.client.Do(req)
				if err != nil {
					outcomes[i].err = err
					return
				}
				defer resp.Body.Close()
				outcomes[i].status = resp.StatusCode
				outcomes[i].body, outcomes[i].err = io.ReadAll(resp.Body)
			})
		}
		wg.Wait()

		var statuses []int
		for _, o := range outcomes {
			require.NoError(t, o.err)
			statuses = append(statuses, o.status)
			if o.status == http.StatusConflict {
				require.Contains(t, string(o.body), `"code":"stage_mismatch"`)
			}
		}
		require.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, statuses)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Len(t, a.Responses, 2)
		require.Equal(t, assessmentStage, a.CurrentStage.Name)
	})
}

func TestAdvanceRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	ready := e.invite(tr.ID, "Ray Ready", "ray@example.com", "getlink")
	e.completeForm(ready.InviteLink)
	pending := e.invite(tr.ID, "Pat Pending", "pat@example.com", "getlink")

	other := e.newTrack("Designer")
	inOtherTrack := e.invite(other.ID, "Oli Other", "oli@example.com", "getlink")
	e.completeForm(inOtherTrack.InviteLink)

	globex := e.forTest(t)
	globex.key = e.newKey("Globex")
	globexTrack := globex.newTrack("Globex Engineer")
	globexApp := globex.invite(globexTrack.ID, "Gil Globex", "gil@example.com", "getlink")
	globex.completeForm(globexApp.InviteLink)

	// requireUnchanged sends a failing request and checks that it wrote nothing.
	requireUnchanged := func(e *env, applicationID int64, send func() result) result {
		e.t.Helper()
		before := e.state(applicationID)
		r := send()
		require.Equal(e.t, before, e.state(applicationID), "the failed request changed the database")
		return r
	}

	// advanceBody returns a valid request for the ready application with
	// fields replaced, or removed where the value is nil.
	advanceBody := func(fields map[string]any) map[string]any {
		body := map[string]any{"track_id": tr.ID, "application_id": ready.ApplicationID, "invite_format": "getlink"}
		for k, v := range fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	tooLarge := fmt.Sprintf(`{"track_id": %d, "application_id": %d, "invite_format": "getlink", "note": %q}`,
		tr.ID, ready.ApplicationID, strings.Repeat("x", 1<<20))

	cases := []struct {
		name   string
		key    string
		body   any
		status int
		code   string
		field  string
	}{
		{"MalformedJSON", e.key, `{"track_id": 1,`, 400, "invalid_json", ""},
		{"EmptyBody", e.key, "", 400, "invalid_json", ""},
		{"BodyNotObject", e.key, `[1, 2]`, 400, "invalid_json", ""},
		{"MissingTrackID", e.key, advanceBody(map[string]any{"track_id": nil}), 400, "missing_field", "track_id"},
		{"MissingApplicationID", e.key, advanceBody(map[string]any{"application_id": nil}), 400, "missing_field", "application_id"},
		{"MissingInviteFormat", e.key, advanceBody(map[string]any{"invite_format": nil}), 400, "missing_field", "invite_format"},
		{"TrackIDNotDigits", e.key, advanceBody(map[string]any{"track_id": "abc"}), 400, "invalid_field", "track_id"},
		{"TrackIDWithSign", e.key, advanceBody(map[string]any{"track_id": fmt.Sprintf("+%d", tr.ID)}), 400, "invalid_field", "track_id"},
		{"TrackIDBoolean", e.key, advanceBody(map[string]any{"track_id": true}), 400, "invalid_field", "track_id"},
		{"TrackIDFraction", e.key, advanceBody(map[string]any{"track_id": 1.5}), 400, "invalid_field", "track_id"},
		{"TrackIDNegative", e.key, advanceBody(map[string]any{"track_id": -1}), 400, "invalid_field", "track_id"},
		{"TrackIDOverflow", e.key, advanceBody(map[string]any{"track_id": "99999999999999999999"}), 400, "invalid_field", "track_id"},
		{"ApplicationIDObject", e.key, advanceBody(map[string]any{"application_id": map[string]any{}}), 400, "invalid_field", "application_id"},
		{"InviteFormatNotString", e.key, advanceBody(map[string]any{"invite_format": 1}), 400, "invalid_field", "invite_format"},
		{"SourceStageIDNotString", e.key, advanceBody(map[string]any{"source_stage_id": 5}), 400, "invalid_field", "source_stage_id"},
		{"UnknownInviteFormat", e.key, advanceBody(map[string]any{"invite_format": "email"}), 422, "invalid_value", "invite_format"},
		{"InviteFormatUpperCase", e.key, advanceBody(map[string]any{"invite_format": "GETLINK"}), 422, "invalid_value", "invite_format"},
		{"MissingKey", "", advanceBody(nil), 401, "unauthorized", ""},
		{"UnknownKey", "htk_not-a-key-of-this-server", advanceBody(nil), 401, "unauthorized", ""},
		{"UnknownTrack", e.key, advanceBody(map[string]any{"track_id": 999999}), 404, "not_found", ""},
		{"UnknownApplication", e.key, advanceBody(map[string]any{"application_id": 999999}), 404, "not_found", ""},
		{"ApplicationOfOtherTrack", e.key, advanceBody(map[string]any{"application_id": inOtherTrack.ApplicationID}), 404, "not_found", ""},
		{"TrackOfOtherCompany", e.key, advanceBody(map[string]any{"track_id": globexTrack.ID, "application_id": globexApp.ApplicationID}), 404, "not_found", ""},
		{"ApplicationOfOtherCompany", e.key, advanceBody(map[string]any{"application_id": globexApp.ApplicationID}), 404, "not_found", ""},
		{"BodyTooLarge", e.key, tooLarge, 413, "body_too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := requireUnchanged(e, ready.ApplicationID, func() result {
				return e.doWithKey(c.key, "PUT", "/tracks/candidate/advance", c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("InvitationPending", func(t *testing.T) {
		e := e.forTest(t)

		r := requireUnchanged(e, pending.ApplicationID, func() result {
			return e.advance(tr.ID, pending.ApplicationID, "getlink")
		})

		requireError(t, r, http.StatusConflict, "invitation_pending", "")
		require.ElementsMatch(t, []string{
			"candidate_id", "email", "invite_status", "name", "status", "application_id", "track_id", "error",
		}, slices.Collect(maps.Keys(r.Body)))
		require.Equal(t, float64(pending.CandidateID), r.Body["candidate_id"])
		require.Equal(t, "pat@example.com", r.Body["email"])
		require.Equal(t, "Pending", r.Body["invite_status"])
		require.Equal(t, "Pat Pending", r.Body["name"])
		require.Equal(t, "not_advanced", r.Body["status"])
		require.Equal(t, float64(pending.ApplicationID), r.Body["application_id"])
		require.Equal(t, float64(tr.ID), r.Body["track_id"])
		require.Contains(t, r.Body["error"].(map[string]any)["message"], formStage)
	})

	t.Run("BodyAtLimit", func(t *testing.T) {
		e := e.forTest(t)
		start := fmt.Sprintf(`{"track_id": %d, "application_id": %d, "invite_format": "getlink", "note": "`,
			tr.ID, pending.ApplicationID)
		end := `"}`
		body := start + strings.Repeat("x", 1<<20-len(start)-len(end)) + end
		require.Len(t, body, 1<<20)

		r := requireUnchanged(e, pending.ApplicationID, func() result {
			return e.do("PUT", "/tracks/candidate/advance", body)
		})

		requireError(t, r, http.StatusConflict, "invitation_pending", "")
	})

	t.Run("InvitationPendingWithSendLink", func(t *testing.T) {
		e := e.forTest(t)

		r := requireUnchanged(e, pending.ApplicationID, func() result {
			return e.advance(tr.ID, pending.ApplicationID, "sendlink")
		})

		requireError(t, r, http.StatusConflict, "invitation_pending", "")
		require.Equal(t, "not_advanced", r.Body["status"])
	})

	t.Run("InvitationStarted", func(t *testing.T) {
		e := e.forTest(t)
		started := e.invite(tr.ID, "Stu Started", "stu@example.com", "getlink")
		r := e.do("POST", fmt.Sprintf("/responses/%d/result", started.ResponseID), map[string]any{"status": "started"})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

		r = requireUnchanged(e, started.ApplicationID, func() result {
			return e.advance(tr.ID, started.ApplicationID, "getlink")
		})

		requireError(t, r, http.StatusConflict, "invitation_pending", "")
		require.Equal(t, "Started", r.Body["invite_status"])
		require.Equal(t, "not_advanced", r.Body["status"])
	})

	t.Run("StageMismatch", func(t *testing.T) {
		e := e.forTest(t)

		r := requireUnchanged(e, ready.ApplicationID, func() result {
			return e.do("PUT", "/tracks/candidate/advance", advanceBody(map[string]any{"source_stage_id": tr.Stages[1].ID}))
		})

		requireError(t, r, http.StatusConflict, "stage_mismatch", "source_stage_id")
		require.Equal(t, map[string]any{"stage_id": tr.Stages[0].ID, "name": formStage, "type": "form"}, r.Body["current_stage"])
	})

	t.Run("NoNextStage", func(t *testing.T) {
		e := e.forTest(t)
		last := e.invite(tr.ID, "Lou Last", "lou@example.com", "getlink")
		e.completeForm(last.InviteLink)
		e.mustAdvance(tr.ID, last.ApplicationID, "getlink")
		e.mustAdvance(tr.ID, last.ApplicationID, "getlink")

		r := requireUnchanged(e, last.ApplicationID, func() result {
			return e.advance(tr.ID, last.ApplicationID, "getlink")
		})

		requireError(t, r, http.StatusConflict, "no_next_stage", "")
		require.Contains(t, r.Body["error"].(map[string]any)["message"], reviewStage)
	})

	for _, status := range []string{"rejected", "hired"} {
		t.Run("ApplicationClosed/"+status, func(t *testing.T) {
			e := e.forTest(t)
			closed := e.invite(tr.ID, "Cal Closed "+status, "cal."+status+"@example.com", "getlink")
			e.completeForm(closed.InviteLink)
			e.exec(`UPDATE applications SET status = ? WHERE id = ?`, status, closed.ApplicationID)

			r := requireUnchanged(e, closed.ApplicationID, func() result {
				return e.advance(tr.ID, closed.ApplicationID, "getlink")
			})

			requireError(t, r, http.StatusConflict, "application_closed", "")
			require.Contains(t, r.Body["error"].(map[string]any)["message"], status)
		})
	}

	t.Run("ReadyApplicationStillAdvances", func(t *testing.T) {
		e := e.forTest(t)

		adv := e.mustAdvance(tr.ID, ready.ApplicationID, "getlink")

		require.Equal(t, assessmentStage, adv.StageMoved)
	})
}

func TestRecordResult(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	idNames := []struct {
		moduleType string
		idName     string
	}{
		{"form", "form_response_id"},
		{"assessment", "report_id"},
		{"automated_interview", "interview_response_id"},
		{"review", "review_id"},
	}
	for _, c := range idNames {
		t.Run("IDName/"+c.moduleType, func(t *testing.T) {
			t.Parallel()
			e := shared.forTest(t)
			module := map[string]any{"type": c.moduleType, "name": "First step"}
			if c.moduleType == "form" {
				module["questions"] = []any{map[string]any{"label": "Why us?", "kind": "text"}}
			}
			tr := e.createTrack("Track "+c.moduleType,
				map[string]any{"name": "First step", "type": c.moduleType, "module_id": e.createModule(module)})
			inv := e.invite(tr.ID, "Ida Example", "ida."+c.moduleType+"@example.com", "getlink")

			r := e.do("POST", fmt.Sprintf("/responses/%d/result", inv.ResponseID), map[string]any{"status": "completed", "score": 80})

			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
			require.Equal(t, float64(inv.ResponseID), r.Body[c.idName])
			require.Equal(t, float64(inv.ResponseID), r.Body["response_id"])
			require.Equal(t, c.moduleType, r.Body["module_type"])
			require.Equal(t, "Completed", r.Body["invite_status"])
			require.Equal(t, 80.0, r.Body["score"])
		})
	}

	t.Run("StartedThenCompleted", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Jo Example", "jo@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		path := fmt.Sprintf("/responses/%d/result", adv.ResponseID)

		started := e.do("POST", path, map[string]any{"status": "started"})

		require.Equal(t, http.StatusOK, started.Status, "body: %s", started.Raw)
		require.Equal(t, float64(adv.ResponseID), started.Body["report_id"])
		require.Equal(t, "Started", started.Body["invite_status"])
		requireUTC(t, started.Body["started_at"].(string))
		require.Nil(t, started.Body["completed_at"])
		require.Nil(t, started.Body["score"])
		require.Nil(t, started.Body["data"])

		completed := e.do("POST", path, map[string]any{
			"status": "completed", "score": 87.5, "data": map[string]any{"tests_passed": 41, "tests_total": 45},
		})

		require.Equal(t, http.StatusOK, completed.Status, "body: %s", completed.Raw)
		require.Equal(t, float64(adv.ResponseID), completed.Body["report_id"])
		require.Equal(t, "Completed", completed.Body["invite_status"])
		require.Equal(t, 87.5, completed.Body["score"])
		require.Equal(t, map[string]any{"tests_passed": 41.0, "tests_total": 45.0}, completed.Body["data"])
		require.Equal(t, started.Body["started_at"], completed.Body["started_at"])
		requireUTC(t, completed.Body["completed_at"].(string))

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Completed", a.Applicant.StageStatus)
		require.Equal(t, 87.5, *a.Applicant.Score)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "started", "completed"}, a.eventTypes())
		require.JSONEq(t, `{"score": 87.5}`, string(a.Timeline[5].Data))
	})

	t.Run("StartedTwice", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Two Starts", "two.starts@example.com", "getlink")
		path := fmt.Sprintf("/responses/%d/result", inv.ResponseID)
		first := e.do("POST", path, map[string]any{"status": "started"})
		require.Equal(t, http.StatusOK, first.Status, "body: %s", first.Raw)

		second := e.do("POST", path, map[string]any{"status": "started"})

		require.Equal(t, http.StatusOK, second.Status, "body: %s", second.Raw)
		require.Equal(t, first.Body["started_at"], second.Body["started_at"])
		require.Equal(t, []string{"invited", "started"}, e.applicant(tr.ID, inv.ApplicationID).eventTypes())
	})

	t.Run("ScoreBoundaries", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		for _, score := range []float64{0, 100} {
			inv := e.invite(tr.ID, "Bo Boundary", fmt.Sprintf("bo.%g@example.com", score), "getlink")

			r := e.do("POST", fmt.Sprintf("/responses/%d/result", inv.ResponseID), map[string]any{"status": "completed", "score": score})

			require.Equal(t, http.StatusOK, r.Status, "score %g: %s", score, r.Raw)
			require.Equal(t, score, r.Body["score"])
		}
	})

	t.Run("CompletesTrackInvitation", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Api Done", "api.done@example.com", "getlink")
		r := e.do("POST", fmt.Sprintf("/responses/%d/result", inv.ResponseID), map[string]any{"status": "completed"})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(inv.ResponseID), r.Body["form_response_id"])

		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		require.Equal(t, assessmentStage, adv.StageMoved)
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})
}

func TestRecordResultRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Res Example", "res@example.com", "getlink")
	path := fmt.Sprintf("/responses/%d/result", inv.ResponseID)

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"ScoreAboveRange", path, map[string]any{"status": "completed", "score": 101}, 422, "out_of_range", "score"},
		{"ScoreBelowRange", path, map[string]any{"status": "completed", "score": -1}, 422, "out_of_range", "score"},
		{"ScoreWithStarted", path, map[string]any{"status": "started", "score": 50}, 422, "invalid_value", "score"},
		{"ScoreNotNumber", path, map[string]any{"status": "completed", "score": "90"}, 400, "invalid_field", "score"},
		{"DataNotObject", path, map[string]any{"status": "completed", "data": []int{1, 2}}, 400, "invalid_field", "data"},
		{"UnknownStatus", path, map[string]any{"status": "passed"}, 422, "invalid_value", "status"},
		{"StatusPending", path, map[string]any{"status": "pending"}, 422, "invalid_value", "status"},
		{"MissingStatus", path, map[string]any{"score": 50}, 400, "missing_field", "status"},
		{"MalformedJSON", path, `{"status": `, 400, "invalid_json", ""},
		{"UnknownResponse", "/responses/999999/result", map[string]any{"status": "completed"}, 404, "not_found", ""},
		{"ResponseIDNotNumber", "/responses/abc/result", map[string]any{"status": "completed"}, 400, "invalid_path", "response_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)
			before := e.state(inv.ApplicationID)

			r := e.do("POST", c.path, c.body)

			requireError(t, r, c.status, c.code, c.field)
			require.Equal(t, before, e.state(inv.ApplicationID), "the failed request changed the database")
			resp := e.applicant(tr.ID, inv.ApplicationID).Responses[0]
			require.Equal(t, "Pending", resp.InviteStatus)
			require.Nil(t, resp.Score)
			require.Nil(t, resp.StartedAt)
		})
	}

	t.Run("CompletedTwice", func(t *testing.T) {
		e := e.forTest(t)
		first := e.do("POST", path, map[string]any{"status": "completed", "score": 70, "data": map[string]any{"grade": "B"}})
		require.Equal(t, http.StatusOK, first.Status, "body: %s", first.Raw)
		before := e.state(inv.ApplicationID)

		r := e.do("POST", path, map[string]any{"status": "completed", "score": 95})

		requireError(t, r, http.StatusConflict, "response_completed", "")
		require.Equal(t, before, e.state(inv.ApplicationID), "the failed request changed the database")
		resp := e.applicant(tr.ID, inv.ApplicationID).Responses[0]
		require.Equal(t, "Completed", resp.InviteStatus)
		require.Equal(t, 70.0, *resp.Score)
		require.JSONEq(t, `{"grade": "B"}`, string(resp.Data))
	})

	t.Run("StartedAfterCompleted", func(t *testing.T) {
		e := e.forTest(t)

		r := e.do("POST", path, map[string]any{"status": "started"})

		requireError(t, r, http.StatusConflict, "response_completed", "")
	})
}
