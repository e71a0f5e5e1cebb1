package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/secret"
)

// openLinkBody is the body of a successful POST /tracks/{track_id}/open-link.
type openLinkBody struct {
	TrackID    int64   `json:"track_id"`
	OpenLink   string  `json:"open_link"`
	StartDate  *string `json:"start_date"`
	ExpiryDate *string `json:"expiry_date"`
	CreatedAt  string  `json:"created_at"`
}

// mustOpenLink creates the open link of a track and requires 201 Created.
func (e *env) mustOpenLink(trackID int64, body any) openLinkBody {
	e.t.Helper()
	r := e.do("POST", fmt.Sprintf("/tracks/%d/open-link", trackID), body)
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[openLinkBody](e.t, r)
}

// applyForm is a valid submission of the public form of newTrack.
func applyForm(name, address string) url.Values {
	return url.Values{"name": {name}, "email": {address}, "q1": {"I like the product."}, "q2": {"One month"}}
}

// postApply submits the public form from a client address, sent in the
// X-Forwarded-For header when it is not empty.
func (e *env) postApply(link string, form url.Values, forwardedFor string) page {
	e.t.Helper()
	form = e.withFormToken(link, form)
	req, err := http.NewRequest("POST", link, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return e.sendPage(req)
}

func TestOpenLink(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{now: newTestClock(clockStart).Now})

	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		got := e.mustOpenLink(tr.ID, nil)

		require.Equal(t, tr.ID, got.TrackID)
		require.Nil(t, got.StartDate)
		require.Nil(t, got.ExpiryDate)
		require.Equal(t, "2026-03-02T09:30:00Z", got.CreatedAt)
		token, ok := strings.CutPrefix(got.OpenLink, e.srv.URL()+"/apply/")
		require.True(t, ok, "link %s", got.OpenLink)
		require.Len(t, token, 43)
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM open_links WHERE track_id = ? AND token_hash = ?`,
			tr.ID, string(secret.Hash(token))), "only the hash of the token is stored")
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM open_links WHERE token_hash = ?`, token))
	})

	t.Run("PageShowsForm", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend <Engineer>")
		link := e.mustOpenLink(tr.ID, nil).OpenLink

		p := e.getPage(link)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Equal(t, "no-store", p.Header.Get("Cache-Control"))
		require.Contains(t, p.HTML, `<p class="track">Backend &lt;Engineer&gt;</p>`)
		require.Contains(t, p.HTML, "<h1>Apply: Backend &lt;Engineer&gt;</h1>")
		require.Contains(t, p.HTML, `<input type="text" id="name" name="name" value="" maxlength="200" required>`)
		require.Contains(t, p.HTML, `<input type="email" id="email" name="email" value="" maxlength="254" required>`)
		require.Contains(t, p.HTML, `<textarea id="q1" name="q1" rows="3" required></textarea>`)
		require.Contains(t, p.HTML, `<input type="radio" name="q2" value="One month">`)
		require.Equal(t, []string{link}, formActions(t, link, p))
	})

	t.Run("SubmitNeedsFormToken", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink
		other := e.mustOpenLink(e.newTrack("Other").ID, nil).OpenLink

		missing := applyForm("Mia Missing", "mia@example.com")
		missing.Set("form_token", "")
		foreign := e.withFormToken(other, applyForm("Fred Foreign", "fred@example.com"))

		for name, form := range map[string]url.Values{"missing": missing, "other link": foreign} {
			p := e.postPage(link, form)
			require.Equal(t, http.StatusForbidden, p.Status, "%s token: %s", name, p.HTML)
			require.Contains(t, p.HTML, "<h1>Form not accepted</h1>", "%s token", name)
		}
		require.Empty(t, e.mustListApplicants(tr.ID, "").Data)
		require.Contains(t, e.getPage(link).HTML, `name="form_token" value="`)
	})

	t.Run("SubmitCreatesApplication", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink

		p := e.postPage(link, applyForm("  Ola Open  ", "ola@example.com"))

		require.Equal(t, http.StatusCreated, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Thank you</h1>")
		require.Contains(t, p.HTML, "Your application was received.")
		list := e.mustListApplicants(tr.ID, "")
		require.Len(t, list.Data, 1)
		row := list.Data[0]
		require.Equal(t, "Ola Open", row.Name)
		require.Equal(t, "ola@example.com", row.Email)
		require.Equal(t, "Completed", row.TrackInvitationStatus)

		a := e.applicant(tr.ID, row.ApplicationID)
		require.Equal(t, []string{"applied", "completed"}, a.eventTypes())
		require.Equal(t, "candidate", a.Timeline[0].Actor)
		require.JSONEq(t, `{"source": "open_link"}`, string(a.Timeline[0].Data))
		require.JSONEq(t, `{"answers": [
			{"label": "Why do you want to join us?", "value": "I like the product."},
			{"label": "Notice period", "value": "One month"}]}`, string(a.Responses[0].Data))
		require.Equal(t, "2026-03-02T09:30:00Z", *a.Responses[0].CompletedAt)

		adv := e.mustAdvance(tr.ID, row.ApplicationID, "getlink")
		require.Equal(t, assessmentStage, adv.StageMoved)
	})

	t.Run("SameEmailTwice", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink
		require.Equal(t, http.StatusCreated, e.postPage(link, applyForm("Tom Twice", "tom@example.com")).Status)

		p := e.postPage(link, applyForm("Tom Again", "TOM@example.com"))

		require.Equal(t, http.StatusConflict, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Already applied</h1>")
		require.Contains(t, p.HTML, "An application with this email address was already received for Backend Engineer.")
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))
		require.Equal(t, []string{"Tom Twice"}, e.mustListApplicants(tr.ID, "").names())
	})

	t.Run("InvalidAnswerKeepsValues", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink

		p := e.postPage(link, url.Values{"name": {"Ina <Invalid>"}, "email": {"ina@example.com"}, "q2": {"One month"}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, `<p class="error" role="alert">&#34;Why do you want to join us?&#34; is required</p>`)
		require.Contains(t, p.HTML, `name="name" value="Ina &lt;Invalid&gt;"`)
		require.Contains(t, p.HTML, `name="email" value="ina@example.com"`)
		require.Contains(t, p.HTML, `<input type="radio" name="q2" value="One month" checked>`)
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))
	})

	identityCases := []struct {
		name    string
		form    url.Values
		message string
	}{
		{"MissingName", url.Values{"email": {"a@example.com"}, "q1": {"Yes"}}, "Your name is required"},
		{"MissingEmail", url.Values{"name": {"Al"}, "q1": {"Yes"}}, "Your email address is required"},
		{"BadEmail", url.Values{"name": {"Al"}, "email": {"Al <al@example.com>"}, "q1": {"Yes"}},
			"&#34;Al &lt;al@example.com&gt;&#34; is not an email address; enter one such as jane@example.com"},
		{"LongName", url.Values{"name": {strings.Repeat("n", 201)}, "email": {"a@example.com"}, "q1": {"Yes"}},
			"Your name is 201 characters long; the maximum is 200"},
	}
	for _, c := range identityCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := shared.forTest(t)
			tr := e.newTrack("Backend Engineer")
			link := e.mustOpenLink(tr.ID, nil).OpenLink

			p := e.postPage(link, c.form)

			require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
			require.Contains(t, p.HTML, `<p class="error" role="alert">`+c.message+`</p>`)
			require.Contains(t, p.HTML, `<textarea id="q1" name="q1" rows="3" required>Yes</textarea>`)
			require.Equal(t, 0, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))
		})
	}

	t.Run("NewLinkReplacesOld", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		old := e.mustOpenLink(tr.ID, nil).OpenLink

		fresh := e.mustOpenLink(tr.ID, nil).OpenLink

		require.NotEqual(t, old, fresh)
		p := e.getPage(old)
		require.Equal(t, http.StatusNotFound, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Link not found</h1>")
		require.Equal(t, http.StatusOK, e.getPage(fresh).Status)
	})

	t.Run("DeleteDisables", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink

		r := e.do("DELETE", fmt.Sprintf("/tracks/%d/open-link", tr.ID), nil)

		require.Equal(t, http.StatusNoContent, r.Status, "body: %s", r.Raw)
		for _, p := range []page{e.getPage(link), e.postPage(link, applyForm("Dee Deleted", "dee@example.com"))} {
			require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
			requirePageHeaders(t, p)
			require.Contains(t, p.HTML, "<h1>Applications closed</h1>")
			require.Contains(t, p.HTML, "Applications through this link are closed.")
		}
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))

		again := e.do("DELETE", fmt.Sprintf("/tracks/%d/open-link", tr.ID), nil)
		requireError(t, again, http.StatusNotFound, "not_found", "")
		require.Equal(t, fmt.Sprintf("track %d has no enabled open link", tr.ID), again.Body["error"].(map[string]any)["message"])
	})

	t.Run("FirstStageNotForm", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
		tr := e.createTrack("Designer", map[string]any{"name": reviewStage, "type": "review", "module_id": review})

		r := e.do("POST", fmt.Sprintf("/tracks/%d/open-link", tr.ID), nil)

		requireError(t, r, http.StatusUnprocessableEntity, "first_stage_not_form", "")
	})

	t.Run("OtherCompany", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		e.mustOpenLink(tr.ID, nil)
		other := e.newKey("Initech")

		for _, method := range []string{"POST", "DELETE"} {
			r := e.doWithKey(other, method, fmt.Sprintf("/tracks/%d/open-link", tr.ID), nil)
			requireError(t, r, http.StatusNotFound, "not_found", "")
		}
	})

	t.Run("BadWindow", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		r := e.do("POST", fmt.Sprintf("/tracks/%d/open-link", tr.ID), map[string]any{"start_date": "soon"})

		requireError(t, r, http.StatusBadRequest, "invalid_field", "start_date")
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM open_links WHERE track_id = ?`, tr.ID))
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		link := e.srv.URL() + "/apply/" + strings.Repeat("A", 43)

		for _, p := range []page{e.getPage(link), e.postPage(link, applyForm("Uma Unknown", "uma@example.com"))} {
			require.Equal(t, http.StatusNotFound, p.Status, "page: %s", p.HTML)
			requirePageHeaders(t, p)
			require.Contains(t, p.HTML, "<h1>Link not found</h1>")
		}
	})
}

func TestOpenLinkWindow(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")

	got := e.mustOpenLink(tr.ID, map[string]any{"start_date": "2026-03-03 09:00", "expiry_date": "2026-03-10T18:00:00+01:00"})

	require.Equal(t, "2026-03-03T09:00:00Z", *got.StartDate)
	require.Equal(t, "2026-03-10T17:00:00Z", *got.ExpiryDate)

	// The subtests run in order, each at the clock time the one before left.
	t.Run("BeforeStart", func(t *testing.T) {
		e := e.forTest(t)
		p := e.getPage(got.OpenLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Not open yet</h1>")
		require.Contains(t, p.HTML, "Applications through this link open on 2026-03-03 09:00 UTC.")
	})

	t.Run("InsideWindow", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(23*time.Hour + 30*time.Minute)
		require.Equal(t, http.StatusOK, e.getPage(got.OpenLink).Status)
	})

	t.Run("AfterExpiry", func(t *testing.T) {
		e := e.forTest(t)
		clock.Advance(8 * 24 * time.Hour)
		p := e.postPage(got.OpenLink, applyForm("Lee Late", "lee@example.com"))
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Applications closed</h1>")
		require.Contains(t, p.HTML, "Applications through this link closed on 2026-03-10 17:00 UTC.")
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))
	})
}

func TestOpenLinkRateLimit(t *testing.T) {
	t.Parallel()

	t.Run("PerConnectionAddress", func(t *testing.T) {
		t.Parallel()
		clock := newTestClock(clockStart)
		e := setup(t, options{now: clock.Now, applyRateLimit: 2})
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink
		require.Equal(t, http.StatusCreated, e.postApply(link, applyForm("Ann One", "ann1@example.com"), "").Status)
		require.Equal(t, http.StatusCreated, e.postApply(link, applyForm("Ann Two", "ann2@example.com"), "").Status)

		// Without a configured header, X-Forwarded-For is not trusted.
		p := e.postApply(link, applyForm("Ann Three", "ann3@example.com"), "203.0.113.7")

		require.Equal(t, http.StatusTooManyRequests, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Equal(t, "1800", p.Header.Get("Retry-After"))
		require.Contains(t, p.HTML, "<h1>Too many applications</h1>")
		require.Contains(t, p.HTML, "Too many applications were sent from your network; please try again in 30 minutes.")
		require.Equal(t, 2, e.countRows(`SELECT count(*) FROM applications WHERE track_id = ?`, tr.ID))

		clock.Advance(30 * time.Minute)
		require.Equal(t, http.StatusCreated, e.postApply(link, applyForm("Ann Three", "ann3@example.com"), "").Status)
		require.Equal(t, http.StatusOK, e.getPage(link).Status, "viewing the form is not limited")
	})

	t.Run("TrustedProxyHeader", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{now: newTestClock(clockStart).Now, applyRateLimit: 1, clientIPHeader: "X-Forwarded-For"})
		tr := e.newTrack("Backend Engineer")
		link := e.mustOpenLink(tr.ID, nil).OpenLink

		first := e.postApply(link, applyForm("Pia Proxy", "pia@example.com"), "198.51.100.1, 203.0.113.7")
		require.Equal(t, http.StatusCreated, first.Status, "page: %s", first.HTML)
		limited := e.postApply(link, applyForm("Pia Again", "pia2@example.com"), "198.51.100.2, 203.0.113.7")
		require.Equal(t, http.StatusTooManyRequests, limited.Status, "the last address in the header counts; page: %s", limited.HTML)
		require.Equal(t, "3600", limited.Header.Get("Retry-After"))

		other := e.postApply(link, applyForm("Otto Other", "otto@example.com"), "203.0.113.8")
		require.Equal(t, http.StatusCreated, other.Status, "page: %s", other.HTML)
	})
}
