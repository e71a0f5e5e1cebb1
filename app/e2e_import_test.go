package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// imported is the body of a successful import.
type imported struct {
	ApplicationID     int64    `json:"application_id"`
	CandidateID       int64    `json:"candidate_id"`
	TrackID           int64    `json:"track_id"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	CurrentStage      stageRef `json:"current_stage"`
	ResponseID        int64    `json:"response_id"`
	InviteStatus      string   `json:"invite_status"`
	ApplicationStatus string   `json:"application_status"`
}

// mustImport imports an application and requires 201 Created.
func (e *env) mustImport(trackID int64, name, address string, fields map[string]string) imported {
	e.t.Helper()
	r := e.importApplication(trackID, name, address, fields)
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[imported](e.t, r)
}

func TestImportApplication(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("RecordsSubmittedForm", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		r := e.importApplication(tr.ID, "Imo Ported", "imo@example.com", map[string]string{
			motivationLabel: "I use the product every day.", noticeLabel: "Three months",
		})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		requireKeys(t, r.Body, []string{
			"application_id", "candidate_id", "track_id", "name", "email", "current_stage", "response_id",
			"invite_status", "application_status",
		})
		imp := decode[imported](t, r)
		require.Positive(t, imp.ApplicationID)
		require.Positive(t, imp.CandidateID)
		require.Equal(t, tr.ID, imp.TrackID)
		require.Equal(t, "Imo Ported", imp.Name)
		require.Equal(t, "imo@example.com", imp.Email)
		require.Equal(t, tr.Stages[0].ref(), imp.CurrentStage)
		require.Positive(t, imp.ResponseID)
		require.Equal(t, "Completed", imp.InviteStatus)
		require.Equal(t, "active", imp.ApplicationStatus)

		a := e.applicant(tr.ID, imp.ApplicationID)
		require.Equal(t, "Completed", a.Applicant.TrackInvitationStatus)
		require.Equal(t, "Completed", a.Applicant.StageStatus)
		require.Equal(t, tr.Stages[0].ID, a.CurrentStage.ID)
		require.Len(t, a.Responses, 1)
		resp := a.Responses[0]
		require.Equal(t, imp.ResponseID, resp.ID)
		require.Equal(t, "Completed", resp.InviteStatus)
		require.JSONEq(t, fmt.Sprintf(`{"answers": [{"label": %q, "value": "I use the product every day."}, {"label": %q, "value": "Three months"}]}`,
			motivationLabel, noticeLabel), string(resp.Data))
		require.NotNil(t, resp.CompletedAt)
		require.Equal(t, []string{"applied", "completed"}, a.eventTypes())
		for _, ev := range a.Timeline {
			require.Equal(t, actorOf(e.key), ev.Actor)
			require.Equal(t, &imp.ResponseID, ev.ResponseID)
			require.Equal(t, tr.Stages[0].ID, ev.StageID)
		}

		adv := e.mustAdvance(tr.ID, imp.ApplicationID, "getlink")
		require.Equal(t, tr.Stages[1].ID, adv.StageID)
	})

	t.Run("OptionalAnswerLeftOut", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")

		imp := e.mustImport(tr.ID, "Opt Ional", "optional@example.com", map[string]string{motivationLabel: "Growth."})

		resp := e.applicant(tr.ID, imp.ApplicationID).Responses[0]
		require.JSONEq(t, fmt.Sprintf(`{"answers": [{"label": %q, "value": "Growth."}, {"label": %q, "value": ""}]}`,
			motivationLabel, noticeLabel), string(resp.Data))
	})

	t.Run("CandidateOfOtherTrack", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		first := e.newTrack("Backend Engineer")
		second := e.newTrack("Frontend Engineer")
		inv := e.invite(first.ID, "Twi Ce", "twice@example.com", "getlink")

		imp := e.mustImport(second.ID, "Another Spelling", "Twice@Example.com", map[string]string{motivationLabel: "Both."})

		require.Equal(t, inv.CandidateID, imp.CandidateID)
		require.NotEqual(t, inv.ApplicationID, imp.ApplicationID)
		require.Equal(t, "Twi Ce", imp.Name)
		require.Equal(t, "twice@example.com", imp.Email)
	})

	t.Run("ListedByName", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		imp := e.mustImport(tr.ID, "Lis Tedname", "listed@example.com", map[string]string{motivationLabel: "Listed."})

		r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants?name=%s", tr.ID, url.QueryEscape("tedna")), nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		rows := r.Body["data"].([]any)
		require.Len(t, rows, 1)
		row := rows[0].(map[string]any)
		require.Equal(t, float64(imp.ApplicationID), row["application_id"])
		require.Equal(t, "Completed", row["stage_status"])
		require.Equal(t, "Completed", row["track_invitation_status"])
	})
}

func TestImportApplicationRejects(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	existing := e.invite(tr.ID, "Exi Sting", "existing@example.com", "getlink")
	review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
	reviewFirst := e.createTrack("Designer", map[string]any{"name": "Portfolio", "type": "review", "module_id": review})

	globex := e.forTest(t)
	globex.key = e.newKey("Globex")
	globexTrack := globex.newTrack("Globex Engineer")

	valid := map[string]string{motivationLabel: "Because."}
	body := func(fields map[string]any) map[string]any {
		b := map[string]any{
			"track_id": tr.ID, "candidate_name": "New Comer", "candidate_email": "new@example.com", "fields": valid,
		}
		for k, v := range fields {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"UnknownLabel", body(map[string]any{"fields": map[string]string{motivationLabel: "Because.", "Salary": "Lots"}}), 400, "unknown_field", "fields"},
		{"MissingRequiredAnswer", body(map[string]any{"fields": map[string]string{noticeLabel: "None"}}), 400, "missing_answer", "fields"},
		{"BlankRequiredAnswer", body(map[string]any{"fields": map[string]string{motivationLabel: "  "}}), 400, "missing_answer", "fields"},
		{"FieldsLeftOut", body(map[string]any{"fields": nil}), 400, "missing_answer", "fields"},
		{"ChoiceOutsideOptions", body(map[string]any{"fields": map[string]string{motivationLabel: "Because.", noticeLabel: "Two weeks"}}), 400, "invalid_answer", "fields"},
		{"FieldsNotObject", body(map[string]any{"fields": []string{"Because."}}), 400, "invalid_field", "fields"},
		{"FieldValueNotString", body(map[string]any{"fields": map[string]any{motivationLabel: 5}}), 400, "invalid_field", "fields"},
		{"MissingTrackID", body(map[string]any{"track_id": nil}), 400, "missing_field", "track_id"},
		{"MissingCandidateName", body(map[string]any{"candidate_name": nil}), 400, "missing_field", "candidate_name"},
		{"MissingCandidateEmail", body(map[string]any{"candidate_email": nil}), 400, "missing_field", "candidate_email"},
		{"InvalidCandidateEmail", body(map[string]any{"candidate_email": "not-an-email"}), 400, "invalid_field", "candidate_email"},
		{"UnknownTrack", body(map[string]any{"track_id": 999999}), 404, "not_found", ""},
		{"TrackOfOtherCompany", body(map[string]any{"track_id": globexTrack.ID}), 404, "not_found", ""},
		{"FirstStageNotForm", body(map[string]any{"track_id": reviewFirst.ID, "fields": map[string]string{}}), 422, "first_stage_not_form", ""},
		{"MalformedJSON", `{"track_id": `, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.requireNoChange(existing.ApplicationID, func() result {
				return e.do("POST", "/tracks/application", c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("AlreadyApplied", func(t *testing.T) {
		e := e.forTest(t)

		r := e.requireNoChange(existing.ApplicationID, func() result {
			return e.importApplication(tr.ID, "Exi Sting", "EXISTING@example.com", valid)
		})

		requireError(t, r, http.StatusConflict, "already_applied", "")
		require.Equal(t, float64(existing.ApplicationID), r.Body["application_id"])
		requireKeys(t, r.Body, []string{"application_id", "error"})
	})

	t.Run("ImportedTwice", func(t *testing.T) {
		e := e.forTest(t)
		imp := e.mustImport(tr.ID, "Dup Licate", "dup@example.com", valid)

		r := e.requireNoChange(imp.ApplicationID, func() result {
			return e.importApplication(tr.ID, "Dup Licate", "dup@example.com", valid)
		})

		requireError(t, r, http.StatusConflict, "already_applied", "")
		require.Equal(t, float64(imp.ApplicationID), r.Body["application_id"])
	})

	t.Run("InvitedAfterImport", func(t *testing.T) {
		e := e.forTest(t)
		imp := e.mustImport(tr.ID, "Inv Ited", "invited.later@example.com", valid)

		r := e.do("POST", "/tracks/invite", map[string]any{
			"candidate_name": "Inv Ited", "candidate_email": "invited.later@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(imp.ApplicationID), r.Body["application_id"])
		require.Equal(t, "Completed", r.Body["invite_status"])
		link := r.Body["invite_link"].(string)
		p := e.getPage(link)
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		p = e.postPage(link, url.Values{"q1": {"Another answer."}})
		require.Equal(t, http.StatusGone, p.Status, "page: %s", p.HTML)
		a := e.applicant(tr.ID, imp.ApplicationID)
		require.Equal(t, "Completed", a.Applicant.TrackInvitationStatus)
		require.Contains(t, string(a.Responses[0].Data), "Because.")
	})
}
