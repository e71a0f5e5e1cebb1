package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// The keys of a transition body without a new response, and the keys that
// a new response and its invite link add.
var (
	transitionKeys = []string{
		"track_id", "application_id", "candidate_id", "name", "email", "from_stage", "to_stage", "application_status",
	}
	responseKeys = []string{"response_id", "expires_at"}
	linkKeys     = []string{"invite_link", "status"}
)

// requireKeys checks that a body has exactly the given keys.
func requireKeys(t testing.TB, body map[string]any, keys ...[]string) {
	t.Helper()
	require.ElementsMatch(t, slices.Concat(keys...), slices.Collect(maps.Keys(body)), "body: %v", body)
}

// requireTransitionEvent checks a transition's timeline event: the stage it
// entered, the response it created, the stages in its data and the actor.
func requireTransitionEvent(t testing.TB, ev event, eventType, actor string, from, to stage, responseID *int64, format string) {
	t.Helper()
	require.Equal(t, eventType, ev.Type)
	require.Equal(t, actor, ev.Actor)
	require.Equal(t, to.ID, ev.StageID)
	require.Equal(t, responseID, ev.ResponseID)
	data := map[string]any{"from_stage_id": from.ID, "to_stage_id": to.ID}
	if format != "" {
		data["invite_format"] = format
	}
	want, err := json.Marshal(data)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(ev.Data))
	requireUTC(t, ev.At)
}

func TestMove(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("ForwardPastStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Mo Move", "mo@example.com")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[2].ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys, responseKeys, linkKeys)
		m := decode[transitionBody](t, r)
		require.Equal(t, tr.ID, m.TrackID)
		require.Equal(t, inv.ApplicationID, m.ApplicationID)
		require.Equal(t, inv.CandidateID, m.CandidateID)
		require.Equal(t, "Mo Move", m.Name)
		require.Equal(t, "mo@example.com", m.Email)
		require.Equal(t, tr.Stages[0].ref(), m.FromStage)
		require.Equal(t, tr.Stages[2].ref(), m.ToStage)
		require.Equal(t, "active", m.ApplicationStatus)
		require.Greater(t, m.ResponseID, inv.ResponseID)
		requireUTC(t, m.ExpiresAt)
		require.True(t, strings.HasPrefix(m.InviteLink, e.srv.URL()+"/invite/"), "invite_link %q", m.InviteLink)
		require.Equal(t, "link_generated", m.Status)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, tr.Stages[2].ID, a.CurrentStage.ID)
		require.Equal(t, "active", a.Applicant.Status)
		require.Equal(t, []string{"invited", "opened", "completed", "moved"}, a.eventTypes())
		requireTransitionEvent(t, a.Timeline[3], "moved", actorOf(e.key), tr.Stages[0], tr.Stages[2], &m.ResponseID, "getlink")
		require.Len(t, a.Responses, 2)
		require.Equal(t, "Completed", a.Responses[0].InviteStatus)
		require.Equal(t, m.ResponseID, a.Responses[1].ID)
		require.Equal(t, tr.Stages[2].ID, a.Responses[1].StageID)
		require.Equal(t, "Pending", a.Responses[1].InviteStatus)
		require.Equal(t, m.ExpiresAt, a.Responses[1].ExpiresAt)

		p := e.getPage(m.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, reviewStage)
	})

	t.Run("BackExpiresStageLeft", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Bea Back", "bea@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[1].ID, "destination_stage_id": tr.Stages[0].ID, "invite_format": "sendlink",
		})

		require.Equal(t, tr.Stages[1].ref(), m.FromStage)
		require.Equal(t, tr.Stages[0].ref(), m.ToStage)
		require.Equal(t, "email_queued", m.Status)
		require.Greater(t, m.ResponseID, adv.ResponseID)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, tr.Stages[0].ID, a.CurrentStage.ID)
		require.Len(t, a.Responses, 3)
		require.Equal(t, "Completed", a.Responses[0].InviteStatus)
		require.Equal(t, adv.ResponseID, a.Responses[1].ID)
		require.Equal(t, "Expired", a.Responses[1].InviteStatus)
		require.Equal(t, m.ResponseID, a.Responses[2].ID)
		require.Equal(t, "Pending", a.Responses[2].InviteStatus)
		types := a.eventTypes()
		// The mail worker may have added email_sent already.
		require.GreaterOrEqual(t, len(types), 6, "timeline: %v", types)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "moved", "email_queued"}, types[:6])
		requireTransitionEvent(t, a.Timeline[4], "moved", actorOf(e.key), tr.Stages[1], tr.Stages[0], &m.ResponseID, "sendlink")

		p := e.getPage(adv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		p = e.getPage(m.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Contains(t, p.HTML, formStage)
	})

	t.Run("WithoutInviteFormat", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "No Link", "no.link@example.com")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[1].ID,
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys, responseKeys)
		m := decode[transitionBody](t, r)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Len(t, a.Responses, 2)
		require.Equal(t, m.ResponseID, a.Responses[1].ID)
		require.Equal(t, "Pending", a.Responses[1].InviteStatus)
		requireTransitionEvent(t, a.Timeline[3], "moved", actorOf(e.key), tr.Stages[0], tr.Stages[1], &m.ResponseID, "")
	})

	t.Run("PendingInvitation", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Pia Pending", "pia@example.com", "getlink")

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[1].ID, "invite_format": "getlink",
		})

		require.Equal(t, tr.Stages[1].ref(), m.ToStage)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "Expired", a.Responses[0].InviteStatus)
		require.Equal(t, "Expired", a.Applicant.TrackInvitationStatus)
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("BackToFirstStageThenAdvance", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Ada Again", "ada.again@example.com", "getlink")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[1].ID,
		})

		back := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[1].ID, "destination_stage_id": tr.Stages[0].ID, "invite_format": "getlink",
		})

		// The expired link stays closed although the application is back in its stage.
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		e.completeForm(back.InviteLink)
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		require.Equal(t, tr.Stages[1].ID, adv.StageID)
	})

	t.Run("ToHiredStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Hal Hired", "hal@example.com")
		hired := tr.stageOfType(t, "hired")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": hired.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys)
		m := decode[transitionBody](t, r)
		require.Equal(t, hired.ref(), m.ToStage)
		require.Equal(t, "hired", m.ApplicationStatus)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "hired", a.Applicant.Status)
		require.Equal(t, hired.ID, a.CurrentStage.ID)
		requireTransitionEvent(t, a.Timeline[3], "moved", actorOf(e.key), tr.Stages[0], hired, nil, "")
		requireError(t, e.advance(tr.ID, inv.ApplicationID, "getlink"), http.StatusConflict, "application_closed", "")
	})

	t.Run("ToRejectedStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Rae Rejected", "rae@example.com")
		e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		rejected := tr.stageOfType(t, "rejected")

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[1].ID, "destination_stage_id": rejected.ID,
		})

		require.Equal(t, rejected.ref(), m.ToStage)
		require.Equal(t, "rejected", m.ApplicationStatus)
		require.Equal(t, "rejected", e.applicant(tr.ID, inv.ApplicationID).Applicant.Status)
		back := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "unreject", nil)
		require.Equal(t, tr.Stages[1].ref(), back.ToStage)
		require.Equal(t, "active", back.ApplicationStatus)
	})
}

func TestMoveRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	ready := e.inviteCompleted(tr.ID, "Ray Ready", "ray@example.com")
	other := e.newTrack("Designer")
	inOtherTrack := e.inviteCompleted(other.ID, "Oli Other", "oli@example.com")

	globex := e.forTest(t)
	globex.key = e.newKey("Globex")
	globexTrack := globex.newTrack("Globex Engineer")
	globexApp := globex.inviteCompleted(globexTrack.ID, "Gil Globex", "gil@example.com")

	// moveBody returns a valid move of the ready application with fields
	// replaced, or removed where the value is nil.
	moveBody := func(fields map[string]any) map[string]any {
		body := map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[1].ID, "invite_format": "getlink",
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
	readyPath := fmt.Sprintf("/tracks/%d/applicants/%d/move", tr.ID, ready.ApplicationID)

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"MalformedJSON", readyPath, `{"source_stage_id": `, 400, "invalid_json", ""},
		{"WithoutBody", readyPath, nil, 400, "missing_field", "source_stage_id"},
		{"MissingSourceStageID", readyPath, moveBody(map[string]any{"source_stage_id": nil}), 400, "missing_field", "source_stage_id"},
		{"MissingDestinationStageID", readyPath, moveBody(map[string]any{"destination_stage_id": nil}), 400, "missing_field", "destination_stage_id"},
		{"EmptyDestinationStageID", readyPath, moveBody(map[string]any{"destination_stage_id": ""}), 400, "invalid_field", "destination_stage_id"},
		{"DestinationStageIDNotString", readyPath, moveBody(map[string]any{"destination_stage_id": 2}), 400, "invalid_field", "destination_stage_id"},
		{"UnknownInviteFormat", readyPath, moveBody(map[string]any{"invite_format": "email"}), 422, "invalid_value", "invite_format"},
		{"DryRunNotBoolean", readyPath, moveBody(map[string]any{"dry_run": "yes"}), 400, "invalid_field", "dry_run"},
		{"SameStage", readyPath, moveBody(map[string]any{"destination_stage_id": tr.Stages[0].ID}), 409, "same_stage", "destination_stage_id"},
		{"DestinationOfOtherTrack", readyPath, moveBody(map[string]any{"destination_stage_id": other.Stages[1].ID}), 404, "not_found", "destination_stage_id"},
		{"DestinationOfOtherCompany", readyPath, moveBody(map[string]any{"destination_stage_id": globexTrack.Stages[1].ID}), 404, "not_found", "destination_stage_id"},
		{"UnknownDestination", readyPath, moveBody(map[string]any{"destination_stage_id": "stg_unknown"}), 404, "not_found", "destination_stage_id"},
		{"UnknownApplication", fmt.Sprintf("/tracks/%d/applicants/999999/move", tr.ID), moveBody(nil), 404, "not_found", ""},
		{"UnknownTrack", fmt.Sprintf("/tracks/999999/applicants/%d/move", ready.ApplicationID), moveBody(nil), 404, "not_found", ""},
		{"ApplicationOfOtherTrack", fmt.Sprintf("/tracks/%d/applicants/%d/move", tr.ID, inOtherTrack.ApplicationID), moveBody(nil), 404, "not_found", ""},
		{"ApplicationOfOtherCompany", fmt.Sprintf("/tracks/%d/applicants/%d/move", globexTrack.ID, globexApp.ApplicationID), moveBody(nil), 404, "not_found", ""},
		{"ApplicationIDNotNumber", fmt.Sprintf("/tracks/%d/applicants/abc/move", tr.ID), moveBody(nil), 400, "invalid_path", "application_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.requireNoChange(ready.ApplicationID, func() result {
				return e.do("PATCH", c.path, c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("StageMismatch", func(t *testing.T) {
		e := e.forTest(t)

		r := e.requireNoChange(ready.ApplicationID, func() result {
			return e.do("PATCH", readyPath, moveBody(map[string]any{
				"source_stage_id": tr.Stages[1].ID, "destination_stage_id": tr.Stages[2].ID,
			}))
		})

		requireError(t, r, http.StatusConflict, "stage_mismatch", "source_stage_id")
		require.Equal(t, map[string]any{"stage_id": tr.Stages[0].ID, "name": formStage, "type": "form"}, r.Body["current_stage"])
	})

	t.Run("ApplicationClosed", func(t *testing.T) {
		e := e.forTest(t)
		closed := e.inviteCompleted(tr.ID, "Cal Closed", "cal@example.com")
		e.mustPatchApplicant(tr.ID, closed.ApplicationID, "hire", nil)
		hired := tr.stageOfType(t, "hired")

		r := e.requireNoChange(closed.ApplicationID, func() result {
			return e.patchApplicant(tr.ID, closed.ApplicationID, "move", map[string]any{
				"source_stage_id": hired.ID, "destination_stage_id": tr.Stages[0].ID,
			})
		})

		requireError(t, r, http.StatusConflict, "application_closed", "")
	})
}

func TestReject(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("FromCurrentStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Reo Reject", "reo@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		rejected := tr.stageOfType(t, "rejected")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "reject", map[string]any{"source_stage_id": tr.Stages[1].ID})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys, []string{"email_sent"})
		m := decode[transitionBody](t, r)
		require.Equal(t, tr.ID, m.TrackID)
		require.Equal(t, inv.ApplicationID, m.ApplicationID)
		require.Equal(t, inv.CandidateID, m.CandidateID)
		require.Equal(t, "Reo Reject", m.Name)
		require.Equal(t, "reo@example.com", m.Email)
		require.Equal(t, tr.Stages[1].ref(), m.FromStage)
		require.Equal(t, rejected.ref(), m.ToStage)
		require.Equal(t, "rejected", m.ApplicationStatus)
		require.Equal(t, new(false), m.EmailSent)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "rejected", a.Applicant.Status)
		require.Equal(t, rejected.ID, a.CurrentStage.ID)
		require.Len(t, a.Responses, 2)
		require.Equal(t, "Expired", a.Responses[1].InviteStatus)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "rejected"}, a.eventTypes())
		requireTransitionEvent(t, a.Timeline[4], "rejected", actorOf(e.key), tr.Stages[1], rejected, nil, "")
		p := e.getPage(adv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("WithoutBody", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Nob Body", "nob@example.com", "getlink")

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)

		require.Equal(t, tr.Stages[0].ref(), m.FromStage)
		require.Equal(t, "rejected", m.ApplicationStatus)
		require.Equal(t, new(false), m.EmailSent)
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("ClosesApplication", func(t *testing.T) {
		// Not parallel: requireNoChange compares row counts of the whole database.
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Cleo Closed", "cleo@example.com")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)
		rejected := tr.stageOfType(t, "rejected")

		requests := map[string]func() result{
			"advance": func() result { return e.advance(tr.ID, inv.ApplicationID, "getlink") },
			"move": func() result {
				return e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
					"source_stage_id": rejected.ID, "destination_stage_id": tr.Stages[1].ID,
				})
			},
			"hire":   func() result { return e.patchApplicant(tr.ID, inv.ApplicationID, "hire", nil) },
			"reject": func() result { return e.patchApplicant(tr.ID, inv.ApplicationID, "reject", nil) },
		}
		for action, send := range requests {
			r := e.requireNoChange(inv.ApplicationID, send)
			require.Equal(t, http.StatusConflict, r.Status, "%s: %s", action, r.Raw)
			requireError(t, r, http.StatusConflict, "application_closed", "")
		}
	})
}

func TestRejectRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.inviteCompleted(tr.ID, "Val Valid", "val@example.com")
	path := fmt.Sprintf("/tracks/%d/applicants/%d/reject", tr.ID, inv.ApplicationID)

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"EmailMessageWithoutSendEmail", map[string]any{"email_message": "Thank you."}, 422, "invalid_value", "email_message"},
		{"EmailMessageWithSendEmailFalse", map[string]any{"send_email": false, "email_message": "Thank you."}, 422, "invalid_value", "email_message"},
		{"EmailMessageTooLong", map[string]any{"send_email": true, "email_message": strings.Repeat("x", 5001)}, 400, "invalid_field", "email_message"},
		{"EmailMessageNotString", map[string]any{"send_email": true, "email_message": 5}, 400, "invalid_field", "email_message"},
		{"SendEmailNotBoolean", map[string]any{"send_email": "yes"}, 400, "invalid_field", "send_email"},
		{"SourceStageIDNotString", map[string]any{"source_stage_id": 1}, 400, "invalid_field", "source_stage_id"},
		{"BodyNotObject", `[]`, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.requireNoChange(inv.ApplicationID, func() result {
				return e.do("PATCH", path, c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("StageMismatch", func(t *testing.T) {
		e := e.forTest(t)

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.do("PATCH", path, map[string]any{"source_stage_id": tr.Stages[2].ID})
		})

		requireError(t, r, http.StatusConflict, "stage_mismatch", "source_stage_id")
		require.Equal(t, map[string]any{"stage_id": tr.Stages[0].ID, "name": formStage, "type": "form"}, r.Body["current_stage"])
	})
}

func TestRejectionEmail(t *testing.T) {
	t.Parallel()

	t.Run("CustomText", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Cus Tom", "custom@example.com")
		text := "We filled the role with an internal candidate.\n\nWe will keep your details for a year."

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", map[string]any{
			"send_email": true, "email_message": text,
		})

		require.Equal(t, new(true), m.EmailSent)
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		require.Len(t, messages, 1)
		require.Equal(t, []string{"custom@example.com"}, messages[0].To)
		msg := parseEmail(t, messages[0].Data)
		require.Equal(t, "Your application for Backend Engineer", msg.Subject)
		require.Equal(t, fmt.Sprint(inv.ApplicationID), msg.Header.Get("X-Hiretrack-Application-ID"))
		require.Contains(t, msg.Text, "Hello Cus Tom,")
		require.Contains(t, msg.Text, text)
		require.NotContains(t, msg.Text, "After careful consideration")
		require.Contains(t, msg.HTML, "<p>We filled the role with an internal candidate.</p>")

		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "opened", "completed", "rejected", "email_queued", "email_sent"}, a.eventTypes())
		queued, sent := a.Timeline[4], a.Timeline[5]
		require.Equal(t, actorOf(e.key), queued.Actor)
		require.JSONEq(t, `{"kind": "rejection"}`, string(queued.Data))
		require.Nil(t, queued.ResponseID)
		require.Equal(t, "system", sent.Actor)
		require.Nil(t, sent.ResponseID)
		require.Equal(t, tr.stageOfType(t, "rejected").ID, sent.StageID)
	})

	t.Run("DefaultText", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Def Ault", "default@example.com")

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", map[string]any{"send_email": true})

		require.Equal(t, new(true), m.EmailSent)
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		msg := parseEmail(t, messages[0].Data)
		require.Contains(t, msg.Text, "Hello Def Ault,")
		require.Contains(t, msg.Text, "Thank you for applying for Backend Engineer")
		require.Contains(t, msg.Text, "After careful consideration, we have decided not to move forward with your application.")
		e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
	})

	t.Run("OlderForm", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Old Form", "old.form@example.com")

		r := e.do("PATCH", fmt.Sprintf("/tracks/candidate/reject/%d", inv.CandidateID), map[string]any{
			"application_id": inv.ApplicationID, "track_id": tr.ID, "send_email": true, "email_message": "Sorry, Old.",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		messages := smtp.WaitForMessages(t, 1, mailTimeout)
		require.Equal(t, []string{"old.form@example.com"}, messages[0].To)
		require.Contains(t, parseEmail(t, messages[0].Data).Text, "Sorry, Old.")
		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "opened", "completed", "rejected", "email_queued", "email_sent"}, a.eventTypes())
	})
}

func TestRejectCandidate(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.inviteCompleted(tr.ID, "Leg Acy", "legacy@example.com")
	otherCandidate := e.invite(tr.ID, "Oth Er", "other@example.com", "getlink")
	path := fmt.Sprintf("/tracks/candidate/reject/%d", inv.CandidateID)
	body := map[string]any{"application_id": inv.ApplicationID, "track_id": tr.ID}

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"CandidateOfOtherApplication", fmt.Sprintf("/tracks/candidate/reject/%d", otherCandidate.CandidateID), body, 404, "not_found", ""},
		{"UnknownCandidate", "/tracks/candidate/reject/999999", body, 404, "not_found", ""},
		{"UnknownTrack", path, map[string]any{"application_id": inv.ApplicationID, "track_id": 999999}, 404, "not_found", ""},
		{"CandidateIDNotNumber", "/tracks/candidate/reject/abc", body, 400, "invalid_path", "candidate_id"},
		{"MissingApplicationID", path, map[string]any{"track_id": tr.ID}, 400, "missing_field", "application_id"},
		{"MissingTrackID", path, map[string]any{"application_id": inv.ApplicationID}, 400, "missing_field", "track_id"},
		{"WithoutBody", path, nil, 400, "invalid_json", ""},
		{"EmailMessageWithoutSendEmail", path, map[string]any{
			"application_id": inv.ApplicationID, "track_id": tr.ID, "email_message": "Sorry.",
		}, 422, "invalid_value", "email_message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.requireNoChange(inv.ApplicationID, func() result {
				return e.do("PATCH", c.path, c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("DryRun", func(t *testing.T) {
		e := e.forTest(t)

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.do("PATCH", path, map[string]any{"application_id": inv.ApplicationID, "track_id": tr.ID, "dry_run": true})
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, "dry run: the candidate would be rejected", r.Body["message"])
		require.Equal(t, "active", e.applicant(tr.ID, inv.ApplicationID).Applicant.Status)
	})

	t.Run("Rejects", func(t *testing.T) {
		e := e.forTest(t)

		r := e.do("PATCH", path, body)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, map[string]any{
			"application_id": float64(inv.ApplicationID), "candidate_id": float64(inv.CandidateID),
			"track_id": float64(tr.ID), "message": "candidate rejected",
		}, r.Body)
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "rejected", a.Applicant.Status)
		rejected := tr.stageOfType(t, "rejected")
		require.Equal(t, rejected.ID, a.CurrentStage.ID)
		requireTransitionEvent(t, a.Timeline[3], "rejected", actorOf(e.key), tr.Stages[0], rejected, nil, "")
	})

	t.Run("AlreadyRejected", func(t *testing.T) {
		e := e.forTest(t)

		r := e.requireNoChange(inv.ApplicationID, func() result { return e.do("PATCH", path, body) })

		requireError(t, r, http.StatusConflict, "application_closed", "")
	})
}

func TestUnreject(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("BackToStageRejectedFrom", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Una Undo", "una@example.com")
		adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)
		rejected := tr.stageOfType(t, "rejected")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "unreject", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys, responseKeys)
		m := decode[transitionBody](t, r)
		require.Equal(t, rejected.ref(), m.FromStage)
		require.Equal(t, tr.Stages[1].ref(), m.ToStage)
		require.Equal(t, "active", m.ApplicationStatus)
		require.Greater(t, m.ResponseID, adv.ResponseID)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "active", a.Applicant.Status)
		require.Equal(t, tr.Stages[1].ID, a.CurrentStage.ID)
		require.Len(t, a.Responses, 3)
		require.Equal(t, "Expired", a.Responses[1].InviteStatus)
		require.Equal(t, m.ResponseID, a.Responses[2].ID)
		require.Equal(t, tr.Stages[1].ID, a.Responses[2].StageID)
		require.Equal(t, "Pending", a.Responses[2].InviteStatus)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "rejected", "unrejected"}, a.eventTypes())
		requireTransitionEvent(t, a.Timeline[5], "unrejected", actorOf(e.key), rejected, tr.Stages[1], &m.ResponseID, "")

		next := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		require.Equal(t, tr.Stages[2].ID, next.StageID)
	})

	t.Run("WithInviteFormat", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Ina Invite", "ina@example.com", "getlink")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)

		m := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "unreject", map[string]any{"invite_format": "getlink"})

		require.Equal(t, tr.Stages[0].ref(), m.ToStage)
		require.Equal(t, "link_generated", m.Status)
		p := e.getPage(m.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		p = e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("NotRejected", func(t *testing.T) {
		// Not parallel: requireNoChange compares row counts of the whole database.
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		active := e.inviteCompleted(tr.ID, "Act Ive", "active@example.com")
		hired := e.inviteCompleted(tr.ID, "Hir Ed", "hired@example.com")
		e.mustPatchApplicant(tr.ID, hired.ApplicationID, "hire", nil)

		for _, applicationID := range []int64{active.ApplicationID, hired.ApplicationID} {
			r := e.requireNoChange(applicationID, func() result {
				return e.patchApplicant(tr.ID, applicationID, "unreject", nil)
			})

			requireError(t, r, http.StatusConflict, "not_rejected", "")
		}
	})
}

func TestHire(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("FromLastStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Hugo Hire", "hugo@example.com")
		e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		last := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		hired := tr.stageOfType(t, "hired")

		r := e.patchApplicant(tr.ID, inv.ApplicationID, "hire", map[string]any{"source_stage_id": tr.Stages[2].ID})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, transitionKeys)
		m := decode[transitionBody](t, r)
		require.Equal(t, tr.Stages[2].ref(), m.FromStage)
		require.Equal(t, hired.ref(), m.ToStage)
		require.Equal(t, "hired", m.ApplicationStatus)
		require.Equal(t, "Hugo Hire", m.Name)

		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, "hired", a.Applicant.Status)
		require.Equal(t, hired.ID, a.CurrentStage.ID)
		require.Len(t, a.Responses, 3)
		require.Equal(t, "Expired", a.Responses[2].InviteStatus)
		require.Equal(t, []string{"invited", "opened", "completed", "advanced", "advanced", "hired"}, a.eventTypes())
		requireTransitionEvent(t, a.Timeline[5], "hired", actorOf(e.key), tr.Stages[2], hired, nil, "")
		p := e.getPage(last.InviteLink)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
	})

	t.Run("ClosesApplication", func(t *testing.T) {
		// Not parallel: requireNoChange compares row counts of the whole database.
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Han Closed", "han@example.com")
		e.mustPatchApplicant(tr.ID, inv.ApplicationID, "hire", nil)
		hired := tr.stageOfType(t, "hired")

		closed := map[string]func() result{
			"advance": func() result { return e.advance(tr.ID, inv.ApplicationID, "getlink") },
			"move": func() result {
				return e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
					"source_stage_id": hired.ID, "destination_stage_id": tr.Stages[1].ID,
				})
			},
			"hire":   func() result { return e.patchApplicant(tr.ID, inv.ApplicationID, "hire", nil) },
			"reject": func() result { return e.patchApplicant(tr.ID, inv.ApplicationID, "reject", nil) },
		}
		for action, send := range closed {
			r := e.requireNoChange(inv.ApplicationID, send)
			require.Equal(t, http.StatusConflict, r.Status, "%s: %s", action, r.Raw)
			requireError(t, r, http.StatusConflict, "application_closed", "")
		}
	})

	t.Run("StageMismatch", func(t *testing.T) {
		// Not parallel: requireNoChange compares row counts of the whole database.
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Mis Match", "mismatch@example.com")

		r := e.requireNoChange(inv.ApplicationID, func() result {
			return e.patchApplicant(tr.ID, inv.ApplicationID, "hire", map[string]any{"source_stage_id": tr.Stages[2].ID})
		})

		requireError(t, r, http.StatusConflict, "stage_mismatch", "source_stage_id")
		require.Equal(t, map[string]any{"stage_id": tr.Stages[0].ID, "name": formStage, "type": "form"}, r.Body["current_stage"])
	})
}

func TestTransitionTimeline(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.inviteCompleted(tr.ID, "Tim Line", "tim@example.com")
	rejected, hired := tr.stageOfType(t, "rejected"), tr.stageOfType(t, "hired")
	second := e.forTest(t)
	second.key = e.newKey("Acme")

	adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
	moved := second.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
		"source_stage_id": tr.Stages[1].ID, "destination_stage_id": tr.Stages[2].ID,
	})
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", map[string]any{"source_stage_id": tr.Stages[2].ID})
	unrejected := e.mustPatchApplicant(tr.ID, inv.ApplicationID, "unreject", nil)
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "hire", map[string]any{"source_stage_id": tr.Stages[2].ID})

	a := e.applicant(tr.ID, inv.ApplicationID)
	require.Equal(t, []string{"invited", "opened", "completed", "advanced", "moved", "rejected", "unrejected", "hired"}, a.eventTypes())
	actor := actorOf(e.key)
	require.NotEqual(t, actor, actorOf(second.key))
	requireTransitionEvent(t, a.Timeline[3], "advanced", actor, tr.Stages[0], tr.Stages[1], &adv.ResponseID, "getlink")
	requireTransitionEvent(t, a.Timeline[4], "moved", actorOf(second.key), tr.Stages[1], tr.Stages[2], &moved.ResponseID, "")
	requireTransitionEvent(t, a.Timeline[5], "rejected", actor, tr.Stages[2], rejected, nil, "")
	requireTransitionEvent(t, a.Timeline[6], "unrejected", actor, rejected, tr.Stages[2], &unrejected.ResponseID, "")
	requireTransitionEvent(t, a.Timeline[7], "hired", actor, tr.Stages[2], hired, nil, "")

	require.Len(t, a.Responses, 4)
	statuses := make([]string, len(a.Responses))
	for i, resp := range a.Responses {
		statuses[i] = resp.InviteStatus
	}
	require.Equal(t, []string{"Completed", "Expired", "Expired", "Expired"}, statuses)
}

// TestDryRun runs its subtests one at a time, because requireNoChange
// compares row counts of the whole database.
func TestDryRun(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})
	dryRunKeys := []string{"dry_run", "module_id", "creates_invite_link", "queues_email"}

	// requireDryRun sends a dry run, checks that it changed nothing and
	// returns its body, after the checks that every dry run shares.
	requireDryRun := func(e *env, trackID, applicationID int64, from stage, send func() result) map[string]any {
		e.t.Helper()
		timeline := e.applicant(trackID, applicationID).eventTypes()
		r := e.requireNoChange(applicationID, send)
		require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(e.t, true, r.Body["dry_run"])
		require.Equal(e.t, float64(applicationID), r.Body["application_id"])
		require.Equal(e.t, map[string]any{"stage_id": from.ID, "name": from.Name, "type": from.Type}, r.Body["from_stage"])
		require.Equal(e.t, timeline, e.applicant(trackID, applicationID).eventTypes())
		return r.Body
	}

	t.Run("Advance", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Dry Advance", "dry.advance@example.com")

		for _, format := range []string{"getlink", "sendlink"} {
			body := requireDryRun(e, tr.ID, inv.ApplicationID, tr.Stages[0], func() result {
				return e.do("PUT", "/tracks/candidate/advance", map[string]any{
					"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": format, "dry_run": true,
				})
			})

			requireKeys(t, body, transitionKeys, dryRunKeys)
			require.Equal(t, map[string]any{"stage_id": tr.Stages[1].ID, "name": assessmentStage, "type": "assessment"}, body["to_stage"])
			require.Equal(t, float64(*tr.Stages[1].ModuleID), body["module_id"])
			require.Equal(t, "active", body["application_status"])
			require.Equal(t, true, body["creates_invite_link"])
			require.Equal(t, format == "sendlink", body["queues_email"], "invite_format %s", format)
		}
	})

	t.Run("MoveWithoutInviteFormat", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Dry Move", "dry.move@example.com")

		body := requireDryRun(e, tr.ID, inv.ApplicationID, tr.Stages[0], func() result {
			return e.patchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{
				"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[2].ID, "dry_run": true,
			})
		})

		requireKeys(t, body, transitionKeys, dryRunKeys)
		require.Equal(t, tr.Stages[2].ID, body["to_stage"].(map[string]any)["stage_id"])
		require.Equal(t, float64(*tr.Stages[2].ModuleID), body["module_id"])
		require.Equal(t, false, body["creates_invite_link"])
		require.Equal(t, false, body["queues_email"])
	})

	t.Run("RejectWithEmail", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Dry Reject", "dry.reject@example.com")
		rejected := tr.stageOfType(t, "rejected")

		body := requireDryRun(e, tr.ID, inv.ApplicationID, tr.Stages[0], func() result {
			return e.patchApplicant(tr.ID, inv.ApplicationID, "reject", map[string]any{
				"send_email": true, "email_message": "Sorry.", "dry_run": true,
			})
		})

		requireKeys(t, body, transitionKeys, dryRunKeys, []string{"email_sent"})
		require.Equal(t, map[string]any{"stage_id": rejected.ID, "name": rejected.Name, "type": "rejected"}, body["to_stage"])
		require.Equal(t, "rejected", body["application_status"])
		require.Nil(t, body["module_id"])
		require.Equal(t, false, body["creates_invite_link"])
		require.Equal(t, true, body["queues_email"])
		require.Equal(t, false, body["email_sent"], "a dry run sends no email")
	})

	t.Run("Hire", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Dry Hire", "dry.hire@example.com")
		hired := tr.stageOfType(t, "hired")

		body := requireDryRun(e, tr.ID, inv.ApplicationID, tr.Stages[0], func() result {
			return e.patchApplicant(tr.ID, inv.ApplicationID, "hire", map[string]any{
				"source_stage_id": tr.Stages[0].ID, "dry_run": true,
			})
		})

		requireKeys(t, body, transitionKeys, dryRunKeys)
		require.Equal(t, map[string]any{"stage_id": hired.ID, "name": hired.Name, "type": "hired"}, body["to_stage"])
		require.Equal(t, "hired", body["application_status"])
		require.Nil(t, body["module_id"])
		require.Equal(t, false, body["queues_email"])
	})

	t.Run("SameErrorsAsRealCall", func(t *testing.T) {
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		other := e.newTrack("Designer")
		pending := e.invite(tr.ID, "Pen Ding", "pen@example.com", "getlink")
		ready := e.inviteCompleted(tr.ID, "Rea Dy", "rea@example.com")
		hiredApp := e.inviteCompleted(tr.ID, "Hir Ed", "hir@example.com")
		e.mustPatchApplicant(tr.ID, hiredApp.ApplicationID, "hire", nil)
		hired := tr.stageOfType(t, "hired")

		cases := []struct {
			name          string
			applicationID int64
			method, path  string
			body          map[string]any
			status        int
			code          string
			field         string
		}{
			{"AdvanceInvitationPending", pending.ApplicationID, "PUT", "/tracks/candidate/advance",
				map[string]any{"track_id": tr.ID, "application_id": pending.ApplicationID, "invite_format": "getlink"},
				409, "invitation_pending", ""},
			{"AdvanceMissingFormat", ready.ApplicationID, "PUT", "/tracks/candidate/advance",
				map[string]any{"track_id": tr.ID, "application_id": ready.ApplicationID},
				400, "missing_field", "invite_format"},
			{"MoveSameStage", ready.ApplicationID, "PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/move", tr.ID, ready.ApplicationID),
				map[string]any{"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[0].ID},
				409, "same_stage", "destination_stage_id"},
			{"MoveToOtherTrack", ready.ApplicationID, "PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/move", tr.ID, ready.ApplicationID),
				map[string]any{"source_stage_id": tr.Stages[0].ID, "destination_stage_id": other.Stages[1].ID},
				404, "not_found", "destination_stage_id"},
			{"RejectStageMismatch", ready.ApplicationID, "PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/reject", tr.ID, ready.ApplicationID),
				map[string]any{"source_stage_id": tr.Stages[1].ID},
				409, "stage_mismatch", "source_stage_id"},
			{"RejectMessageWithoutEmail", ready.ApplicationID, "PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/reject", tr.ID, ready.ApplicationID),
				map[string]any{"email_message": "Sorry."},
				422, "invalid_value", "email_message"},
			{"HireClosed", hiredApp.ApplicationID, "PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/hire", tr.ID, hiredApp.ApplicationID),
				map[string]any{"source_stage_id": hired.ID},
				409, "application_closed", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := e.forTest(t)
				dryBody := maps.Clone(c.body)
				dryBody["dry_run"] = true

				dry := e.requireNoChange(c.applicationID, func() result { return e.do(c.method, c.path, dryBody) })
				real := e.requireNoChange(c.applicationID, func() result { return e.do(c.method, c.path, c.body) })

				requireError(t, dry, c.status, c.code, c.field)
				requireError(t, real, c.status, c.code, c.field)
				require.Equal(t, withoutRequestID(real.Body), withoutRequestID(dry.Body))
			})
		}
	})
}

// withoutRequestID returns a copy of an error body without the request id,
// which differs between two requests that fail the same way.
func withoutRequestID(body map[string]any) map[string]any {
	out := maps.Clone(body)
	detail := maps.Clone(out["error"].(map[string]any))
	delete(detail, "request_id")
	out["error"] = detail
	return out
}
