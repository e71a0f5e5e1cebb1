package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The personal values of the candidate that the erasure tests erase. Each
// is unusual enough that a match in a body can only be a leak.
const (
	erasedName    = "Quilla Zephyrine"
	erasedEmail   = "Quilla.Zephyrine@example.com"
	erasedAnswer  = "I built the Zephyrine ledger in Go."
	erasedResult  = "strong in zephyr-concurrency"
	erasedMessage = "Dear Quilla, the zephyr team chose another candidate."
)

// erasedValues are the values that no response may contain after an
// erasure. The email is also checked in lower case, as the store keys it.
var erasedValues = []string{erasedName, erasedEmail, strings.ToLower(erasedEmail), erasedAnswer, erasedResult, erasedMessage}

// erasureFixture is a candidate with two applications that hold every kind
// of personal data, and a second candidate who must stay as they are.
type erasureFixture struct {
	first, second   track
	apps            []int64 // the candidate's applications: first track, then second
	candidateID     int64
	firstLink       string // the form link of the first application
	replayKey       string // the Idempotency-Key of the first invite
	other           invitation
	keeper          invitation // another candidate with an emailed link
	otherCandidate  int64
	assessmentID    int64 // the assessment response of the first application
	rejectedEmailAt string
}

// newErasureFixture invites the candidate to two tracks with an
// Idempotency-Key and an emailed link, submits the form, reports an
// assessment result and rejects the second application with an email.
func newErasureFixture(e *env) erasureFixture {
	e.t.Helper()
	var f erasureFixture
	f.first, f.second = e.newTrack("Backend Engineer"), e.newTrack("Platform Engineer")

	f.replayKey = "invite-" + erasedName
	body := map[string]any{"track_id": f.first.ID, "candidate_name": erasedName, "candidate_email": erasedEmail, "invite_format": "sendlink"}
	r := e.doIdempotent(f.replayKey, "POST", "/tracks/invite", body)
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	inv := decode[invitation](e.t, r)
	f.candidateID, f.firstLink = inv.CandidateID, inv.InviteLink
	e.waitForEvent(f.first.ID, inv.ApplicationID, "email_sent")

	p := e.postPage(inv.InviteLink, url.Values{"q1": {erasedAnswer}, "q2": {"One month"}})
	require.Equal(e.t, http.StatusOK, p.Status, "page: %s", p.HTML)
	adv := e.mustAdvance(f.first.ID, inv.ApplicationID, "getlink")
	f.assessmentID = adv.ResponseID
	r = e.do("POST", fmt.Sprintf("/responses/%d/result", adv.ResponseID),
		map[string]any{"status": "completed", "score": 82, "data": map[string]any{"notes": erasedResult}})
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)

	second := e.invite(f.second.ID, erasedName, erasedEmail, "getlink")
	require.Equal(e.t, f.candidateID, second.CandidateID)
	e.mustPatchApplicant(f.second.ID, second.ApplicationID, "reject", map[string]any{"send_email": true, "email_message": erasedMessage})
	e.waitForEvent(f.second.ID, second.ApplicationID, "email_sent")
	f.apps = []int64{inv.ApplicationID, second.ApplicationID}

	f.other = e.inviteCompleted(f.first.ID, "Otto Other", "otto@example.com")
	f.keeper = e.invite(f.first.ID, "Kim Keeper", "kim@example.com", "sendlink")
	e.waitForEvent(f.first.ID, f.keeper.ApplicationID, "email_sent")
	return f
}

// emlTexts returns the contents of the .eml files that the server wrote.
func emlTexts(e *env) []string {
	e.t.Helper()
	var texts []string
	for _, path := range e.emlFiles() {
		data, err := os.ReadFile(path)
		require.NoError(e.t, err)
		texts = append(texts, string(data))
	}
	return texts
}

// countContaining returns how many texts contain value.
func countContaining(texts []string, value string) int {
	n := 0
	for _, text := range texts {
		if strings.Contains(text, value) {
			n++
		}
	}
	return n
}

// readBodies returns the raw body of every read endpoint that could show
// the fixture's data, by path.
func (f erasureFixture) readBodies(e *env) map[string]string {
	e.t.Helper()
	paths := []string{
		"/modules", "/tracks", "/api-keys", "/audit",
		fmt.Sprintf("/tracks/%d", f.first.ID), fmt.Sprintf("/tracks/%d", f.second.ID),
		fmt.Sprintf("/tracks/%d/applicants", f.first.ID), fmt.Sprintf("/tracks/%d/applicants", f.second.ID),
		fmt.Sprintf("/tracks/%d/applicants?email=zephyrine", f.first.ID),
		fmt.Sprintf("/tracks/%d/applicants/%d", f.first.ID, f.apps[0]),
		fmt.Sprintf("/tracks/%d/applicants/%d", f.second.ID, f.apps[1]),
		fmt.Sprintf("/candidates/%d/export", f.candidateID),
	}
	bodies := map[string]string{}
	for _, path := range paths {
		r := e.do("GET", path, nil)
		require.Equal(e.t, http.StatusOK, r.Status, "GET %s: %s", path, r.Raw)
		bodies["GET "+path] = string(r.Raw)
	}

	replay := e.doIdempotent(f.replayKey, "POST", "/tracks/invite", map[string]any{
		"track_id": f.first.ID, "candidate_name": erasedName, "candidate_email": erasedEmail, "invite_format": "sendlink"})
	bodies["replay"] = string(replay.Raw)
	bodies["page"] = e.getPage(f.firstLink).HTML
	return bodies
}

// tableText returns every row of the tables that hold candidate data as
// text, for a search of erased values. Sealed columns are left out.
func tableText(e *env) string {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	var b strings.Builder
	for _, table := range []string{"candidates", "applications", "responses", "events", "audit_events", "river_job"} {
		rows, err := db.Query("SELECT * FROM " + table)
		require.NoError(e.t, err)
		cols, err := rows.Columns()
		require.NoError(e.t, err)
		for rows.Next() {
			values := make([]any, len(cols))
			pointers := make([]any, len(cols))
			for i := range values {
				pointers[i] = &values[i]
			}
			require.NoError(e.t, rows.Scan(pointers...))
			for i, v := range values {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "%s.%s=%v\n", table, cols[i], v)
			}
		}
		require.NoError(e.t, rows.Err())
		rows.Close()
	}
	return b.String()
}

func TestCandidateErasure(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	f := newErasureFixture(e)

	// Before the erasure the values are there to be found, so the search
	// below can fail.
	before := f.readBodies(e)
	require.Contains(t, before["GET "+fmt.Sprintf("/candidates/%d/export", f.candidateID)], erasedAnswer)
	require.Contains(t, before["replay"], erasedName)
	require.Contains(t, tableText(e), erasedMessage)
	require.Equal(t, 2, countContaining(emlTexts(e), "Quilla"), "the invite and the rejection email")
	require.Len(t, e.emlFiles(), 3)

	r := e.do("DELETE", fmt.Sprintf("/candidates/%d", f.candidateID), nil)

	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	erasedAt := requireUTC(t, r.Body["erased_at"].(string))
	require.Equal(t, map[string]any{
		"candidate_id": float64(f.candidateID), "application_ids": []any{float64(f.apps[0]), float64(f.apps[1])},
		"erased_at": r.Body["erased_at"], "already_erased": false,
	}, r.Body)

	t.Run("NoEndpointReturnsValues", func(t *testing.T) {
		for where, body := range f.readBodies(e) {
			for _, value := range erasedValues {
				require.NotContains(t, body, value, "%s shows an erased value", where)
			}
		}
	})

	t.Run("DatabaseHoldsNoValues", func(t *testing.T) {
		text := tableText(e)
		for _, value := range erasedValues {
			require.NotContains(t, text, value)
		}
	})

	t.Run("EmailFilesDeleted", func(t *testing.T) {
		texts := emlTexts(e)
		require.Len(t, texts, 1, "only the other candidate's email stays")
		require.Equal(t, 0, countContaining(texts, "Quilla"))
		require.Equal(t, 1, countContaining(texts, "Kim Keeper"))
	})

	t.Run("ErasedCandidateShape", func(t *testing.T) {
		a := e.applicant(f.first.ID, f.apps[0])
		require.Equal(t, "erased", a.Applicant.Name)
		require.Equal(t, "", a.Applicant.Email)
		require.Nil(t, a.Applicant.Score)
		require.Equal(t, assessmentStage, a.CurrentStage.Name, "the pipeline position stays")
		require.Len(t, a.Responses, 2)
		for _, resp := range a.Responses {
			require.Equal(t, "null", string(resp.Data), "response %d", resp.ID)
			require.Nil(t, resp.Score, "response %d", resp.ID)
		}
		require.Equal(t, "Completed", a.Responses[1].InviteStatus)
		require.Equal(t, []string{"invited", "email_queued", "email_sent", "completed", "advanced", "completed"},
			a.eventTypes())
		require.JSONEq(t, `{"invite_format":"sendlink"}`, string(a.Timeline[0].Data))
		require.JSONEq(t, `{"attempt":1}`, string(a.Timeline[2].Data))
		require.Nil(t, a.Timeline[5].Data, "the score of the result event is erased")
	})

	t.Run("CountsStay", func(t *testing.T) {
		r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants", f.first.ID), nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, float64(3), r.Body["total"])
		second := e.applicant(f.second.ID, f.apps[1])
		require.Equal(t, "rejected", second.Applicant.Status)
		require.Equal(t, "erased", second.Applicant.Name)
		other := e.applicant(f.first.ID, f.other.ApplicationID)
		require.Equal(t, "Otto Other", other.Applicant.Name)
		require.Equal(t, "otto@example.com", other.Applicant.Email)
		require.Equal(t, `{"answers":[{"label":"Why do you want to join us?","value":"I like the product."},{"label":"Notice period","value":"One month"}]}`,
			string(other.Responses[0].Data))
	})

	t.Run("LinksAndReplaysStop", func(t *testing.T) {
		p := e.getPage(f.firstLink)
		require.Equal(t, http.StatusNotFound, p.Status, "page: %s", p.HTML)
		replay := e.doIdempotent(f.replayKey, "POST", "/tracks/invite", map[string]any{
			"track_id": f.first.ID, "candidate_name": erasedName, "candidate_email": erasedEmail, "invite_format": "sendlink"})
		require.Equal(t, http.StatusGone, replay.Status, "body: %s", replay.Raw)
		require.Equal(t, map[string]any{"error": map[string]any{"code": "candidate_erased",
			"message":    "the response stored under this Idempotency-Key named a candidate whose personal data was erased; the request was not run again",
			"request_id": replay.Header.Get("X-Request-Id")}},
			replay.Body)
		require.NotEmpty(t, replay.Header.Get("X-Request-Id"))
		require.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	})

	t.Run("RepeatChangesNothing", func(t *testing.T) {
		again := e.do("DELETE", fmt.Sprintf("/candidates/%d", f.candidateID), nil)
		require.Equal(t, http.StatusOK, again.Status, "body: %s", again.Raw)
		require.Equal(t, true, again.Body["already_erased"])
		require.Equal(t, erasedAt, requireUTC(t, again.Body["erased_at"].(string)))
		audit := e.do("GET", "/audit?action=candidate.erase", nil)
		require.Len(t, audit.Body["data"], 1)
	})

	t.Run("NewInviteCreatesNewCandidate", func(t *testing.T) {
		inv := e.invite(f.first.ID, erasedName, erasedEmail, "getlink")
		require.NotEqual(t, f.candidateID, inv.CandidateID)
		require.NotContains(t, f.apps, inv.ApplicationID)
		require.Equal(t, erasedName, inv.Name)
		export := e.do("GET", fmt.Sprintf("/candidates/%d/export", f.candidateID), nil)
		require.Equal(t, "erased", export.Body["candidate"].(map[string]any)["name"])
	})
}

func TestCandidateErasureAccess(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Ada Access", "ada@example.com", "getlink")
	path := fmt.Sprintf("/candidates/%d", inv.CandidateID)

	t.Run("WriteKeyForbidden", func(t *testing.T) {
		key := e.createKey("writer", "read", "write").Key
		for _, req := range [][2]string{{"DELETE", path}, {"GET", path + "/export"}, {"GET", "/audit"}} {
			r := e.doWithKey(key, req[0], req[1], nil)
			requireError(t, r, http.StatusForbidden, "forbidden", "")
		}
	})

	t.Run("OtherCompanyNotFound", func(t *testing.T) {
		other := e.newKey("Globex")
		r := e.doWithKey(other, "DELETE", path, nil)
		requireError(t, r, http.StatusNotFound, "not_found", "")
		require.Equal(t, fmt.Sprintf("candidate %d not found", inv.CandidateID), r.Body["error"].(map[string]any)["message"])
		r = e.doWithKey(other, "GET", path+"/export", nil)
		requireError(t, r, http.StatusNotFound, "not_found", "")
	})

	t.Run("BadIDRejected", func(t *testing.T) {
		r := e.do("DELETE", "/candidates/abc", nil)
		requireError(t, r, http.StatusBadRequest, "invalid_path", "candidate_id")
	})

	require.Equal(t, "Ada Access", e.applicant(tr.ID, inv.ApplicationID).Applicant.Name)
}

func TestCandidateExport(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	first, second := e.newTrack("Backend Engineer"), e.newTrack("Platform Engineer")
	inv := e.inviteCompleted(first.ID, "Exa Export", "Exa@Example.com")
	adv := e.mustAdvance(first.ID, inv.ApplicationID, "getlink")
	r := e.do("POST", fmt.Sprintf("/responses/%d/result", adv.ResponseID),
		map[string]any{"status": "completed", "score": 91.5, "data": map[string]any{"passed": 40}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	other := e.invite(second.ID, "Exa Export", "exa@example.com", "getlink")
	e.mustPatchApplicant(second.ID, other.ApplicationID, "reject", map[string]any{"send_email": true, "email_message": "Thank you, Exa."})
	// The worker's email_sent event must be in before the export and the
	// applicant detail are read, so that both show the same timeline.
	e.waitForEvent(second.ID, other.ApplicationID, "email_sent")
	e.invite(first.ID, "Nia Neighbour", "nia@example.com", "getlink")

	r = e.do("GET", fmt.Sprintf("/candidates/%d/export", inv.CandidateID), nil)

	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	require.ElementsMatch(t, []string{"candidate", "applications", "emails", "events", "exported_at"}, mapKeys(r.Body))
	requireUTC(t, r.Body["exported_at"].(string))
	detail := e.do("GET", fmt.Sprintf("/tracks/%d/applicants/%d", first.ID, inv.ApplicationID), nil)
	require.Equal(t, map[string]any{
		"candidate_id": float64(inv.CandidateID), "name": "Exa Export", "email": "Exa@Example.com",
		"created_at": detail.Body["applicant"].(map[string]any)["date_added"], "erased_at": nil,
	}, r.Body["candidate"])

	// Each application reads as the applicant detail endpoint shows it.
	apps := r.Body["applications"].([]any)
	require.Len(t, apps, 2)
	require.Equal(t, detail.Body, apps[0])
	require.Equal(t, e.do("GET", fmt.Sprintf("/tracks/%d/applicants/%d", second.ID, other.ApplicationID), nil).Body, apps[1])
	responses := apps[0].(map[string]any)["responses"].([]any)
	require.Equal(t, map[string]any{"answers": []any{
		map[string]any{"label": motivationLabel, "value": "I like the product."},
		map[string]any{"label": noticeLabel, "value": "One month"},
	}}, responses[0].(map[string]any)["data"])
	require.Equal(t, map[string]any{"passed": float64(40)}, responses[1].(map[string]any)["data"])
	require.Equal(t, 91.5, responses[1].(map[string]any)["score"])

	// The rejection email is sent; River keeps its row, running or completed.
	emails := r.Body["emails"].([]any)
	require.Len(t, emails, 1)
	email := emails[0].(map[string]any)
	require.Equal(t, "rejection_email", email["kind"])
	require.Equal(t, map[string]any{"application_id": float64(other.ApplicationID), "message": "Thank you, Exa."}, email["args"])
	require.Contains(t, []any{"running", "completed"}, email["state"])
	require.NotContains(t, string(r.Raw), "Nia Neighbour")

	// The events are the candidate's feed payloads, as GET /events shows them.
	feed := e.do("GET", "/events?limit=1000", nil)
	require.Equal(t, http.StatusOK, feed.Status, "body: %s", feed.Raw)
	var own []any
	for _, event := range feed.Body["data"].([]any) {
		if event.(map[string]any)["candidate_id"] == float64(inv.CandidateID) {
			own = append(own, event)
		}
	}
	require.NotEmpty(t, own)
	require.Equal(t, own, r.Body["events"])
}

// mapKeys returns the keys of a JSON object.
func mapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
