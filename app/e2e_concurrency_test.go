package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// concurrentRequests is how many requests each race sends at once.
const concurrentRequests = 50

// apiRequest is one JSON API request of a race.
type apiRequest struct {
	method string
	path   string
	body   any
}

// raceResult is the response to one request of a race.
type raceResult struct {
	status int
	body   map[string]any
	raw    []byte
	err    error
}

// code returns the error code of a failed request, or "" for a success.
func (r raceResult) code() string {
	detail, _ := r.body["error"].(map[string]any)
	code, _ := detail["code"].(string)
	return code
}

// race sends all requests at once, each on its own connection, and returns
// their results in order. The goroutines only collect results, because
// require must run on the test goroutine.
func (e *env) race(requests []apiRequest) []raceResult {
	e.t.Helper()
	prepared := make([]*http.Request, len(requests))
	for i, r := range requests {
		data, err := json.Marshal(r.body)
		require.NoError(e.t, err)
		req, err := http.NewRequest(r.method, e.srv.URL()+r.path, bytes.NewReader(data))
		require.NoError(e.t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("apiKey", e.key)
		prepared[i] = req
	}

	results := make([]raceResult, len(prepared))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range prepared {
		wg.Go(func() {
			<-start
			results[i] = e.sendForRace(req)
		})
	}
	close(start)
	wg.Wait()

	for i, r := range results {
		require.NoError(e.t, r.err, "request %d", i)
	}
	return results
}

func (e *env) sendForRace(req *http.Request) raceResult {
	resp, err := e.client.Do(req)
	if err != nil {
		return raceResult{err: err}
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return raceResult{err: err}
	}
	r := raceResult{status: resp.StatusCode, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		r.err = fmt.Errorf("decode body %q: %w", raw, err)
	}
	return r
}

// tally counts results by status and error code, such as "200" or "409 stage_mismatch".
func tally(results []raceResult) map[string]int {
	counts := map[string]int{}
	for _, r := range results {
		key := fmt.Sprint(r.status)
		if code := r.code(); code != "" {
			key += " " + code
		}
		counts[key]++
	}
	return counts
}

// successes returns the results with status 200.
func successes(results []raceResult) []raceResult {
	var ok []raceResult
	for _, r := range results {
		if r.status == http.StatusOK {
			ok = append(ok, r)
		}
	}
	return ok
}

// repeat returns n copies of one request.
func repeat(n int, r apiRequest) []apiRequest {
	requests := make([]apiRequest, n)
	for i := range requests {
		requests[i] = r
	}
	return requests
}

// applicationCounts are the rows of one application that a race may add.
type applicationCounts struct {
	Responses      int
	AdvancedEvents int
	QueuedEmails   int // email_queued events
}

func (e *env) applicationCounts(applicationID int64) applicationCounts {
	e.t.Helper()
	return applicationCounts{
		Responses:      e.countRows(`SELECT count(*) FROM responses WHERE application_id = ?`, applicationID),
		AdvancedEvents: e.countRows(`SELECT count(*) FROM events WHERE application_id = ? AND type = 'advanced'`, applicationID),
		QueuedEmails:   e.countRows(`SELECT count(*) FROM events WHERE application_id = ? AND type = 'email_queued'`, applicationID),
	}
}

func TestConcurrentAdvance(t *testing.T) {
	t.Parallel()

	t.Run("SameSourceStage", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.newTrack("Backend Engineer")
		inv := e.inviteCompleted(tr.ID, "Con Current", "con@example.com")

		results := e.race(repeat(concurrentRequests, apiRequest{"PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
			"source_stage_id": tr.Stages[0].ID,
		}}))

		require.Equal(t, map[string]int{"200": 1, "409 stage_mismatch": concurrentRequests - 1}, tally(results))
		for _, r := range results {
			if r.status == http.StatusConflict {
				require.Equal(t, map[string]any{"stage_id": tr.Stages[1].ID, "name": assessmentStage, "type": "assessment"},
					r.body["current_stage"], "body: %s", r.raw)
			}
		}
		winner := successes(results)[0]
		require.Equal(t, tr.Stages[1].ID, winner.body["stage_id"])
		require.Equal(t, tr.Stages[1].ID, e.state(inv.ApplicationID).StageID)
		require.Equal(t, applicationCounts{Responses: 2, AdvancedEvents: 1}, e.applicationCounts(inv.ApplicationID))
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, winner.body["response_id"], float64(a.Responses[1].ID))
	})

	t.Run("WithoutSourceStage", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		form := e.createFormModule()
		assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName, "launch_url": launchURL})
		review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
		tr := e.createTrack("Backend Engineer",
			map[string]any{"name": formStage, "type": "form", "module_id": form},
			map[string]any{"name": assessmentStage, "type": "assessment", "module_id": assessment},
			map[string]any{"name": reviewStage, "type": "review", "module_id": review},
			map[string]any{"name": "Team interview", "type": "review", "module_id": review},
		)
		inv := e.inviteCompleted(tr.ID, "Ste Ps", "steps@example.com")

		results := e.race(repeat(concurrentRequests, apiRequest{"PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "getlink",
		}}))

		require.Equal(t, map[string]int{"200": 3, "409 no_next_stage": concurrentRequests - 3}, tally(results))
		var reached []any
		for _, r := range successes(results) {
			reached = append(reached, r.body["stage_id"])
		}
		require.ElementsMatch(t, []any{tr.Stages[1].ID, tr.Stages[2].ID, tr.Stages[3].ID}, reached)
		require.Equal(t, tr.Stages[3].ID, e.state(inv.ApplicationID).StageID)
		require.Equal(t, applicationCounts{Responses: 4, AdvancedEvents: 3}, e.applicationCounts(inv.ApplicationID))

		a := e.applicant(tr.ID, inv.ApplicationID)
		for i, resp := range a.Responses {
			require.Equal(t, tr.Stages[i].ID, resp.StageID, "response %d", i)
		}
		advanced := a.eventsOfType("advanced")
		for i, ev := range advanced {
			requireTransitionEvent(t, ev, "advanced", actorOf(e.key), tr.Stages[i], tr.Stages[i+1], &a.Responses[i+1].ID, "getlink")
		}
	})

	t.Run("SendLink", func(t *testing.T) {
		t.Parallel()
		smtp := smtptest.Start(t)
		e := setup(t, options{smtpURL: smtp.URL()})
		tr := e.newTrack("Backend Engineer")
		inv := e.invite(tr.ID, "Sen Dlink", "sendlink@example.com", "sendlink")
		smtp.WaitForMessages(t, 1, mailTimeout)
		e.completeForm(inv.InviteLink)

		results := e.race(repeat(concurrentRequests, apiRequest{"PUT", "/tracks/candidate/advance", map[string]any{
			"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "sendlink",
			"source_stage_id": tr.Stages[0].ID,
		}}))

		require.Equal(t, map[string]int{"200": 1, "409 stage_mismatch": concurrentRequests - 1}, tally(results))
		winner := successes(results)[0]
		require.Equal(t, "email_queued", winner.body["status"])
		// The track invitation was sent with sendlink too, so two invite jobs exist.
		require.Equal(t, 2, e.countRows(`SELECT count(*) FROM river_job WHERE kind = 'invite_email'`))
		require.Equal(t, applicationCounts{Responses: 2, AdvancedEvents: 1, QueuedEmails: 2}, e.applicationCounts(inv.ApplicationID))

		smtp.WaitForMessages(t, 2, mailTimeout)
		e.waitForJobsDone("invite_email")
		messages := smtp.Messages()
		require.Len(t, messages, 2)
		require.Equal(t, []string{"sendlink@example.com"}, messages[1].To)
		link := winner.body["invite_link"].(string)
		requireInviteEmail(t, parseEmail(t, messages[1].Data), "Sen Dlink", "sendlink@example.com", "Backend Engineer", assessmentStage, link)
	})
}

func TestConcurrentRejectAndHire(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.inviteCompleted(tr.ID, "Rac Ing", "racing@example.com")
	base := fmt.Sprintf("/tracks/%d/applicants/%d/", tr.ID, inv.ApplicationID)

	// Half of the requests reject with an email, half hire, interleaved.
	requests := make([]apiRequest, concurrentRequests)
	for i := range requests {
		requests[i] = apiRequest{"PATCH", base + "hire", map[string]any{"source_stage_id": tr.Stages[0].ID}}
		if i%2 == 0 {
			requests[i] = apiRequest{"PATCH", base + "reject", map[string]any{
				"source_stage_id": tr.Stages[0].ID, "send_email": true,
			}}
		}
	}

	results := e.race(requests)

	require.Equal(t, map[string]int{"200": 1, "409 stage_mismatch": concurrentRequests - 1}, tally(results))
	winner := successes(results)[0]
	status := winner.body["application_status"].(string)
	require.Contains(t, []string{"rejected", "hired"}, status)
	final := tr.stageOfType(t, status)
	require.Equal(t, final.ID, e.state(inv.ApplicationID).StageID)

	a := e.applicant(tr.ID, inv.ApplicationID)
	require.Equal(t, status, a.Applicant.Status)
	closing := append(a.eventsOfType("rejected"), a.eventsOfType("hired")...)
	require.Len(t, closing, 1)
	require.Equal(t, status, closing[0].Type)
	rejectionJobs := 0
	if status == "rejected" {
		rejectionJobs = 1
	}
	require.Equal(t, rejectionJobs, e.countRows(`SELECT count(*) FROM river_job WHERE kind = 'rejection_email'`))
	require.Equal(t, applicationCounts{Responses: 1, QueuedEmails: rejectionJobs}, e.applicationCounts(inv.ApplicationID))
}

// waitForJobsDone polls until every River job of a kind has completed, so a
// test can check that no further email will arrive.
func (e *env) waitForJobsDone(kind string) {
	e.t.Helper()
	deadline := time.Now().Add(mailTimeout)
	for {
		pending := e.countRows(`SELECT count(*) FROM river_job WHERE kind = ? AND state <> 'completed'`, kind)
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(e.t, "timed out waiting for jobs", "%d %s jobs not completed within %s", pending, kind, mailTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConcurrentSameEmail(t *testing.T) {
	t.Parallel()

	t.Run("Invite", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.newTrack("Backend Engineer")

		results := e.race(repeat(concurrentRequests, apiRequest{"POST", "/tracks/invite", map[string]any{
			"candidate_name": "Twin Invite", "candidate_email": "twin@example.com", "track_id": tr.ID, "invite_format": "getlink",
		}}))

		require.Equal(t, map[string]int{"201": 1, "200": concurrentRequests - 1}, tally(results))
		applicationID := results[0].body["application_id"]
		for i, r := range results {
			require.Equal(t, applicationID, r.body["application_id"], "request %d: body %s", i, r.raw)
		}
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM candidates`))
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM applications`))
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM responses`))
		a := e.applicant(tr.ID, int64(applicationID.(float64)))
		require.Len(t, a.eventsOfType("invited"), 1)
		require.Len(t, a.eventsOfType("reinvited"), concurrentRequests-1)
	})

	t.Run("Import", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.newTrack("Backend Engineer")

		results := e.race(repeat(concurrentRequests, apiRequest{"POST", "/tracks/application", map[string]any{
			"track_id": tr.ID, "candidate_name": "Twin Import", "candidate_email": "twin@example.com",
			"fields": map[string]string{motivationLabel: "I applied twice by mistake."},
		}}))

		require.Equal(t, map[string]int{"201": 1, "409 already_applied": concurrentRequests - 1}, tally(results))
		var applicationID any
		for _, r := range results {
			if r.status == http.StatusCreated {
				applicationID = r.body["application_id"]
			}
		}
		for i, r := range results {
			require.Equal(t, applicationID, r.body["application_id"], "request %d: body %s", i, r.raw)
		}
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM candidates`))
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM applications`))
		require.Equal(t, 1, e.countRows(`SELECT count(*) FROM responses`))
	})
}
