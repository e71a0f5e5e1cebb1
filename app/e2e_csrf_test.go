package app_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// formTokenInput matches the hidden form token field of a candidate page.
var formTokenInput = regexp.MustCompile(`<input type="hidden" name="form_token" value="([^"]*)">`)

// pageFormTokens returns the form token of each form on a page.
func pageFormTokens(t *testing.T, p page) []string {
	t.Helper()
	var tokens []string
	for _, m := range formTokenInput.FindAllStringSubmatch(p.HTML, -1) {
		tokens = append(tokens, html.UnescapeString(m[1]))
	}
	return tokens
}

// requireFormRejected checks the 403 page of a form post without a valid token.
func requireFormRejected(t *testing.T, p page, reason string) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, p.Status, "page: %s", p.HTML)
	requirePageHeaders(t, p)
	require.Contains(t, p.HTML, "<h1>Form not accepted</h1>")
	require.Contains(t, p.HTML, "<p>"+reason+", so nothing was saved. "+
		"Open your invite link again to reload the form, then send it once more.</p>")
}

// TestCandidateFormToken runs its subtests one at a time, because
// requireNoChange compares row counts of the whole database.
func TestCandidateFormToken(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	shared := setup(t, options{now: clock.Now})

	t.Run("PageTokenSubmits", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Tia Token", "tia@example.com", "getlink")

		tokens := pageFormTokens(t, e.getPage(inv.InviteLink))
		require.Len(t, tokens, 1)
		p := e.postPage(inv.InviteLink, url.Values{"q1": {"Because."}, "form_token": {tokens[0]}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Thank you</h1>")
		require.Equal(t, "Completed", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("MissingTokenRejected", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Max Missing", "max@example.com", "getlink")
		e.getPage(inv.InviteLink)

		var p page
		e.requireNoChange(inv.ApplicationID, func() result {
			p = e.postPage(inv.InviteLink, url.Values{"q1": {"Forged answer"}, "form_token": {""}})
			return result{Status: p.Status, Raw: []byte(p.HTML)}
		})

		requireFormRejected(t, p, "The form did not come from this page")
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Pending", a.Responses[0].InviteStatus)
		require.Equal(t, []string{"invited", "opened"}, a.eventTypes())
	})

	t.Run("OtherInviteTokenRejected", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		victim := e.invite(tr.ID, "Vic Victim", "vic@example.com", "getlink")
		other := e.invite(tr.ID, "Oz Other", "oz@example.com", "getlink")
		otherTokens := pageFormTokens(t, e.getPage(other.InviteLink))
		require.Len(t, otherTokens, 1)

		var p page
		e.requireNoChange(victim.ApplicationID, func() result {
			p = e.postPage(victim.InviteLink, url.Values{"q1": {"Forged answer"}, "form_token": otherTokens})
			return result{Status: p.Status, Raw: []byte(p.HTML)}
		})

		requireFormRejected(t, p, "The form did not come from this page")
		require.Equal(t, "Pending", e.applicant(tr.ID, victim.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("TamperedTokenRejected", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Tom Tamper", "tom@example.com", "getlink")
		token := pageFormTokens(t, e.getPage(inv.InviteLink))[0]

		// A later expiry with the old MAC must not pass.
		expires, mac, ok := strings.Cut(token, ".")
		require.True(t, ok, "token %q", token)
		tampered := expires + "9." + mac

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"Forged answer"}, "form_token": {tampered}})

		requireFormRejected(t, p, "The form did not come from this page")
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("CrossSiteRejected", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Cy Cross", "cy@example.com", "getlink")
		form := e.withFormToken(inv.InviteLink, url.Values{"q1": {"Forged answer"}})

		req, err := http.NewRequest("POST", inv.InviteLink, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		p := e.sendPage(req)

		requireFormRejected(t, p, "The form was sent from another site")
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("StartWithoutTokenRejected", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sam Start", "sam@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		tokens := pageFormTokens(t, e.getPage(adv.InviteLink))
		require.Len(t, tokens, 1)

		var p page
		e.requireNoChange(inv.ApplicationID, func() result {
			p = e.postPage(adv.InviteLink+"/start", url.Values{"form_token": {"1.AAAA"}})
			return result{Status: p.Status, Raw: []byte(p.HTML)}
		})
		requireFormRejected(t, p, "The form did not come from this page")
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[1].InviteStatus)

		started := e.postPage(adv.InviteLink+"/start", url.Values{"form_token": tokens})
		require.Equal(t, http.StatusSeeOther, started.Status, "page: %s", started.HTML)
		require.Equal(t, "Started", e.applicant(tr.ID, inv.ApplicationID).Responses[1].InviteStatus)
	})
}

// The expiry test moves the shared clock, so it runs on a server of its own.
func TestCandidateFormTokenExpires(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Eve Expiry", "eve@example.com", "getlink")
	tokens := pageFormTokens(t, e.getPage(inv.InviteLink))
	require.Len(t, tokens, 1)

	clock.Advance(12*time.Hour + time.Second)
	p := e.postPage(inv.InviteLink, url.Values{"q1": {"Late answer"}, "form_token": tokens})

	requireFormRejected(t, p, "The form was open for more than 12 hours")
	require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)

	// A reloaded page carries a fresh token that works.
	fresh := pageFormTokens(t, e.getPage(inv.InviteLink))
	p = e.postPage(inv.InviteLink, url.Values{"q1": {"Late answer"}, "form_token": fresh})
	require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
}
