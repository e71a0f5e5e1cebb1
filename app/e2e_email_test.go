package app_test

import (
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// mailTimeout bounds the wait for the mail worker. By default River v0.51.2
// polls for new jobs every second and retries a first failure after about
// 1 s. 30 s is a generous bound, not a measured one.
const mailTimeout = 30 * time.Second

// requireInviteEmail checks the parts of an invite email that every invite
// has: recipient, subject, greeting, track, stage and the exact link in both
// the plain-text and the HTML part.
func requireInviteEmail(t *testing.T, m email, name, address, trackTitle, stageName, link string) {
	t.Helper()
	to, err := mail.ParseAddress(m.Header.Get("To"))
	require.NoError(t, err)
	require.Equal(t, name, to.Name)
	require.Equal(t, address, to.Address)
	require.Equal(t, fmt.Sprintf("Your next step for %s: %s", trackTitle, stageName), m.Subject)

	require.Contains(t, m.Text, "Hello "+name+",")
	require.Contains(t, m.Text, "Your application for "+trackTitle+" continues with the next step: "+stageName+".")
	require.Contains(t, strings.Split(m.Text, "\n"), link, "the plain-text part must have the link on a line of its own")

	require.Contains(t, m.HTML, `<a href="`+link+`">`)
	require.Contains(t, m.HTML, "<br>"+link+"</p>")
}

func TestInviteEmail(t *testing.T) {
	t.Parallel()

	t.Run("SendLinkInvite", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")

		inv := e.invite(tr.ID, "Zoë Example", "zoe@example.com", "sendlink")

		require.Equal(t, "email_queued", inv.Status)
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		require.Len(t, messages, 1)
		require.Equal(t, "no-reply@example.com", messages[0].From)
		require.Equal(t, []string{"zoe@example.com"}, messages[0].To)
		require.Equal(t, smtptest.Username, messages[0].Username)
		m := parseEmail(t, messages[0].Data)
		requireInviteEmail(t, m, "Zoë Example", "zoe@example.com", "Backend Engineer", formStage, inv.InviteLink)
		require.Equal(t, fmt.Sprint(inv.ResponseID), m.Header.Get("X-Hiretrack-Response-ID"))
		require.Contains(t, m.Text, "The link expires on ")

		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "email_queued", "email_sent"}, a.eventTypes())
		sent := a.Timeline[2]
		require.Equal(t, "system", sent.Actor)
		require.Equal(t, &inv.ResponseID, sent.ResponseID)
		require.Equal(t, tr.Stages[0].ID, sent.StageID)
		require.JSONEq(t, `{"attempt": 1}`, string(sent.Data))
		requireUTC(t, sent.At)

		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
	})

	t.Run("SendLinkAdvance", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Ada Advance", "ada@example.com", "getlink")
		e.completeForm(inv.InviteLink)

		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "sendlink")

		require.Equal(t, "email_queued", adv.Status)
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		require.Len(t, messages, 1)
		require.Equal(t, []string{"ada@example.com"}, messages[0].To)
		m := parseEmail(t, messages[0].Data)
		requireInviteEmail(t, m, "Ada Advance", "ada@example.com", "Backend Engineer", assessmentStage, adv.InviteLink)

		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "email_queued", "email_sent"}, a.eventTypes())
		require.Equal(t, &adv.ResponseID, a.Timeline[5].ResponseID)
		require.Equal(t, adv.StageID, a.Timeline[5].StageID)

		p := e.getPage(adv.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, "<h1>Coding exercise</h1>")
	})

	t.Run("EscapesHTMLPart", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		review := e.createModule(map[string]any{"type": "review", "name": "Review"})
		tr := e.createTrack("R&D <Lead>", map[string]any{"name": "Step <1>", "type": "review", "module_id": review})

		inv := e.invite(tr.ID, "<b>Jo</b>", "jo@example.com", "sendlink")

		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		m := parseEmail(t, messages[0].Data)
		require.Equal(t, "Your next step for R&D <Lead>: Step <1>", m.Subject)
		require.Contains(t, m.Text, "Hello <b>Jo</b>,")
		require.Contains(t, m.HTML, "Hello &lt;b&gt;Jo&lt;/b&gt;,")
		require.Contains(t, m.HTML, "Your application for R&amp;D &lt;Lead&gt; continues")
		require.Contains(t, m.HTML, "<strong>Step &lt;1&gt;</strong>")
		for _, raw := range []string{"<b>Jo</b>", "<Lead>", "Step <1>"} {
			require.NotContains(t, m.HTML, raw)
		}
		require.Contains(t, m.HTML, `<a href="`+inv.InviteLink+`">`)
	})

	t.Run("InviteAgainSendsNewLink", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		first := e.invite(tr.ID, "Ria Resend", "ria@example.com", "sendlink")
		smtp.WaitForMessages(t, 1, mailTimeout)

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Ria Resend", "candidate_email": "ria@example.com", "track_id": tr.ID, "invite_format": "sendlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		again := decode[invitation](t, r)
		require.Equal(t, "email_queued", again.Status)
		messages := smtp.WaitForMessages(t, 2, mailTimeout)
		require.Len(t, messages, 2)
		requireInviteEmail(t, parseEmail(t, messages[0].Data), "Ria Resend", "ria@example.com", "Backend Engineer", formStage, first.InviteLink)
		requireInviteEmail(t, parseEmail(t, messages[1].Data), "Ria Resend", "ria@example.com", "Backend Engineer", formStage, again.InviteLink)
	})

	t.Run("RetriesAfterTemporaryFailure", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		smtp.FailNext(1)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")

		inv := e.invite(tr.ID, "Tim Retry", "tim@example.com", "sendlink")

		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		requireInviteEmail(t, parseEmail(t, messages[0].Data), "Tim Retry", "tim@example.com", "Backend Engineer", formStage, inv.InviteLink)
		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "email_queued", "email_sent"}, a.eventTypes())
		require.JSONEq(t, `{"attempt": 2}`, string(a.Timeline[2].Data))
	})
}

func TestInviteEmailFile(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")

	inv := e.invite(tr.ID, "Eli File", "eli@example.com", "sendlink")

	require.Equal(t, "email_queued", inv.Status)
	require.Equal(t, 1, e.state(inv.ApplicationID).Jobs)
	e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
	paths := e.emlFiles()
	require.Len(t, paths, 1)
	require.True(t, strings.HasSuffix(filepath.Base(paths[0]), fmt.Sprintf("-response-%d.eml", inv.ResponseID)), "file %s", paths[0])
	info, err := os.Stat(paths[0])
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file contains a working link")

	raw, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	m := parseEmail(t, raw)
	requireInviteEmail(t, m, "Eli File", "eli@example.com", "Backend Engineer", formStage, inv.InviteLink)
	from, err := mail.ParseAddress(m.Header.Get("From"))
	require.NoError(t, err)
	require.Equal(t, &mail.Address{Name: "hiretrack", Address: "no-reply@example.com"}, from)
}

func TestGetLinkSendsNoEmail(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Gia Getlink", "gia@example.com", "getlink")
	e.completeForm(inv.InviteLink)

	e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

	require.Equal(t, 0, e.state(inv.ApplicationID).Jobs, "getlink queued an email job")
	types := e.applicant(tr.ID, inv.ApplicationID).eventTypes()
	require.False(t, slices.Contains(types, "email_queued"), "timeline: %v", types)
	require.Empty(t, e.emlFiles())
}
