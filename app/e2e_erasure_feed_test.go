package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The values of the candidate that TestCandidateErasureOfResultsAndFeed
// erases from typed results and from feed payloads.
const (
	feedErasedName     = "Ysolde Quarrington"
	feedErasedEmail    = "ysolde.quarrington@example.com"
	feedErasedReport   = "https://assessments.example.com/reports/quarrington"
	feedErasedNotes    = "Quarrington explained the sharding plan well."
	feedErasedReviewer = "Reviewer Quarrington-Lead"
)

// Erasure reaches the data that the results and webhook branches store: a
// typed assessment result, a review's notes and reviewer name, and the
// feed payloads that webhooks send, which name the candidate.
func TestCandidateErasureOfResultsAndFeed(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Data Engineer")
	inv, assessmentID := e.inAssessment(tr, feedErasedName, feedErasedEmail)
	r := e.postResult(assessmentID, map[string]any{"status": "completed", "score": 30, "max_score": 40, "passed": true,
		"report_url": feedErasedReport})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	reviewID := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink").ResponseID
	r = e.postResult(reviewID, map[string]any{"status": "completed", "rating": 4, "decision": "hold",
		"notes": feedErasedNotes, "reviewer_name": feedErasedReviewer})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

	values := []string{feedErasedName, feedErasedEmail, feedErasedReport, feedErasedNotes, feedErasedReviewer}
	paths := []string{
		"/events?limit=1000",
		fmt.Sprintf("/responses/%d", assessmentID), fmt.Sprintf("/responses/%d", reviewID),
		fmt.Sprintf("/candidates/%d/export", inv.CandidateID),
	}
	bodies := func() string {
		var b strings.Builder
		for _, path := range paths {
			got := e.do("GET", path, nil)
			require.Equal(t, http.StatusOK, got.Status, "GET %s: %s", path, got.Raw)
			fmt.Fprintf(&b, "GET %s: %s\n", path, got.Raw)
		}
		return b.String()
	}

	// Before the erasure every value is there to be found, so the checks
	// below can fail.
	before := bodies()
	for _, value := range values {
		require.Contains(t, before, value)
	}
	export := e.do("GET", fmt.Sprintf("/candidates/%d/export", inv.CandidateID), nil)
	exported := export.Body["events"].([]any)
	feed := e.do("GET", "/events?limit=1000", nil)
	require.Equal(t, len(feed.Body["data"].([]any)), len(exported), "the export holds the candidate's feed events: %s", feed.Raw)
	require.Contains(t, string(export.Raw), `"candidate":{"email":"`+feedErasedEmail+`","name":"`+feedErasedName+`"}`)

	r = e.do("DELETE", fmt.Sprintf("/candidates/%d", inv.CandidateID), nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

	t.Run("NoEndpointReturnsValues", func(t *testing.T) {
		after := bodies()
		for _, value := range values {
			require.NotContains(t, after, value)
		}
	})

	t.Run("DatabaseHoldsNoValues", func(t *testing.T) {
		text := tableText(e) + feedText(e)
		for _, value := range values {
			require.NotContains(t, text, value)
		}
	})

	t.Run("ResultsErased", func(t *testing.T) {
		empty := map[int64]map[string]any{
			assessmentID: {"max_score": nil, "passed": nil, "report_url": nil},
			reviewID:     {"rating": nil, "decision": nil, "notes": nil, "reviewer_name": nil},
		}
		for _, id := range []int64{assessmentID, reviewID} {
			got := e.do("GET", fmt.Sprintf("/responses/%d", id), nil)
			require.Equal(t, http.StatusOK, got.Status, "body: %s", got.Raw)
			require.Equal(t, empty[id], got.Body["result"], "response %d", id)
			require.Nil(t, got.Body["score"], "response %d", id)
			require.Equal(t, "Completed", got.Body["invite_status"], "response %d", id)
		}
	})

	t.Run("PayloadsKeepIDs", func(t *testing.T) {
		feed := e.do("GET", "/events?limit=1000", nil)
		events := feed.Body["data"].([]any)
		require.Len(t, events, len(exported), "erasure deletes no feed event")
		for _, item := range events {
			event := item.(map[string]any)
			require.Equal(t, float64(inv.CandidateID), event["candidate_id"], "event: %v", event)
			require.Equal(t, float64(inv.ApplicationID), event["application_id"], "event: %v", event)
			require.Equal(t, float64(tr.ID), event["track_id"], "event: %v", event)
			data := event["data"].(map[string]any)
			require.Equal(t, true, data["erased"], "event: %v", event)
			for _, removed := range []string{"candidate", "track", "application", "response", "score"} {
				require.NotContains(t, data, removed, "event: %v", event)
			}
		}
	})
}

// feedText returns the payloads of the feed_events table as text.
func feedText(e *env) string {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	rows, err := db.Query("SELECT payload FROM feed_events ORDER BY id")
	require.NoError(e.t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var payload string
		require.NoError(e.t, rows.Scan(&payload))
		require.True(e.t, json.Valid([]byte(payload)), "payload: %s", payload)
		b.WriteString(payload + "\n")
	}
	require.NoError(e.t, rows.Err())
	return b.String()
}
