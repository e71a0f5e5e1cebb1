package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clockStart is the time of the fixed clock in tests that check expiry times.
var clockStart = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func TestInvite(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{now: newTestClock(clockStart).Now})

	t.Run("NewCandidate", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Nia New", "candidate_email": "nia@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, []string{
			"application_id", "candidate_id", "email", "invite_link", "invite_status", "name", "track_id",
			"response_id", "status", "expires_at",
		}, slices.Collect(maps.Keys(r.Body)))
		inv := decode[invitation](t, r)
		require.Greater(t, inv.ApplicationID, int64(0))
		require.Greater(t, inv.CandidateID, int64(0))
		require.Greater(t, inv.ResponseID, int64(0))
		require.Equal(t, tr.ID, inv.TrackID)
		require.Equal(t, "Nia New", inv.Name)
		require.Equal(t, "nia@example.com", inv.Email)
		require.True(t, strings.HasPrefix(inv.InviteLink, e.srv.URL()+"/invite/"), "invite_link %q", inv.InviteLink)
		require.Equal(t, "Pending", inv.InviteStatus)
		require.Equal(t, "link_generated", inv.Status)
		require.Equal(t, "2026-03-09T09:30:00Z", inv.ExpiresAt, "an invite link is valid for 168 hours")

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, formStage, a.CurrentStage.Name)
		require.Equal(t, []string{"invited"}, a.eventTypes())
		require.JSONEq(t, `{"invite_format": "getlink"}`, string(a.Timeline[0].Data))
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
	})

	t.Run("SameEmailAgain", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		first := e.invite(tr.ID, "Ann Again", "ann@example.com", "getlink")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Ann Other Name", "candidate_email": "ANN@Example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		again := decode[invitation](t, r)
		require.Equal(t, first.ApplicationID, again.ApplicationID)
		require.Equal(t, first.CandidateID, again.CandidateID)
		require.Equal(t, first.ResponseID, again.ResponseID)
		require.Equal(t, "Ann Again", again.Name, "an existing candidate keeps the name")
		require.Equal(t, "ann@example.com", again.Email, "an existing candidate keeps the email spelling")
		require.Equal(t, "Pending", again.InviteStatus)
		require.Equal(t, "link_generated", again.Status)
		require.NotEqual(t, first.InviteLink, again.InviteLink)

		old := e.getPage(first.InviteLink)
		require.Equal(t, http.StatusNotFound, old.Status, "page: %s", old.HTML)
		fresh := e.getPage(again.InviteLink)
		require.Equal(t, http.StatusOK, fresh.Status, "page: %s", fresh.HTML)
		require.Equal(t, []string{"invited", "reinvited", "opened"}, e.applicant(tr.ID, first.ApplicationID).eventTypes())
	})

	t.Run("SameEmailOtherTrack", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		backend := e.newTrack("Backend Engineer")
		frontend := e.newTrack("Frontend Engineer")
		first := e.invite(backend.ID, "Tom Two", "tom@example.com", "getlink")

		second := e.invite(frontend.ID, "Tom Two", "tom@example.com", "getlink")

		require.Equal(t, first.CandidateID, second.CandidateID)
		require.NotEqual(t, first.ApplicationID, second.ApplicationID)
		require.Equal(t, frontend.ID, second.TrackID)
	})

	t.Run("AgainAfterCompletion", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		first := e.invite(tr.ID, "Cai Complete", "cai@example.com", "getlink")
		e.completeForm(first.InviteLink)

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Cai Complete", "candidate_email": "cai@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		again := decode[invitation](t, r)
		require.Equal(t, first.ApplicationID, again.ApplicationID)
		require.Equal(t, "Completed", again.InviteStatus, "a new link does not reopen a completed invitation")
		p := e.getPage(again.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("SendLink", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		inv := e.invite(tr.ID, "Sid Send", "sid@example.com", "sendlink")

		require.Equal(t, "email_queued", inv.Status)
		require.Equal(t, "Pending", inv.InviteStatus)
		types := e.applicant(tr.ID, inv.ApplicationID).eventTypes()
		require.GreaterOrEqual(t, len(types), 2, "timeline: %v", types)
		require.Equal(t, []string{"invited", "email_queued"}, types[:2])
	})

	t.Run("TrackIDAsString", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Str Id", "candidate_email": "str@example.com", "track_id": fmt.Sprint(tr.ID), "invite_format": "getlink",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(tr.ID), r.Body["track_id"])
	})
}

func TestInviteRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	existing := e.invite(tr.ID, "Eve Existing", "eve@example.com", "getlink")

	// inviteBody returns a valid request with fields replaced, or removed
	// where the value is nil.
	inviteBody := func(fields map[string]any) map[string]any {
		body := map[string]any{
			"candidate_name": "Ina Invalid", "candidate_email": "ina@example.com", "track_id": tr.ID, "invite_format": "getlink",
		}
		for k, v := range fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}

	cases := []struct {
		name   string
		key    string
		body   any
		status int
		code   string
		field  string
	}{
		{"InvalidEmail", e.key, inviteBody(map[string]any{"candidate_email": "ina@"}), 400, "invalid_field", "candidate_email"},
		{"EmailWithDisplayName", e.key, inviteBody(map[string]any{"candidate_email": "Ina <ina@example.com>"}), 400, "invalid_field", "candidate_email"},
		{"MissingEmail", e.key, inviteBody(map[string]any{"candidate_email": nil}), 400, "missing_field", "candidate_email"},
		{"MissingName", e.key, inviteBody(map[string]any{"candidate_name": nil}), 400, "missing_field", "candidate_name"},
		{"NameTooLong", e.key, inviteBody(map[string]any{"candidate_name": strings.Repeat("n", 201)}), 400, "invalid_field", "candidate_name"},
		{"MissingTrackID", e.key, inviteBody(map[string]any{"track_id": nil}), 400, "missing_field", "track_id"},
		{"TrackIDNotDigits", e.key, inviteBody(map[string]any{"track_id": "one"}), 400, "invalid_field", "track_id"},
		{"MissingInviteFormat", e.key, inviteBody(map[string]any{"invite_format": nil}), 400, "missing_field", "invite_format"},
		{"UnknownInviteFormat", e.key, inviteBody(map[string]any{"invite_format": "email"}), 422, "invalid_value", "invite_format"},
		{"UnknownTrack", e.key, inviteBody(map[string]any{"track_id": 999999}), 404, "not_found", ""},
		{"UnknownTrackWithSendLink", e.key, inviteBody(map[string]any{"track_id": 999999, "invite_format": "sendlink"}), 404, "not_found", ""},
		{"MalformedJSON", e.key, `{"candidate_name": "Ina"`, 400, "invalid_json", ""},
		{"MissingKey", "", inviteBody(nil), 401, "unauthorized", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)
			before := e.state(existing.ApplicationID)

			r := e.doWithKey(c.key, "POST", "/tracks/invite", c.body)

			requireError(t, r, c.status, c.code, c.field)
			require.Equal(t, before, e.state(existing.ApplicationID), "the failed request changed the database")
		})
	}

	t.Run("UnknownInviteFormatMessage", func(t *testing.T) {
		e := e.forTest(t)

		r := e.do("POST", "/tracks/invite", inviteBody(map[string]any{"invite_format": "email"}))

		require.Equal(t, `invite_format is "email"; allowed values are "getlink" and "sendlink"`,
			r.Body["error"].(map[string]any)["message"])
	})
}

func TestApplicantDetail(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("AfterAdvance", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Dan Detail", "dan@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants/%d", tr.ID, inv.ApplicationID), nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, []string{
			"track_id", "track_title", "applicant", "current_stage", "stages", "responses", "timeline",
			"stage_wise_report", "submitted_response",
		}, slices.Collect(maps.Keys(r.Body)))
		a := decode[applicant](t, r)
		require.Equal(t, tr.ID, a.TrackID)
		require.Equal(t, "Backend Engineer", a.TrackTitle)

		require.Equal(t, inv.ApplicationID, a.Applicant.ApplicationID)
		require.Equal(t, inv.CandidateID, a.Applicant.CandidateID)
		require.Equal(t, "Dan Detail", a.Applicant.Name)
		require.Equal(t, "dan@example.com", a.Applicant.Email)
		require.Equal(t, "active", a.Applicant.Status)
		require.Equal(t, "Pending", a.Applicant.StageStatus)
		require.Equal(t, "Completed", a.Applicant.TrackInvitationStatus)
		require.Nil(t, a.Applicant.Score)
		added := requireUTC(t, a.Applicant.DateAdded)
		updated := requireUTC(t, a.Applicant.LastUpdatedAt)
		require.False(t, updated.Before(added), "last_updated_at %s is before date_added %s", updated, added)

		require.Equal(t, tr.Stages[1].ID, a.CurrentStage.ID)
		require.Equal(t, assessmentStage, a.CurrentStage.Name)
		require.Equal(t, "assessment", a.CurrentStage.Type)
		require.Equal(t, tr.Stages, a.Stages)

		require.Len(t, a.Responses, 2)
		form, assessment := a.Responses[0], a.Responses[1]
		require.Equal(t, inv.ResponseID, form.ID)
		require.Equal(t, tr.Stages[0].ID, form.StageID)
		require.Equal(t, "form", form.ModuleType)
		require.Equal(t, "Completed", form.InviteStatus)
		require.JSONEq(t, fmt.Sprintf(`{"answers": [{"label": %q, "value": "I like the product."}, {"label": %q, "value": "One month"}]}`,
			motivationLabel, noticeLabel), string(form.Data))
		for _, at := range []*string{form.OpenedAt, form.StartedAt, form.CompletedAt} {
			require.NotNil(t, at)
			requireUTC(t, *at)
		}
		require.Equal(t, adv.ResponseID, assessment.ID)
		require.Equal(t, "assessment", assessment.ModuleType)
		require.Equal(t, "Pending", assessment.InviteStatus)
		require.Nil(t, assessment.OpenedAt)
		invited := requireUTC(t, assessment.InvitedAt)
		expires := requireUTC(t, assessment.ExpiresAt)
		require.Equal(t, 168*time.Hour, expires.Sub(invited))

		require.Equal(t, []string{"invited", "opened", "completed", "advanced"}, a.eventTypes())
		keyActor := "key:" + e.key[:12]
		wantActors := []string{keyActor, "candidate", "candidate", keyActor}
		wantResponses := []int64{inv.ResponseID, inv.ResponseID, inv.ResponseID, adv.ResponseID}
		var previous time.Time
		for i, ev := range a.Timeline {
			require.Equal(t, wantActors[i], ev.Actor, "event %d (%s)", i, ev.Type)
			require.Equal(t, &wantResponses[i], ev.ResponseID, "event %d (%s)", i, ev.Type)
			at := requireUTC(t, ev.At)
			require.False(t, at.Before(previous), "event %d (%s) is older than the one before", i, ev.Type)
			previous = at
		}
		require.Equal(t, tr.Stages[1].ID, a.Timeline[3].StageID)
		require.JSONEq(t, fmt.Sprintf(`{"from_stage_id": %q, "to_stage_id": %q, "invite_format": "getlink"}`,
			tr.Stages[0].ID, tr.Stages[1].ID), string(a.Timeline[3].Data))
	})

	t.Run("UnknownApplication", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants/999999", tr.ID), nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("ApplicationOfOtherTrack", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		backend := e.newTrack("Backend Engineer")
		frontend := e.newTrack("Frontend Engineer")
		inv := e.invite(backend.ID, "Otto Other", "otto@example.com", "getlink")

		r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants/%d", frontend.ID, inv.ApplicationID), nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("UnknownTrack", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Una Known", "una@example.com", "getlink")

		r := e.do("GET", fmt.Sprintf("/tracks/999999/applicants/%d", inv.ApplicationID), nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("IDNotANumber", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("GET", "/tracks/1/applicants/first", nil)

		requireError(t, r, http.StatusBadRequest, "invalid_path", "application_id")
	})
}

func TestInviteExpiry(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Exa Expiry", "exa@example.com", "getlink")
	require.Equal(t, "2026-03-09T09:30:00Z", inv.ExpiresAt)

	// The subtests run in order, each at the clock time the one before left.
	t.Run("ValidUntilExpiry", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(168*time.Hour - time.Second)

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
	})

	t.Run("ExpiredLink", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(time.Second)

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Link expired</h1>")
		require.Contains(t, p.HTML, "This invite link expired on 2026-03-09 09:30 UTC.")
		submitted := e.postPage(inv.InviteLink, map[string][]string{"q1": {"Late answer"}})
		require.Equal(t, http.StatusGone, submitted.Status, "page: %s", submitted.HTML)
	})

	t.Run("ApplicantShowsExpired", func(t *testing.T) {
		e := e.forTest(t)

		a := e.applicant(tr.ID, inv.ApplicationID)

		require.Equal(t, "Expired", a.Responses[0].InviteStatus)
		require.Equal(t, "Expired", a.Applicant.StageStatus)
		require.Equal(t, "Expired", a.Applicant.TrackInvitationStatus)
	})

	t.Run("AdvanceReportsExpired", func(t *testing.T) {
		e := e.forTest(t)
		before := e.state(inv.ApplicationID)

		r := e.advance(tr.ID, inv.ApplicationID, "getlink")

		requireError(t, r, http.StatusConflict, "invitation_pending", "")
		require.Equal(t, "Expired", r.Body["invite_status"])
		require.Equal(t, "not_advanced", r.Body["status"])
		require.Equal(t, before, e.state(inv.ApplicationID), "the failed request changed the database")
	})

	t.Run("InviteAgainRenewsLink", func(t *testing.T) {
		e := e.forTest(t)

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Exa Expiry", "candidate_email": "exa@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		again := decode[invitation](t, r)
		require.Equal(t, inv.ApplicationID, again.ApplicationID)
		require.Equal(t, "Pending", again.InviteStatus)
		require.Equal(t, "2026-03-16T09:30:00Z", again.ExpiresAt)
		p := e.getPage(again.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	acme := setup(t, options{})
	tr := acme.newTrack("Acme Secret Track")
	inv := acme.invite(tr.ID, "Sia Secret", "sia.secret@example.com", "getlink")
	moduleID := *tr.Stages[0].ModuleID
	secrets := []string{"Acme Secret Track", "Sia Secret", "sia.secret@example.com", "Screening questions", motivationLabel, tr.Stages[0].ID}

	globex := acme.forTest(t)
	globex.key = acme.newKey("Globex")

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		field  string
	}{
		{"GetTrack", "GET", fmt.Sprintf("/tracks/%d", tr.ID), nil, ""},
		{"GetModule", "GET", fmt.Sprintf("/modules/%d", moduleID), nil, ""},
		{"GetApplicant", "GET", fmt.Sprintf("/tracks/%d/applicants/%d", tr.ID, inv.ApplicationID), nil, ""},
		{"Advance", "PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
		}, ""},
		{"RecordResult", "POST", fmt.Sprintf("/responses/%d/result", inv.ResponseID), map[string]any{"status": "completed", "score": 99}, ""},
		{"Invite", "POST", "/tracks/invite", map[string]any{
			"candidate_name": "Gus Globex", "candidate_email": "gus@example.com", "track_id": tr.ID, "invite_format": "getlink",
		}, ""},
		{"CreateTrackWithModule", "POST", "/tracks", map[string]any{"title": "Globex Track", "stages": []any{
			map[string]any{"name": "Form", "type": "form", "module_id": moduleID},
		}}, "stages[0].module_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			globex := globex.forTest(t)
			before := globex.state(inv.ApplicationID)

			r := globex.do(c.method, c.path, c.body)

			requireError(t, r, http.StatusNotFound, "not_found", c.field)
			for _, s := range secrets {
				require.NotContains(t, string(r.Raw), s)
			}
			require.Equal(t, before, globex.state(inv.ApplicationID), "the failed request changed the database")
		})
	}

	lists := []struct{ name, path string }{{"ListTracks", "/tracks"}, {"ListModules", "/modules"}}
	for _, list := range lists {
		t.Run(list.name, func(t *testing.T) {
			globex := globex.forTest(t)

			r := globex.do("GET", list.path, nil)

			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
			require.Equal(t, map[string]any{"data": []any{}}, r.Body)
		})
	}

	t.Run("OwnerUnaffected", func(t *testing.T) {
		acme := acme.forTest(t)

		a := acme.applicant(tr.ID, inv.ApplicationID)

		require.Equal(t, formStage, a.CurrentStage.Name)
		require.Equal(t, "Pending", a.Responses[0].InviteStatus)
		require.Nil(t, a.Responses[0].Score)
		require.Equal(t, []string{"invited"}, a.eventTypes())
	})

	t.Run("SameEmailInBothCompanies", func(t *testing.T) {
		globex := globex.forTest(t)
		globexTrack := globex.newTrack("Globex Engineer")

		other := globex.invite(globexTrack.ID, "Sia At Globex", "sia.secret@example.com", "getlink")

		require.NotEqual(t, inv.CandidateID, other.CandidateID)
		require.Equal(t, "Sia At Globex", other.Name)
		raw, err := json.Marshal(globex.applicant(globexTrack.ID, other.ApplicationID))
		require.NoError(t, err)
		require.NotContains(t, string(raw), "Acme Secret Track")
	})
}
