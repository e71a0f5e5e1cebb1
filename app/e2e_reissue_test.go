package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// reissued is the body of a successful reissue.
type reissued struct {
	response
	ApplicationID int64   `json:"application_id"`
	InviteLink    string  `json:"invite_link"`
	Status        string  `json:"status"`
	Regenerated   bool    `json:"regenerated"`
	StartDate     *string `json:"start_date"`
	ExpiryDate    string  `json:"expiry_date"`
}

// reissue sends POST /responses/{response_id}/invite.
func (e *env) reissue(responseID int64, body any) result {
	e.t.Helper()
	return e.do("POST", fmt.Sprintf("/responses/%d/invite", responseID), body)
}

// mustReissue sends a reissue and requires 200 OK.
func (e *env) mustReissue(responseID int64, body any) reissued {
	e.t.Helper()
	r := e.reissue(responseID, body)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[reissued](e.t, r)
}

// revoke sends POST /responses/{response_id}/invite/revoke.
func (e *env) revoke(responseID int64) result {
	e.t.Helper()
	return e.do("POST", fmt.Sprintf("/responses/%d/invite/revoke", responseID), nil)
}

func TestReissueInvite(t *testing.T) {
	t.Parallel()

	t.Run("KeepsValidLink", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Kim Keep", "kim@example.com", "getlink")
		clock.Advance(time.Hour)

		got := e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})

		require.Equal(t, inv.InviteLink, got.InviteLink, "a reminder must keep the link the candidate has")
		require.False(t, got.Regenerated)
		require.Equal(t, "link_generated", got.Status)
		require.Equal(t, "Pending", got.InviteStatus)
		require.Equal(t, "2026-03-09T10:30:00Z", got.ExpiresAt)
		require.Equal(t, "2026-03-09T10:30:00Z", got.ExpiryDate)
		require.Nil(t, got.StartDate)
		require.Equal(t, "2026-03-02T09:30:00Z", got.InvitedAt, "a reissue keeps invited_at")
		require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "reinvited", "opened"}, a.eventTypes())
		require.Equal(t, actorOf(e.key), a.Timeline[1].Actor)
		require.Equal(t, &inv.ResponseID, a.Timeline[1].ResponseID)
		require.JSONEq(t, `{"invite_format": "getlink", "regenerated": false, "expires_at": "2026-03-09T10:30:00Z"}`,
			string(a.Timeline[1].Data))
		require.Equal(t, "2026-03-09T10:30:00Z", a.Responses[0].ExpiresAt)
	})

	t.Run("RegenerateReplacesLink", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{now: newTestClock(clockStart).Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Rex Regen", "rex@example.com", "getlink")

		got := e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink", "regenerate": true})

		require.True(t, got.Regenerated)
		require.NotEqual(t, inv.InviteLink, got.InviteLink)
		require.True(t, strings.HasPrefix(got.InviteLink, e.srv.URL()+"/invite/"), "link %s", got.InviteLink)
		old := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusNotFound, old.Status, "the old link must die at once")
		require.Contains(t, old.HTML, "<h1>Link not found</h1>")
		require.Equal(t, http.StatusOK, e.getPage(got.InviteLink).Status)
	})

	t.Run("ExpiredLinkGetsNewToken", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Eve Expired", "eve.expired@example.com", "getlink")
		clock.Advance(200 * time.Hour)
		require.Equal(t, "Expired", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)

		got := e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})

		require.True(t, got.Regenerated)
		require.NotEqual(t, inv.InviteLink, got.InviteLink)
		require.Equal(t, "Pending", got.InviteStatus)
		require.Equal(t, "2026-03-17T17:30:00Z", got.ExpiresAt)
		require.Equal(t, http.StatusNotFound, e.getPage(inv.InviteLink).Status)
		require.Equal(t, http.StatusOK, e.getPage(got.InviteLink).Status)
		list := e.mustListApplicants(tr.ID, "invite_status=Pending")
		require.Len(t, list.Data, 1)
		require.Equal(t, inv.ApplicationID, list.Data[0].ApplicationID)
	})

	t.Run("SendLinkQueuesEmailAgain", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sid Send", "sid@example.com", "sendlink")
		smtp.WaitForMessages(t, 1, mailTimeout)
		e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")

		got := e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "sendlink"})

		require.Equal(t, "email_queued", got.Status)
		require.Equal(t, inv.InviteLink, got.InviteLink)
		messages := smtp.WaitForMessages(t, 2, mailTimeout)
		require.Len(t, messages, 2)
		m := parseEmail(t, messages[1].Data)
		requireInviteEmail(t, m, "Sid Send", "sid@example.com", "Backend Engineer", formStage, inv.InviteLink)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "email_queued", "email_sent", "reinvited", "email_queued"}, a.eventTypes()[:5])
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Rae Rate", "rae.rate@example.com", "getlink")
		for range 5 {
			e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})
		}
		clock.Advance(10 * time.Minute)

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.reissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})
		})

		requireError(t, r, http.StatusTooManyRequests, "reissue_rate_limited", "")
		require.Equal(t, "3000", r.Header.Get("Retry-After"))
		require.Equal(t, float64(3000), r.Body["retry_after"])
		require.Equal(t, fmt.Sprintf("response %d was reissued 5 times within the last hour, the maximum; retry after 3000 s", inv.ResponseID),
			r.Body["error"].(map[string]any)["message"])

		clock.Advance(50 * time.Minute)
		e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})
	})

	t.Run("WithLinkWindow", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{now: newTestClock(clockStart).Now})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Wes Window", "wes@example.com", "getlink")

		got := e.mustReissue(inv.ResponseID, map[string]any{
			"invite_format": "getlink", "start_date": "2026-03-03 08:00", "expiry_date": "2026-03-04T12:00:00-05:00",
		})

		require.Equal(t, "2026-03-03T08:00:00Z", *got.StartDate)
		require.Equal(t, "2026-03-04T17:00:00Z", got.ExpiryDate)
		require.Equal(t, "2026-03-04T17:00:00Z", got.ExpiresAt)
		require.Equal(t, inv.InviteLink, got.InviteLink)
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusForbidden, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Not open yet</h1>")
	})
}

func TestReissueInviteRejects(t *testing.T) {
	t.Parallel()
	// The subtests share one server and check that nothing in the whole
	// database changed, so they run one at a time.
	shared := setup(t, options{})

	t.Run("CompletedResponse", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Cai Complete", "cai@example.com")

		for _, r := range []result{
			e.requireNoChange(inv.ApplicationID, func() result {
				return e.reissue(inv.ResponseID, map[string]any{"invite_format": "sendlink"})
			}),
			e.requireNoChange(inv.ApplicationID, func() result { return e.revoke(inv.ResponseID) }),
		} {
			requireError(t, r, http.StatusConflict, "response_completed", "")
		}
	})

	t.Run("ApplicationLeftStage", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Lia Left", "lia.left@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		for _, r := range []result{
			e.requireNoChange(inv.ApplicationID, func() result {
				return e.reissue(adv.ResponseID, map[string]any{"invite_format": "getlink"})
			}),
			e.requireNoChange(inv.ApplicationID, func() result { return e.revoke(adv.ResponseID) }),
		} {
			requireError(t, r, http.StatusConflict, "response_closed", "")
			require.Equal(t, fmt.Sprintf("response %d is closed because application %d left its stage or is no longer active",
				adv.ResponseID, inv.ApplicationID), r.Body["error"].(map[string]any)["message"])
		}
	})

	t.Run("OtherCompany", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Oli Other", "oli@example.com", "getlink")
		other := e.newKey("Globex")

		r := e.doWithKey(other, "POST", fmt.Sprintf("/responses/%d/invite", inv.ResponseID), map[string]any{"invite_format": "getlink"})
		requireError(t, r, http.StatusNotFound, "not_found", "")
		r = e.doWithKey(other, "POST", fmt.Sprintf("/responses/%d/invite/revoke", inv.ResponseID), nil)
		requireError(t, r, http.StatusNotFound, "not_found", "")
		require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status)
	})

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"MissingFormat", map[string]any{}, http.StatusBadRequest, "missing_field", "invite_format"},
		{"UnknownFormat", map[string]any{"invite_format": "fax"}, http.StatusUnprocessableEntity, "invalid_value", "invite_format"},
		{"RegenerateNotBool", map[string]any{"invite_format": "getlink", "regenerate": "yes"}, http.StatusBadRequest, "invalid_field", "regenerate"},
		{"BadStartDate", map[string]any{"invite_format": "getlink", "start_date": "next monday"}, http.StatusBadRequest, "invalid_field", "start_date"},
		{"ExpiryInPast", map[string]any{"invite_format": "getlink", "expiry_date": "2020-01-01 00:00"}, http.StatusUnprocessableEntity, "invalid_value", "expiry_date"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := shared.forTest(t)
			tr := e.newTrack("Backend Engineer")
			inv := e.invite(tr.ID, "Val Invalid", "val@example.com", "getlink")

			r := e.requireNoChange(inv.ApplicationID, func() result { return e.reissue(inv.ResponseID, c.body) })

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("UnknownResponse", func(t *testing.T) {
		e := shared.forTest(t)
		r := e.reissue(999999, map[string]any{"invite_format": "getlink"})
		requireError(t, r, http.StatusNotFound, "not_found", "")
	})
}

func TestRevokeInvite(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Roy Revoke", "roy@example.com", "getlink")
	clock.Advance(2 * time.Hour)

	// The subtests run in order, each on the state the one before left.
	t.Run("KillsLinkAtOnce", func(t *testing.T) {
		e := e.forTest(t)

		r := e.revoke(inv.ResponseID)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		got := decode[response](t, r)
		require.Equal(t, "Expired", got.InviteStatus)
		require.Equal(t, "2026-03-02T11:30:00Z", got.ExpiresAt)
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Link withdrawn</h1>")
		require.Contains(t, p.HTML, "This invite link was withdrawn.")
		submitted := e.postPage(inv.InviteLink, map[string][]string{"q1": {"Late answer"}})
		require.Equal(t, http.StatusGone, submitted.Status, "page: %s", submitted.HTML)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "invite_revoked"}, a.eventTypes())
		require.Equal(t, actorOf(e.key), a.Timeline[1].Actor)
		require.Equal(t, "Expired", a.Applicant.StageStatus)
		require.Equal(t, "Expired", a.Applicant.TrackInvitationStatus)
		list := e.mustListApplicants(tr.ID, "invite_status=Expired")
		require.Len(t, list.Data, 1)
		require.Equal(t, "Expired", list.Data[0].StageStatus)
	})

	t.Run("AgainChangesNothing", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(time.Minute)

		r := e.requireNoChange(inv.ApplicationID, func() result { return e.revoke(inv.ResponseID) })

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, "2026-03-02T11:30:00Z", decode[response](t, r).ExpiresAt)
	})

	t.Run("ReissueGivesNewLink", func(t *testing.T) {
		e := e.forTest(t)

		got := e.mustReissue(inv.ResponseID, map[string]any{"invite_format": "getlink"})

		require.True(t, got.Regenerated, "a revoked link is never handed out again")
		require.NotEqual(t, inv.InviteLink, got.InviteLink)
		require.Equal(t, "Pending", got.InviteStatus)
		require.Equal(t, "2026-03-09T11:31:00Z", got.ExpiresAt)
		require.Equal(t, http.StatusNotFound, e.getPage(inv.InviteLink).Status)
		require.Equal(t, http.StatusOK, e.getPage(got.InviteLink).Status)
	})
}
