package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// shortTrack creates a track whose form stage's links last 24 hours, followed
// by an assessment with the default.
func (e *env) shortTrack() track {
	e.t.Helper()
	form := e.createFormModule()
	assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName, "launch_url": launchURL})
	return e.createTrack("Backend Engineer",
		map[string]any{"name": formStage, "type": "form", "module_id": form, "invite_valid_hours": 24},
		map[string]any{"name": assessmentStage, "type": "assessment", "module_id": assessment},
	)
}

func TestStageInviteValidHours(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.shortTrack()
	inv := e.invite(tr.ID, "Hal Hours", "hal@example.com", "getlink")

	// The subtests run in order, each at the clock time the one before left.
	t.Run("ShownOnTrack", func(t *testing.T) {
		e := e.forTest(t)
		r := e.do("GET", fmt.Sprintf("/tracks/%d", tr.ID), nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

		var body struct {
			Stages []map[string]any `json:"stages"`
		}
		require.NoError(t, json.Unmarshal(r.Raw, &body))
		require.Equal(t, float64(24), body.Stages[0]["invite_valid_hours"])
		require.Equal(t, float64(168), body.Stages[1]["invite_valid_hours"])
		require.NotContains(t, body.Stages[2], "invite_valid_hours", "the Hired stage issues no links")
		require.NotContains(t, body.Stages[3], "invite_valid_hours", "the Rejected stage issues no links")
	})

	t.Run("ExpiryFollowsStage", func(t *testing.T) {
		require.Equal(t, "2026-03-03T09:30:00Z", inv.ExpiresAt)
	})

	t.Run("UsableUntilExpiry", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(24*time.Hour - time.Second)

		require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status)
		require.Empty(t, e.mustListApplicants(tr.ID, "invite_status=Expired").Data)
	})

	t.Run("ExpiredEverywhere", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(time.Second)

		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "This invite link expired on 2026-03-03 09:30 UTC.")

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Expired", a.Responses[0].InviteStatus)
		require.Equal(t, "Expired", a.Applicant.StageStatus)
		require.Equal(t, "Expired", a.Applicant.TrackInvitationStatus)

		list := e.mustListApplicants(tr.ID, "invite_status=Expired")
		require.Len(t, list.Data, 1)
		require.Equal(t, "Expired", list.Data[0].StageStatus)

		r := e.advance(tr.ID, inv.ApplicationID, "getlink")
		requireError(t, r, http.StatusConflict, "invitation_pending", "")
		require.Equal(t, "Expired", r.Body["invite_status"])
	})
}

func TestStageInviteValidHoursRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	form := e.createFormModule()

	cases := []struct {
		name    string
		hours   any
		status  int
		code    string
		message string
	}{
		{"Zero", 0, http.StatusUnprocessableEntity, "out_of_range", "stages[0].invite_valid_hours is 0; it must be between 1 and 8760"},
		{"OverOneYear", 8761, http.StatusUnprocessableEntity, "out_of_range", "stages[0].invite_valid_hours is 8761; it must be between 1 and 8760"},
		{"Fraction", 1.5, http.StatusBadRequest, "invalid_field", "stages[0].invite_valid_hours is 1.5; it must be a whole number"},
		{"String", "24", http.StatusBadRequest, "invalid_field", `stages[0].invite_valid_hours is "24"; it must be a whole number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := e.forTest(t)

			r := e.do("POST", "/tracks", map[string]any{"title": "Backend Engineer", "stages": []map[string]any{
				{"name": formStage, "type": "form", "module_id": form, "invite_valid_hours": c.hours},
			}})

			requireError(t, r, c.status, c.code, "stages[0].invite_valid_hours")
			require.Equal(t, c.message, r.Body["error"].(map[string]any)["message"])
		})
	}
}

func TestLinkWindow(t *testing.T) {
	t.Parallel()

	t.Run("InviteWithBothDates", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Dot Dates", "candidate_email": "dot@example.com", "track_id": tr.ID, "invite_format": "getlink",
			"start_date": "2026-03-03 08:00", "expiry_date": "2026-03-05T10:00:00+02:00",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.Equal(t, "2026-03-03T08:00:00Z", r.Body["start_date"])
		require.Equal(t, "2026-03-05T08:00:00Z", r.Body["expiry_date"])
		require.Equal(t, "2026-03-05T08:00:00Z", r.Body["expires_at"])
		link := r.Body["invite_link"].(string)
		applicationID := int64(r.Body["application_id"].(float64))

		early := e.getPage(link)
		require.Equal(t, http.StatusForbidden, early.Status, "page: %s", early.HTML)
		requirePageHeaders(t, early)
		require.Contains(t, early.HTML, "<h1>Not open yet</h1>")
		require.Contains(t, early.HTML, "This invite link opens on 2026-03-03 08:00 UTC.")
		posted := e.postPage(link, map[string][]string{"q1": {"Too early"}})
		require.Equal(t, http.StatusForbidden, posted.Status, "page: %s", posted.HTML)
		require.Equal(t, []string{"invited"}, e.applicant(tr.ID, applicationID).eventTypes(), "an early visit is not an opening")

		clock.Advance(22*time.Hour + 30*time.Minute)
		require.Equal(t, http.StatusOK, e.getPage(link).Status)
		clock.Advance(48 * time.Hour)
		require.Equal(t, http.StatusGone, e.getPage(link).Status)
	})

	t.Run("StartOnlyExpiresAfterStageHours", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{now: newTestClock(clockStart).Now})
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Sol Start", "candidate_email": "sol@example.com", "track_id": tr.ID, "invite_format": "getlink",
			"start_date": "2026-03-04T12:00:00+01:00",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.Equal(t, "2026-03-04T11:00:00Z", r.Body["start_date"])
		require.Equal(t, "2026-03-11T11:00:00Z", r.Body["expiry_date"])
	})

	t.Run("WithoutDatesNoEcho", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Ned None", "candidate_email": "ned@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.NotContains(t, r.Body, "start_date")
		require.NotContains(t, r.Body, "expiry_date")
	})

	t.Run("AdvanceWithExpiry", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{now: newTestClock(clockStart).Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Ada Advance", "ada.advance@example.com")

		r := e.do("PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
			"expiry_date": "2026-03-06T18:00:00-08:00",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Nil(t, r.Body["start_date"])
		require.Contains(t, r.Body, "start_date")
		require.Equal(t, "2026-03-07T02:00:00Z", r.Body["expiry_date"])
		require.Equal(t, "2026-03-07T02:00:00Z", r.Body["expires_at"])
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "2026-03-07T02:00:00Z", a.Responses[1].ExpiresAt)
	})

	t.Run("EmailStatesWindow", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL(), now: newTestClock(clockStart).Now})
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Em Mail", "candidate_email": "em@example.com", "track_id": tr.ID, "invite_format": "sendlink",
			"start_date": "2026-03-03 08:00", "expiry_date": "2026-03-05 17:45",
		})
		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)

		m := parseEmail(t, smtp.WaitForMessages(t, 1, mailTimeout)[0].Data)
		require.Contains(t, m.Text, "The link opens on 2026-03-03 08:00 UTC and expires on 2026-03-05 17:45 UTC.")
		require.Contains(t, m.HTML, "The link opens on 2026-03-03 08:00 UTC and expires on 2026-03-05 17:45 UTC.")
	})
}

func TestLinkWindowRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{now: newTestClock(clockStart).Now})
	tr := e.newTrack("Backend Engineer")
	const forms = `use RFC 3339 with an offset, such as "2026-03-10T09:00:00+01:00" or "2026-03-10T08:00:00Z", ` +
		`or "YYYY-MM-DD HH:MM" read as GMT, such as "2026-03-10 08:00"`

	cases := []struct {
		name    string
		field   string
		value   any
		status  int
		code    string
		message string
	}{
		{"DateOnly", "start_date", "2026-03-10", http.StatusBadRequest, "invalid_field", `start_date is "2026-03-10"; ` + forms},
		{"NoOffset", "expiry_date", "2026-03-10T09:00:00", http.StatusBadRequest, "invalid_field", `expiry_date is "2026-03-10T09:00:00"; ` + forms},
		{"Words", "start_date", "tomorrow", http.StatusBadRequest, "invalid_field", `start_date is "tomorrow"; ` + forms},
		{"WithSeconds", "start_date", "2026-03-10 09:00:00", http.StatusBadRequest, "invalid_field", `start_date is "2026-03-10 09:00:00"; ` + forms},
		{"Number", "expiry_date", 1772000000, http.StatusBadRequest, "invalid_field", "expiry_date is 1772000000; it must be a string in " + forms[4:]},
		{"ExpiryPast", "expiry_date", "2026-03-02 09:30", http.StatusUnprocessableEntity, "invalid_value", "expiry_date is 2026-03-02T09:30:00Z, which is not in the future"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := e.forTest(t)

			r := e.do("POST", "/tracks/invite", map[string]any{
				"candidate_name": "Ivy Invalid", "candidate_email": "ivy@example.com", "track_id": tr.ID, "invite_format": "getlink",
				c.field: c.value,
			})

			requireError(t, r, c.status, c.code, c.field)
			require.Equal(t, c.message, r.Body["error"].(map[string]any)["message"])
		})
	}

	// Not parallel: requireNoChange counts rows of the whole database, and
	// the parallel subtests above wait until this one has finished.
	t.Run("ExpiryBeforeStart", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.inviteCompleted(tr.ID, "Bea Before", "bea@example.com")

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.do("PUT", "/tracks/candidate/advance", map[string]any{
				"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
				"start_date": "2026-03-05 09:00", "expiry_date": "2026-03-04 09:00",
			})
		})

		requireError(t, r, http.StatusUnprocessableEntity, "invalid_value", "expiry_date")
		require.Equal(t, "expiry_date is 2026-03-04T09:00:00Z, which is not after start_date 2026-03-05T09:00:00Z",
			r.Body["error"].(map[string]any)["message"])
	})
}
