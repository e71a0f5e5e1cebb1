package app_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// formAction matches the action of each form on a candidate page.
var formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// formActions returns the absolute URLs that the forms of a page post to.
func formActions(t *testing.T, link string, p page) []string {
	t.Helper()
	base, err := url.Parse(link)
	require.NoError(t, err)

	var actions []string
	for _, m := range formAction.FindAllStringSubmatch(p.HTML, -1) {
		ref, err := url.Parse(html.UnescapeString(m[1]))
		require.NoError(t, err)
		actions = append(actions, base.ResolveReference(ref).String())
	}
	return actions
}

func TestCandidateFormPage(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("ShowsQuestions", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Fay Form", "fay@example.com", "getlink")

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, `<p class="track">Backend Engineer</p>`)
		require.Contains(t, p.HTML, "<h1>Application form</h1>")
		require.Contains(t, p.HTML, "<p>Hello Fay Form,</p>")
		require.Contains(t, p.HTML, `<label for="q1">Why do you want to join us? *</label>`)
		require.Contains(t, p.HTML, `<textarea id="q1" name="q1" rows="3" required></textarea>`)
		require.Contains(t, p.HTML, "<legend>Notice period</legend>")
		for _, option := range []string{"None", "One month", "Three months"} {
			require.Contains(t, p.HTML, `<input type="radio" name="q2" value="`+option+`">`)
		}
		require.Contains(t, p.HTML, `<button type="submit">Submit</button>`)
		require.NotContains(t, p.HTML, "Start</button>")
		require.Equal(t, []string{inv.InviteLink}, formActions(t, inv.InviteLink, p))
		require.Equal(t, []string{"invited", "opened"}, e.applicant(tr.ID, inv.ApplicationID).eventTypes())
	})

	t.Run("SubmitCompletes", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sue Submit", "sue@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"  I like the product.  "}, "q2": {"Three months"}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Thank you</h1>")
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Completed", a.Responses[0].InviteStatus)
		require.JSONEq(t, `{"answers": [
			{"label": "Why do you want to join us?", "value": "I like the product."},
			{"label": "Notice period", "value": "Three months"}]}`, string(a.Responses[0].Data))
		require.Equal(t, []string{"invited", "completed"}, a.eventTypes())
		require.Equal(t, "candidate", a.Timeline[1].Actor)

		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		require.Equal(t, assessmentStage, adv.StageMoved)
	})

	t.Run("OptionalAnswerMissing", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Opt Out", "opt@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"Because."}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.JSONEq(t, `{"answers": [
			{"label": "Why do you want to join us?", "value": "Because."},
			{"label": "Notice period", "value": ""}]}`, string(a.Responses[0].Data))
	})

	t.Run("MissingRequiredAnswer", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Mia Missing", "mia@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"   "}, "q2": {"One month"}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, `<p class="error" role="alert">&#34;Why do you want to join us?&#34; is required</p>`)
		require.Contains(t, p.HTML, `<textarea id="q1" name="q1" rows="3" required>`)
		require.Contains(t, p.HTML, `<input type="radio" name="q2" value="One month" checked>`)
		require.Contains(t, p.HTML, `<button type="submit">Submit</button>`)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Pending", a.Responses[0].InviteStatus)
		require.Equal(t, []string{"invited"}, a.eventTypes())
		r := e.advance(tr.ID, inv.ApplicationID, "getlink")
		requireError(t, r, http.StatusConflict, "invitation_pending", "")
	})

	t.Run("AnswerOutsideOptions", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Oz Option", "oz@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"Because."}, "q2": {"Six months"}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "&#34;Notice period&#34; is &#34;Six months&#34;; it must be one of: None, One month, Three months")
		require.Contains(t, p.HTML, ">Because.</textarea>")
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("LongAnswerStoredWhole", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Lou Long", "lou.long@example.com", "getlink")
		// 10,000 characters of 2 bytes each, behind one of 1 byte.
		answer := "a" + strings.Repeat("é", 9999)

		p := e.postPage(inv.InviteLink, url.Values{"q1": {answer}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		data := decode[struct {
			Answers []struct {
				Value string `json:"value"`
			} `json:"answers"`
		}](t, result{Raw: e.applicant(tr.ID, inv.ApplicationID).Responses[0].Data})
		require.Equal(t, answer, data.Answers[0].Value)
	})

	t.Run("AnswerTooLong", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Tod Toolong", "tod@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {strings.Repeat("a", 10001)}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, `<p class="error" role="alert">&#34;Why do you want to join us?&#34; is 10001 characters long; the maximum is 10000</p>`)
		require.Contains(t, p.HTML, `<button type="submit">Submit</button>`)
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("SubmitTwice", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Tia Twice", "tia@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"Changed my mind."}})

		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Already completed</h1>")
		require.Contains(t, string(e.applicant(tr.ID, inv.ApplicationID).Responses[0].Data), "I like the product.")
	})

	t.Run("StartOnFormStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sam Start", "sam.start@example.com", "getlink")

		p := e.postPage(inv.InviteLink+"/start", nil)

		require.Equal(t, http.StatusConflict, p.Status, "page: %s", p.HTML)
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})
}

func TestCandidateStartPage(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	// assessmentLink invites a candidate, completes the form and returns the
	// application and the link of the assessment stage.
	assessmentLink := func(e *env, name, email string) (track, advancement) {
		e.t.Helper()
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, name, email, "getlink")
		e.completeForm(inv.InviteLink)
		return tr, e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
	}

	t.Run("ShowsStartButton", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		_, adv := assessmentLink(e, "Ben Button", "ben@example.com")

		p := e.getPage(adv.InviteLink)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.Header.Get("Content-Security-Policy"), "form-action 'self' https://assessments.example.com;")
		require.Contains(t, p.HTML, `<p class="track">Backend Engineer</p>`)
		require.Contains(t, p.HTML, "<h1>Coding exercise</h1>")
		require.Contains(t, p.HTML, "Press Start when you are ready to begin Go exercise.")
		require.Contains(t, p.HTML, `<button type="submit">Start</button>`)
		require.NotContains(t, p.HTML, `name="q1"`)
		require.Equal(t, []string{adv.InviteLink + "/start"}, formActions(t, adv.InviteLink, p))
	})

	t.Run("StartRedirectsToLaunchURL", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr, adv := assessmentLink(e, "Liv Launch", "liv@example.com")

		p := e.postPage(adv.InviteLink+"/start", nil)

		// The response id is added to the launch URL's own query.
		wantLocation := fmt.Sprintf("https://assessments.example.com/start?hiretrack_response_id=%d&session=42", adv.ResponseID)
		require.Equal(t, http.StatusSeeOther, p.Status, "page: %s", p.HTML)
		require.Equal(t, wantLocation, p.Header.Get("Location"))
		a := e.applicant(tr.ID, adv.ApplicationID)
		require.Equal(t, "Started", a.Responses[1].InviteStatus)
		require.NotNil(t, a.Responses[1].StartedAt)
		require.Equal(t, "Started", a.Applicant.StageStatus)
		last := a.Timeline[len(a.Timeline)-1]
		require.Equal(t, "started", last.Type)
		require.Equal(t, "candidate", last.Actor)
		require.Equal(t, &adv.ResponseID, last.ResponseID)

		again := e.postPage(adv.InviteLink+"/start", nil)

		require.Equal(t, http.StatusSeeOther, again.Status, "page: %s", again.HTML)
		require.Equal(t, wantLocation, again.Header.Get("Location"))
		require.Len(t, e.applicant(tr.ID, adv.ApplicationID).Timeline, len(a.Timeline), "starting twice adds no event")
	})

	t.Run("StartWithoutLaunchURL", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr, adv := assessmentLink(e, "Rex Review", "rex@example.com")
		review := e.mustAdvance(tr.ID, adv.ApplicationID, "getlink")

		p := e.postPage(review.InviteLink+"/start", nil)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Hiring manager review</h1>")
		require.Contains(t, p.HTML, "You have started this step.")
		require.Equal(t, "Started", e.applicant(tr.ID, adv.ApplicationID).Responses[2].InviteStatus)
	})

	t.Run("SubmitOnStartStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr, adv := assessmentLink(e, "Nat Noform", "nat@example.com")

		p := e.postPage(adv.InviteLink, url.Values{"q1": {"An answer"}})

		require.Equal(t, http.StatusConflict, p.Status, "page: %s", p.HTML)
		require.Equal(t, "Pending", e.applicant(tr.ID, adv.ApplicationID).Responses[1].InviteStatus)
	})
}

func TestCandidatePageErrors(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("UnknownLink", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		link := e.srv.URL() + "/invite/" + strings.Repeat("A", 43)

		for _, p := range []page{
			e.getPage(link),
			e.postPage(link, url.Values{"q1": {"An answer"}}),
			e.postPage(link+"/start", nil),
		} {
			require.Equal(t, http.StatusNotFound, p.Status, "page: %s", p.HTML)
			requirePageHeaders(t, p)
			require.Contains(t, p.HTML, "<h1>Link not found</h1>")
		}
	})

	t.Run("CompletedLink", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Cora Complete", "cora@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Contains(t, p.HTML, "<h1>Already completed</h1>")
		require.Contains(t, p.HTML, "This step is already completed.")
	})

	t.Run("LeftStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Leo Left", "leo@example.com", "getlink")
		e.completeForm(inv.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		for _, p := range []page{e.getPage(adv.InviteLink), e.postPage(adv.InviteLink+"/start", nil)} {
			require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
			requirePageHeaders(t, p)
			require.Contains(t, p.HTML, "<h1>Step closed</h1>")
		}
		require.Equal(t, "Expired", e.applicant(tr.ID, inv.ApplicationID).Responses[1].InviteStatus,
			"a response expires when its application leaves the stage")
	})

	t.Run("ClosedApplication", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Rae Rejected", "rae@example.com", "getlink")
		e.exec(`UPDATE applications SET status = 'rejected' WHERE id = ?`, inv.ApplicationID)

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Step closed</h1>")
	})

	t.Run("FormBodyTooLarge", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Big Body", "big@example.com", "getlink")

		p := e.postPage(inv.InviteLink, url.Values{"q1": {strings.Repeat("x", 1<<20)}})

		require.Equal(t, http.StatusRequestEntityTooLarge, p.Status, "page: %s", p.HTML)
		requirePageHeaders(t, p)
		require.Equal(t, "Pending", e.applicant(tr.ID, inv.ApplicationID).Responses[0].InviteStatus)
	})
}

func TestCandidatePageEscapesText(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	form := e.createModule(map[string]any{"type": "form", "name": "Form", "questions": []any{
		map[string]any{"label": "<i>Why</i> us?", "kind": "text", "required": true},
		map[string]any{"label": "Pick", "kind": "choice", "options": []string{"<Now>", "Later & more"}},
	}})
	tr := e.createTrack("R&D <Lead>", map[string]any{"name": "Step <1>", "type": "form", "module_id": form})
	inv := e.invite(tr.ID, "<b>Jo</b>", "jo@example.com", "getlink")

	t.Run("FormPage", func(t *testing.T) {
		e := e.forTest(t)

		p := e.getPage(inv.InviteLink)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<p>Hello &lt;b&gt;Jo&lt;/b&gt;,</p>")
		require.Contains(t, p.HTML, `<p class="track">R&amp;D &lt;Lead&gt;</p>`)
		require.Contains(t, p.HTML, "<title>R&amp;D &lt;Lead&gt; · Step &lt;1&gt;</title>")
		require.Contains(t, p.HTML, "<h1>Step &lt;1&gt;</h1>")
		require.Contains(t, p.HTML, "&lt;i&gt;Why&lt;/i&gt; us? *")
		require.Contains(t, p.HTML, `value="&lt;Now&gt;"`)
		require.Contains(t, p.HTML, "Later &amp; more")
		for _, raw := range []string{"<b>Jo</b>", "<Lead>", "<i>Why</i>", "<Now>", "Step <1>"} {
			require.NotContains(t, p.HTML, raw)
		}
	})

	t.Run("ErrorPage", func(t *testing.T) {
		e := e.forTest(t)

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"</textarea><b>answer</b>"}, "q2": {"Soon"}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, `<p class="error" role="alert">&#34;Pick&#34; is &#34;Soon&#34;; it must be one of: &lt;Now&gt;, Later &amp; more</p>`)
		require.Contains(t, p.HTML, "&lt;/textarea&gt;&lt;b&gt;answer&lt;/b&gt;</textarea>")
		require.NotContains(t, p.HTML, "<b>answer</b>")
	})

	t.Run("RequiredAnswerError", func(t *testing.T) {
		e := e.forTest(t)

		p := e.postPage(inv.InviteLink, url.Values{"q2": {"<Now>"}})

		require.Equal(t, http.StatusBadRequest, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, `<p class="error" role="alert">&#34;&lt;i&gt;Why&lt;/i&gt; us?&#34; is required</p>`)
		require.Contains(t, p.HTML, `value="&lt;Now&gt;" checked`)
	})

	t.Run("AnswersStoredVerbatim", func(t *testing.T) {
		e := e.forTest(t)

		p := e.postPage(inv.InviteLink, url.Values{"q1": {"</textarea><b>answer</b>"}, "q2": {"<Now>"}})

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.JSONEq(t, `{"answers": [{"label": "<i>Why</i> us?", "value": "</textarea><b>answer</b>"}, {"label": "Pick", "value": "<Now>"}]}`,
			string(e.applicant(tr.ID, inv.ApplicationID).Responses[0].Data))
	})
}
