package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/client"
)

// TestClient runs the typed client against a real server: typed answers,
// the typed error with the API's code, field, message and request id, and
// idempotency keys.
func TestClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("StageMismatchError", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		c := e.apiClient()
		tr := e.clientTrack("Backend Engineer")
		imported, err := c.Import(ctx, client.ImportInput{TrackID: tr.ID, CandidateName: "Ana Ruiz",
			CandidateEmail: "ana@example.com", Fields: map[string]string{"Years of experience with Go": "5"}})
		require.NoError(t, err)
		require.Equal(t, client.Imported{ApplicationID: 1, CandidateID: 1, TrackID: tr.ID, Name: "Ana Ruiz",
			Email: "ana@example.com", CurrentStage: tr.Stages[0].Ref(), ResponseID: 1, InviteStatus: "Completed",
			ApplicationStatus: "active"}, imported)

		_, err = c.Advance(ctx, client.AdvanceInput{TrackID: tr.ID, ApplicationID: 1, InviteFormat: client.GetLink,
			SourceStageID: tr.Stages[1].ID}, client.WithRequestID("client-test-1"))

		var apiErr *client.Error
		require.True(t, errors.As(err, &apiErr), "%v", err)
		require.Equal(t, 409, apiErr.Status)
		require.Equal(t, "stage_mismatch", apiErr.Code)
		require.Equal(t, "source_stage_id", apiErr.Field)
		require.Equal(t, "client-test-1", apiErr.RequestID)
		require.Equal(t, `source_stage_id is "`+tr.Stages[1].ID+`" but application 1 is in stage "`+tr.Stages[0].ID+`" (Application form)`, apiErr.Message)
		require.Equal(t, "409 stage_mismatch: "+apiErr.Message+" (request id client-test-1)", err.Error())
		require.Equal(t, "stage_mismatch", client.CodeOf(err))

		var extra struct {
			CurrentStage client.StageRef `json:"current_stage"`
		}
		require.NoError(t, json.Unmarshal(apiErr.Body, &extra))
		require.Equal(t, tr.Stages[0].Ref(), extra.CurrentStage)
	})

	t.Run("IdempotencyKey", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		c := e.apiClient()
		tr := e.clientTrack("Backend Engineer")
		in := client.InviteInput{TrackID: tr.ID, CandidateName: "Jane Doe", CandidateEmail: "jane@example.com", InviteFormat: client.GetLink}

		first, err := c.Invite(ctx, in, client.WithIdempotencyKey("invite-jane-1"))
		require.NoError(t, err)
		replay, err := c.Invite(ctx, in, client.WithIdempotencyKey("invite-jane-1"))
		require.NoError(t, err)

		require.True(t, first.Created)
		require.Equal(t, first, replay, "the replay is the first answer, 201 and link included")
		require.Equal(t, []string{"invited"}, e.applicant(tr.ID, 1).eventTypes())

		in.CandidateName = "Janet Doe"
		_, err = c.Invite(ctx, in, client.WithIdempotencyKey("invite-jane-1"))
		require.Equal(t, "idempotency_key_reused", client.CodeOf(err))

		again, err := c.Invite(ctx, in)
		require.NoError(t, err)
		require.False(t, again.Created, "a second invite without the key finds the application")
		require.NotEqual(t, first.InviteLink, again.InviteLink)
	})

	t.Run("BulkEntries", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		c := e.apiClient()
		tr := e.clientTrack("Backend Engineer")
		_, err := c.Import(ctx, client.ImportInput{TrackID: tr.ID, CandidateName: "Ana Ruiz",
			CandidateEmail: "ana@example.com", Fields: map[string]string{"Years of experience with Go": "5"}})
		require.NoError(t, err)

		res, err := c.Bulk(ctx, tr.ID, client.BulkInput{Action: "advance", ApplicationIDs: []int64{1, 99}, InviteFormat: client.GetLink})

		require.NoError(t, err)
		require.Equal(t, 1, res.Succeeded)
		require.Equal(t, 1, res.Failed)
		require.NoError(t, res.Data[0].Err())
		var advanced client.Advancement
		require.NoError(t, json.Unmarshal(res.Data[0].Body, &advanced))
		require.Equal(t, "Coding assessment", advanced.StageMoved)
		var apiErr *client.Error
		require.True(t, errors.As(res.Data[1].Err(), &apiErr))
		require.Equal(t, client.Error{Status: 404, Code: "not_found", Message: "application 99 not found",
			RequestID: apiErr.RequestID, Body: res.Data[1].Body}, *apiErr)
	})

	t.Run("ApplicantsAndResults", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		c := e.apiClient()
		tr := e.clientTrack("Backend Engineer")
		for _, name := range []string{"Ana", "Ben", "Cleo"} {
			_, err := c.Import(ctx, client.ImportInput{TrackID: tr.ID, CandidateName: name,
				CandidateEmail: name + "@example.com", Fields: map[string]string{"Years of experience with Go": "3"}})
			require.NoError(t, err)
		}
		a, err := c.Advance(ctx, client.AdvanceInput{TrackID: tr.ID, ApplicationID: 2, InviteFormat: client.GetLink})
		require.NoError(t, err)
		score := 82.5
		result, err := c.RecordResult(ctx, a.ResponseID, client.ResultInput{Status: "completed", Score: &score})
		require.NoError(t, err)
		require.Equal(t, "Completed", string(result.InviteStatus))
		require.Equal(t, a.ResponseID, result.ReportID, "an assessment's response id is also its report_id")
		require.Nil(t, result.Automation)

		var names []string
		page, err := c.ListApplicants(ctx, tr.ID, client.ApplicantQuery{PerPage: 2, Sort: "-score"})
		for {
			require.NoError(t, err)
			require.Equal(t, int64(3), page.Total)
			for _, row := range page.Data {
				names = append(names, row.Name+" in "+row.CurrentStage.Name)
			}
			if page.Next == nil {
				break
			}
			page, err = c.NextApplicants(ctx, *page.Next)
		}
		require.Equal(t, []string{"Ben in Coding assessment", "Cleo in Application form", "Ana in Application form"}, names)

		detail, err := c.GetApplicant(ctx, tr.ID, 2)
		require.NoError(t, err)
		require.Equal(t, &score, detail.Applicant.Score)
		require.Equal(t, []string{"applied", "completed", "advanced", "completed"}, eventTypesOf(detail.Timeline))
	})

	t.Run("APIKeys", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		c := e.apiClient()

		created, err := c.CreateAPIKey(ctx, client.APIKeyInput{Name: "Reporting", Scopes: []string{"read"}})
		require.NoError(t, err)
		reader := e.apiClientWith(created.Key)
		tracks, err := reader.ListTracks(ctx)
		require.NoError(t, err)
		require.Empty(t, tracks)
		_, err = reader.CreateModule(ctx, client.ModuleInput{Type: "review", Name: "Review"})
		require.Equal(t, "forbidden", client.CodeOf(err))

		require.NoError(t, c.RevokeAPIKey(ctx, created.ID))
		keys, err := c.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		require.Equal(t, "Reporting", keys[1].Name)
		require.NotNil(t, keys[1].RevokedAt)
		_, err = reader.ListTracks(ctx)
		require.Equal(t, "unauthorized", client.CodeOf(err))
	})
}

func eventTypesOf(events []client.Event) []string {
	types := make([]string, 0, len(events))
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	return types
}
