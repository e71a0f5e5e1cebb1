package app_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// bulkEntry is one application's result in a bulk response.
type bulkEntry struct {
	ApplicationID int64          `json:"application_id"`
	OK            bool           `json:"ok"`
	Status        int            `json:"status"`
	Body          map[string]any `json:"body"`
}

// bulkResult is the body of a bulk request.
type bulkResult struct {
	Action    string      `json:"action"`
	Data      []bulkEntry `json:"data"`
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"`
}

// bulk sends a bulk request for a track.
func (e *env) bulk(trackID int64, body any) result {
	e.t.Helper()
	return e.do("POST", fmt.Sprintf("/tracks/%d/applicants/bulk", trackID), body)
}

// mustBulk sends a bulk request, requires 200 OK and checks that the
// entries follow the order of application_ids and that the counts add up.
func (e *env) mustBulk(trackID int64, body map[string]any) bulkResult {
	e.t.Helper()
	r := e.bulk(trackID, body)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	requireKeys(e.t, r.Body, []string{"action", "data", "succeeded", "failed"})
	b := decode[bulkResult](e.t, r)

	require.Equal(e.t, body["action"], b.Action)
	ids := body["application_ids"].([]int64)
	require.Len(e.t, b.Data, len(ids))
	succeeded := 0
	for i, entry := range b.Data {
		require.Equal(e.t, ids[i], entry.ApplicationID, "entry %d", i)
		require.Equal(e.t, entry.Status == http.StatusOK, entry.OK, "entry %d", i)
		if entry.OK {
			succeeded++
		}
	}
	require.Equal(e.t, succeeded, b.Succeeded)
	require.Equal(e.t, len(ids)-succeeded, b.Failed)
	return b
}

// requireSameError checks that a failed bulk entry has the status and the
// error body of the single call, apart from the request id.
func requireSameError(t testing.TB, entry bulkEntry, single result) {
	t.Helper()
	require.GreaterOrEqual(t, single.Status, 400, "the single call succeeded: %s", single.Raw)
	require.False(t, entry.OK)
	require.Equal(t, single.Status, entry.Status)
	require.Equal(t, withoutRequestID(single.Body), withoutRequestID(entry.Body))
	require.NotEmpty(t, entry.Body["error"].(map[string]any)["request_id"])
}

func TestBulk(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("AdvanceMixed", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		other := e.newTrack("Designer")
		first := e.inviteCompleted(tr.ID, "Fir St", "first@example.com")
		pending := e.invite(tr.ID, "Pen Ding", "pending@example.com", "getlink")
		second := e.inviteCompleted(tr.ID, "Sec Ond", "second@example.com")
		elsewhere := e.inviteCompleted(other.ID, "Else Where", "elsewhere@example.com")
		ids := []int64{first.ApplicationID, pending.ApplicationID, 999999, elsewhere.ApplicationID, second.ApplicationID}

		b := e.mustBulk(tr.ID, map[string]any{"action": "advance", "application_ids": ids, "invite_format": "getlink"})

		require.Equal(t, 2, b.Succeeded)
		require.Equal(t, 3, b.Failed)
		for _, entry := range []bulkEntry{b.Data[0], b.Data[4]} {
			require.True(t, entry.OK)
			requireKeys(t, entry.Body, []string{
				"name", "email", "stage_moved", "candidate_id", "application_id", "module_id",
				"response_id", "invite_link", "status", "track_id", "stage_id", "expires_at",
			})
			require.Equal(t, float64(entry.ApplicationID), entry.Body["application_id"])
			require.Equal(t, assessmentStage, entry.Body["stage_moved"])
			require.Equal(t, tr.Stages[1].ID, entry.Body["stage_id"])
			require.Equal(t, "link_generated", entry.Body["status"])
			p := e.getPage(entry.Body["invite_link"].(string))
			require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		}
		require.NotEqual(t, b.Data[0].Body["invite_link"], b.Data[4].Body["invite_link"])
		require.Equal(t, tr.Stages[1].ID, e.applicant(tr.ID, first.ApplicationID).CurrentStage.ID)
		require.Equal(t, tr.Stages[1].ID, e.applicant(tr.ID, second.ApplicationID).CurrentStage.ID)

		requireSameError(t, b.Data[1], e.advance(tr.ID, pending.ApplicationID, "getlink"))
		require.Equal(t, "invitation_pending", b.Data[1].Body["error"].(map[string]any)["code"])
		require.Equal(t, "not_advanced", b.Data[1].Body["status"])
		requireSameError(t, b.Data[2], e.advance(tr.ID, 999999, "getlink"))
		require.Equal(t, http.StatusNotFound, b.Data[2].Status)
		requireSameError(t, b.Data[3], e.advance(tr.ID, elsewhere.ApplicationID, "getlink"))
		require.Equal(t, http.StatusNotFound, b.Data[3].Status)
		require.Equal(t, other.Stages[0].ID, e.applicant(other.ID, elsewhere.ApplicationID).CurrentStage.ID)
	})

	t.Run("MoveWithSourceStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inFirst := e.invite(tr.ID, "In First", "in.first@example.com", "getlink")
		inSecond := e.inviteCompleted(tr.ID, "In Second", "in.second@example.com")
		e.mustAdvance(tr.ID, inSecond.ApplicationID, "getlink")
		ids := []int64{inSecond.ApplicationID, inFirst.ApplicationID}

		b := e.mustBulk(tr.ID, map[string]any{
			"action": "move", "application_ids": ids, "source_stage_id": tr.Stages[0].ID,
			"destination_stage_id": tr.Stages[2].ID, "invite_format": "sendlink",
		})

		require.Equal(t, 1, b.Succeeded)
		mismatch := e.patchApplicant(tr.ID, inSecond.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[2].ID, "invite_format": "sendlink",
		})
		requireSameError(t, b.Data[0], mismatch)
		require.Equal(t, map[string]any{"stage_id": tr.Stages[1].ID, "name": assessmentStage, "type": "assessment"},
			b.Data[0].Body["current_stage"])

		moved := b.Data[1]
		requireKeys(t, moved.Body, transitionKeys, responseKeys, linkKeys)
		require.Equal(t, map[string]any{"stage_id": tr.Stages[2].ID, "name": reviewStage, "type": "review"}, moved.Body["to_stage"])
		require.Equal(t, "email_queued", moved.Body["status"])
		a := e.applicant(tr.ID, inFirst.ApplicationID)
		require.Equal(t, tr.Stages[2].ID, a.CurrentStage.ID)
		require.Equal(t, "Expired", a.Responses[0].InviteStatus)
		requireTransitionEvent(t, a.eventsOfType("moved")[0], "moved", actorOf(e.key), tr.Stages[0], tr.Stages[2],
			new(int64(moved.Body["response_id"].(float64))), "sendlink")
	})

	t.Run("MoveWithoutSourceStage", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inFirst := e.invite(tr.ID, "Any First", "any.first@example.com", "getlink")
		inSecond := e.inviteCompleted(tr.ID, "Any Second", "any.second@example.com")
		e.mustAdvance(tr.ID, inSecond.ApplicationID, "getlink")
		inThird := e.inviteCompleted(tr.ID, "Any Third", "any.third@example.com")
		e.mustPatchApplicant(tr.ID, inThird.ApplicationID, "move", map[string]any{
			"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[2].ID,
		})
		ids := []int64{inFirst.ApplicationID, inSecond.ApplicationID, inThird.ApplicationID}

		b := e.mustBulk(tr.ID, map[string]any{"action": "move", "application_ids": ids, "destination_stage_id": tr.Stages[2].ID})

		require.Equal(t, 2, b.Succeeded)
		for _, entry := range b.Data[:2] {
			requireKeys(t, entry.Body, transitionKeys, responseKeys)
		}
		require.Equal(t, tr.Stages[0].ID, b.Data[0].Body["from_stage"].(map[string]any)["stage_id"])
		require.Equal(t, tr.Stages[1].ID, b.Data[1].Body["from_stage"].(map[string]any)["stage_id"])
		require.Equal(t, http.StatusConflict, b.Data[2].Status)
		require.Equal(t, "same_stage", b.Data[2].Body["error"].(map[string]any)["code"])
		require.Equal(t, "destination_stage_id", b.Data[2].Body["error"].(map[string]any)["field"])
	})

	t.Run("RejectWithEmail", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		one := e.invite(tr.ID, "Rej One", "rej.one@example.com", "getlink")
		two := e.inviteCompleted(tr.ID, "Rej Two", "rej.two@example.com")
		closed := e.inviteCompleted(tr.ID, "Rej Closed", "rej.closed@example.com")
		e.mustPatchApplicant(tr.ID, closed.ApplicationID, "hire", nil)
		rejected := tr.stageOfType(t, "rejected")
		ids := []int64{one.ApplicationID, closed.ApplicationID, two.ApplicationID}

		b := e.mustBulk(tr.ID, map[string]any{
			"action": "reject", "application_ids": ids, "send_email": true, "email_message": "We filled the role.",
		})

		require.Equal(t, 2, b.Succeeded)
		for _, entry := range []bulkEntry{b.Data[0], b.Data[2]} {
			requireKeys(t, entry.Body, transitionKeys, []string{"email_sent"})
			require.Equal(t, true, entry.Body["email_sent"])
			require.Equal(t, "rejected", entry.Body["application_status"])
			require.Equal(t, map[string]any{"stage_id": rejected.ID, "name": rejected.Name, "type": "rejected"}, entry.Body["to_stage"])
			require.Equal(t, 1, e.countRows(`SELECT count(*) FROM river_job WHERE kind = 'rejection_email' AND CAST(args ->> 'application_id' AS BIGINT) = ?`,
				entry.ApplicationID))
		}
		requireSameError(t, b.Data[1], e.patchApplicant(tr.ID, closed.ApplicationID, "reject", map[string]any{
			"send_email": true, "email_message": "We filled the role.",
		}))
		require.Equal(t, "application_closed", b.Data[1].Body["error"].(map[string]any)["code"])
		require.Equal(t, 0, e.countRows(`SELECT count(*) FROM river_job WHERE kind = 'rejection_email' AND CAST(args ->> 'application_id' AS BIGINT) = ?`,
			closed.ApplicationID))
	})

	t.Run("UnknownTrack", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Unk Nown", "unknown.track@example.com")

		b := e.mustBulk(999999, map[string]any{
			"action": "advance", "application_ids": []int64{inv.ApplicationID}, "invite_format": "getlink",
		})

		require.Equal(t, 0, b.Succeeded)
		requireSameError(t, b.Data[0], e.advance(999999, inv.ApplicationID, "getlink"))
		require.Equal(t, http.StatusNotFound, b.Data[0].Status)
	})
}

// TestBulkLimits runs its subtests one at a time, because requireNoChange
// compares row counts of the whole database.
func TestBulkLimits(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	ready := e.inviteCompleted(tr.ID, "Lim It", "limit@example.com")
	second := e.inviteCompleted(tr.ID, "Lim Two", "limit.two@example.com")

	// manyIDs returns n distinct ids that start with the two ready applications.
	manyIDs := func(n int) []int64 {
		ids := []int64{ready.ApplicationID, second.ApplicationID}
		for id := int64(1_000_000); len(ids) < n; id++ {
			ids = append(ids, id)
		}
		return ids
	}
	advanceBody := func(fields map[string]any) map[string]any {
		body := map[string]any{"action": "advance", "application_ids": []int64{ready.ApplicationID}, "invite_format": "getlink"}
		for k, v := range fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	path := fmt.Sprintf("/tracks/%d/applicants/bulk", tr.ID)

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"TooManyIDs", path, advanceBody(map[string]any{"application_ids": manyIDs(101)}), 400, "invalid_field", "application_ids"},
		{"NoIDs", path, advanceBody(map[string]any{"application_ids": []int64{}}), 400, "invalid_field", "application_ids"},
		{"MissingIDs", path, advanceBody(map[string]any{"application_ids": nil}), 400, "missing_field", "application_ids"},
		{"DuplicateID", path, advanceBody(map[string]any{"application_ids": []int64{ready.ApplicationID, second.ApplicationID, ready.ApplicationID}}), 400, "invalid_field", "application_ids"},
		{"IDNotNumber", path, advanceBody(map[string]any{"application_ids": []any{ready.ApplicationID, "abc"}}), 400, "invalid_field", "application_ids[1]"},
		{"IDsNotArray", path, advanceBody(map[string]any{"application_ids": ready.ApplicationID}), 400, "invalid_field", "application_ids"},
		{"MissingAction", path, advanceBody(map[string]any{"action": nil}), 400, "missing_field", "action"},
		{"HireAction", path, advanceBody(map[string]any{"action": "hire"}), 422, "invalid_value", "action"},
		{"AdvanceWithoutInviteFormat", path, advanceBody(map[string]any{"invite_format": nil}), 400, "missing_field", "invite_format"},
		{"UnknownInviteFormat", path, advanceBody(map[string]any{"invite_format": "fax"}), 422, "invalid_value", "invite_format"},
		{"MoveWithoutDestination", path, advanceBody(map[string]any{"action": "move", "invite_format": nil}), 400, "missing_field", "destination_stage_id"},
		{"RejectMessageWithoutEmail", path, advanceBody(map[string]any{"action": "reject", "invite_format": nil, "email_message": "Sorry."}), 422, "invalid_value", "email_message"},
		{"TrackIDNotNumber", "/tracks/abc/applicants/bulk", advanceBody(nil), 400, "invalid_path", "track_id"},
		{"WithoutBody", path, nil, 400, "invalid_json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forTest(t)

			r := e.requireNoChange(ready.ApplicationID, func() result {
				return e.do("POST", c.path, c.body)
			})

			requireError(t, r, c.status, c.code, c.field)
		})
	}

	t.Run("DryRun", func(t *testing.T) {
		e := e.forTest(t)
		var b bulkResult

		e.requireNoChange(ready.ApplicationID, func() result {
			r := e.bulk(tr.ID, map[string]any{
				"action": "advance", "application_ids": []int64{ready.ApplicationID, 999999}, "invite_format": "sendlink", "dry_run": true,
			})
			b = decode[bulkResult](t, r)
			return r
		})

		require.Equal(t, 1, b.Succeeded)
		require.Equal(t, 1, b.Failed)
		dry := b.Data[0].Body
		requireKeys(t, dry, transitionKeys, []string{"dry_run", "module_id", "creates_invite_link", "queues_email"})
		require.Equal(t, true, dry["dry_run"])
		require.Equal(t, true, dry["queues_email"])
		require.Equal(t, tr.Stages[1].ID, dry["to_stage"].(map[string]any)["stage_id"])
		require.Equal(t, http.StatusNotFound, b.Data[1].Status)
	})

	t.Run("HundredIDs", func(t *testing.T) {
		e := e.forTest(t)

		b := e.mustBulk(tr.ID, map[string]any{"action": "advance", "application_ids": manyIDs(100), "invite_format": "getlink"})

		require.Equal(t, 2, b.Succeeded)
		require.Equal(t, 98, b.Failed)
		require.Equal(t, tr.Stages[1].ID, e.state(ready.ApplicationID).StageID)
		require.Equal(t, tr.Stages[1].ID, e.state(second.ApplicationID).StageID)
		for _, entry := range b.Data[2:] {
			require.Equal(t, http.StatusNotFound, entry.Status)
			require.Equal(t, "not_found", entry.Body["error"].(map[string]any)["code"])
		}
	})
}
