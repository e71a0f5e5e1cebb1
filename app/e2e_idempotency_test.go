package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/sqlstore"
)

// idempotentRequest builds a JSON request with the env's API key and, when
// idempotencyKey is not empty, an Idempotency-Key header.
func (e *env) idempotentRequest(idempotencyKey, method, path string, body any) *http.Request {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		reader = bytes.NewReader(data)
	}

	req, err := http.NewRequest(method, e.srv.URL()+path, reader)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apiKey", e.key)
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	return req
}

// doIdempotent sends a JSON request with the given Idempotency-Key.
func (e *env) doIdempotent(idempotencyKey, method, path string, body any) result {
	e.t.Helper()
	return e.send(e.idempotentRequest(idempotencyKey, method, path, body))
}

// advanceIdempotent sends a getlink advance of an application with the given Idempotency-Key.
func (e *env) advanceIdempotent(idempotencyKey string, trackID, applicationID int64) result {
	e.t.Helper()
	return e.doIdempotent(idempotencyKey, "PUT", "/tracks/candidate/advance", advanceJSON(trackID, applicationID, "getlink"))
}

// advanceJSON returns the body of an advance request, always with the same bytes.
func advanceJSON(trackID, applicationID int64, format string) string {
	return fmt.Sprintf(`{"track_id": %d, "application_id": %d, "invite_format": %q}`, trackID, applicationID, format)
}

// readyApplication invites a candidate and completes the form, so that the
// application can be advanced.
func (e *env) readyApplication(tr track, name, email string) invitation {
	e.t.Helper()
	inv := e.invite(tr.ID, name, email, "getlink")
	e.completeForm(inv.InviteLink)
	return inv
}

// requireFirst checks that r is a response of the handler, not a replay.
func requireFirst(t testing.TB, r result, status int) {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Raw)
	require.Empty(t, r.Header.Values("Idempotent-Replayed"), "a first response must not be marked as replayed")
}

// requireReplay checks that r replays first: the same status, content type
// and body bytes, marked with Idempotent-Replayed.
func requireReplay(t testing.TB, first, r result) {
	t.Helper()
	require.Equal(t, first.Status, r.Status, "body: %s", r.Raw)
	require.Equal(t, string(first.Raw), string(r.Raw))
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first.Header.Get("Content-Type"), r.Header.Get("Content-Type"))
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
}

// outcome is the result of one of several requests sent at once.
type outcome struct {
	status   int
	body     []byte
	replayed string
	err      error
}

// sendTogether sends the requests at once and returns their outcomes in
// order. The goroutines only collect results, because require must run on
// the test goroutine.
func sendTogether(client *http.Client, requests []*http.Request) []outcome {
	outcomes := make([]outcome, len(requests))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() {
			<-start
			resp, err := client.Do(req)
			if err != nil {
				outcomes[i].err = err
				return
			}
			defer resp.Body.Close()
			outcomes[i].status = resp.StatusCode
			outcomes[i].replayed = resp.Header.Get("Idempotent-Replayed")
			outcomes[i].body, outcomes[i].err = io.ReadAll(resp.Body)
		})
	}
	close(start)
	wg.Wait()
	return outcomes
}

func TestIdempotencyKeyConcurrentAdvance(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.readyApplication(tr, "Con Current", "con@example.com")
	before := e.state(inv.ApplicationID)
	const requests = 50

	// The client keeps a connection for each request open after a warm-up,
	// so that the advances do not wait for connections to be dialled and
	// reach the server together. Closing them before the server shuts down
	// spares the shutdown its 5 s wait for connections that sent nothing.
	client := &http.Client{Transport: withContract(t, &http.Transport{MaxIdleConnsPerHost: requests})}
	t.Cleanup(client.CloseIdleConnections)
	warmUps := make([]*http.Request, requests)
	for i := range warmUps {
		warmUps[i] = e.idempotentRequest("", "GET", "/healthz", nil)
	}
	for _, o := range sendTogether(client, warmUps) {
		require.NoError(t, o.err)
		require.Equal(t, http.StatusOK, o.status)
	}

	advances := make([]*http.Request, requests)
	for i := range advances {
		advances[i] = e.idempotentRequest("advance-con-1", "PUT", "/tracks/candidate/advance",
			advanceJSON(tr.ID, inv.ApplicationID, "getlink"))
	}
	outcomes := sendTogether(client, advances)

	var acted []outcome
	var replays, inProgress int
	for _, o := range outcomes {
		require.NoError(t, o.err)
		switch {
		case o.status == http.StatusOK && o.replayed == "":
			acted = append(acted, o)
		case o.status == http.StatusOK:
			require.Equal(t, "true", o.replayed)
			replays++
		default:
			require.Equal(t, http.StatusConflict, o.status, "body: %s", o.body)
			require.Contains(t, string(o.body), `"code":"idempotency_key_in_progress"`)
			inProgress++
		}
	}
	t.Logf("of %d requests, 1 acted, %d were replayed and %d found the key in progress", requests, replays, inProgress)
	require.Len(t, acted, 1, "exactly one request must run the advance")
	require.Equal(t, requests, 1+replays+inProgress)
	for _, o := range outcomes {
		if o.status == http.StatusOK {
			require.Equal(t, string(acted[0].body), string(o.body), "a replay must repeat the first body")
		}
	}

	after := e.state(inv.ApplicationID)
	require.Equal(t, tr.Stages[1].ID, after.StageID)
	require.Equal(t, before.Responses+1, after.Responses, "one advance creates one response")
	require.Equal(t, before.Events+1, after.Events, "one advance appends one event")
	require.Equal(t, before.Jobs, after.Jobs)
	a := e.applicant(tr.ID, inv.ApplicationID)
	require.Equal(t, []string{"invited", "opened", "completed", "advanced"}, a.eventTypes())

	// Once the first request has finished, every retry is a replay.
	r := e.advanceIdempotent("advance-con-1", tr.ID, inv.ApplicationID)

	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	require.Equal(t, string(acted[0].body), string(r.Raw))
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, after, e.state(inv.ApplicationID))
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	// The subtests run one after another, because they compare row counts
	// of the whole database before and after a request.
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")

	t.Run("ReplayAfterCompletion", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Rae Replay", "rae@example.com")
		first := e.advanceIdempotent("advance-rae-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusOK)
		afterFirst := e.state(inv.ApplicationID)

		r := e.advanceIdempotent("advance-rae-1", tr.ID, inv.ApplicationID)

		requireReplay(t, first, r)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.NotEqual(t, first.Header.Get("X-Request-Id"), r.Header.Get("X-Request-Id"))
		require.Equal(t, afterFirst, e.state(inv.ApplicationID), "a replay must not act again")
		require.Equal(t, tr.Stages[1].ID, afterFirst.StageID)
		adv := decode[advancement](t, r)
		page := e.getPage(adv.InviteLink)
		require.Equal(t, http.StatusOK, page.Status, "the replayed invite link must work; page: %s", page.HTML)
		require.Contains(t, page.HTML, assessmentStage)
	})

	t.Run("StoredBodyIsSealed", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Sid Sealed", "sid@example.com")
		first := e.advanceIdempotent("advance-sid-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusOK)
		adv := decode[advancement](t, first)
		token := adv.InviteLink[strings.LastIndex(adv.InviteLink, "/")+1:]

		db := e.openDB()
		defer db.Close()
		var stored []byte
		err := db.QueryRow(e.rebind(`SELECT response_body FROM idempotency_keys WHERE key = ?`), "advance-sid-1").Scan(&stored)
		require.NoError(t, err)

		require.NotEmpty(t, stored)
		require.NotContains(t, string(stored), token, "the database must not hold the invite token in the clear")
		require.NotContains(t, string(stored), "sid@example.com")
	})

	t.Run("DifferentBody", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Dan Different", "dan@example.com")
		first := e.advanceIdempotent("advance-dan-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusOK)
		before := e.state(inv.ApplicationID)

		r := e.doIdempotent("advance-dan-1", "PUT", "/tracks/candidate/advance",
			advanceJSON(tr.ID, inv.ApplicationID, "sendlink"))

		requireError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency-Key")
		require.Empty(t, r.Header.Values("Idempotent-Replayed"))
		require.Equal(t, before, e.state(inv.ApplicationID))
	})

	t.Run("DifferentEndpoint", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Eve Endpoint", "eve@example.com")
		first := e.advanceIdempotent("advance-eve-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusOK)
		before := e.state(inv.ApplicationID)

		r := e.doIdempotent("advance-eve-1", "POST", "/tracks/invite", map[string]any{
			"candidate_name": "Eli Endpoint", "candidate_email": "eli@example.com", "track_id": tr.ID, "invite_format": "getlink",
		})

		requireError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency-Key")
		require.Equal(t, before, e.state(inv.ApplicationID), "the invite must not run")
	})

	t.Run("DifferentPathValue", func(t *testing.T) {
		e := e.forTest(t)
		one := e.invite(tr.ID, "Pia Path", "pia@example.com", "getlink")
		two := e.invite(tr.ID, "Pol Path", "pol@example.com", "getlink")
		body := map[string]any{"status": "started"}
		first := e.doIdempotent("result-pia-1", "POST", fmt.Sprintf("/responses/%d/result", one.ResponseID), body)
		requireFirst(t, first, http.StatusOK)

		r := e.doIdempotent("result-pia-1", "POST", fmt.Sprintf("/responses/%d/result", two.ResponseID), body)

		requireError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency-Key")
		require.Equal(t, "Pending", e.applicant(tr.ID, two.ApplicationID).Responses[0].InviteStatus)
	})

	t.Run("CompaniesDoNotCollide", func(t *testing.T) {
		e := e.forTest(t)
		acme := e.readyApplication(tr, "Ace Acme", "ace@example.com")
		globex := e.forTest(t)
		globex.key = e.newKey("Globex")
		globexTrack := globex.newTrack("Globex Engineer")
		globexApp := globex.readyApplication(globexTrack, "Gus Globex", "gus@example.com")

		acmeResult := e.advanceIdempotent("shared-key-1", tr.ID, acme.ApplicationID)
		globexResult := globex.advanceIdempotent("shared-key-1", globexTrack.ID, globexApp.ApplicationID)

		requireFirst(t, acmeResult, http.StatusOK)
		requireFirst(t, globexResult, http.StatusOK)
		require.Equal(t, tr.Stages[1].ID, e.state(acme.ApplicationID).StageID)
		require.Equal(t, globexTrack.Stages[1].ID, globex.state(globexApp.ApplicationID).StageID)
		require.Equal(t, float64(globexApp.ApplicationID), globexResult.Body["application_id"])
	})

	t.Run("SharedByKeysOfOneCompany", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Kai Keys", "kai@example.com")
		first := e.advanceIdempotent("advance-kai-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusOK)
		other := e.forTest(t)
		other.key = e.newKey("Acme")

		r := other.advanceIdempotent("advance-kai-1", tr.ID, inv.ApplicationID)

		requireReplay(t, first, r)
		require.Equal(t, tr.Stages[1].ID, e.state(inv.ApplicationID).StageID)
	})

	t.Run("ClientErrorIsStored", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.invite(tr.ID, "Cy Conflict", "cy@example.com", "getlink")
		first := e.advanceIdempotent("advance-cy-1", tr.ID, inv.ApplicationID)
		requireFirst(t, first, http.StatusConflict)
		requireError(t, first, http.StatusConflict, "invitation_pending", "")
		e.completeForm(inv.InviteLink)
		before := e.state(inv.ApplicationID)

		r := e.advanceIdempotent("advance-cy-1", tr.ID, inv.ApplicationID)

		// The replayed error keeps the request_id of the first request.
		requireReplay(t, first, r)
		require.Equal(t, before, e.state(inv.ApplicationID))
		require.Equal(t, tr.Stages[0].ID, before.StageID)

		fresh := e.advanceIdempotent("advance-cy-2", tr.ID, inv.ApplicationID)
		requireFirst(t, fresh, http.StatusOK)
		require.Equal(t, tr.Stages[1].ID, e.state(inv.ApplicationID).StageID)
	})

	t.Run("BodyTooLargeDoesNotClaim", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Tia Toolarge", "tia@example.com")
		tooLarge := fmt.Sprintf(`{"track_id": %d, "application_id": %d, "invite_format": "getlink", "note": %q}`,
			tr.ID, inv.ApplicationID, strings.Repeat("x", 1<<20))
		before := e.state(inv.ApplicationID)

		r := e.doIdempotent("advance-tia-1", "PUT", "/tracks/candidate/advance", tooLarge)

		requireError(t, r, http.StatusRequestEntityTooLarge, "body_too_large", "")
		require.Equal(t, before, e.state(inv.ApplicationID))

		retry := e.advanceIdempotent("advance-tia-1", tr.ID, inv.ApplicationID)
		requireFirst(t, retry, http.StatusOK)
		require.Equal(t, tr.Stages[1].ID, e.state(inv.ApplicationID).StageID)
	})

	t.Run("KeyOfMaximumLength", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Max Length", "max.length@example.com")
		key := strings.Repeat("k", 255)

		first := e.advanceIdempotent(key, tr.ID, inv.ApplicationID)
		r := e.advanceIdempotent(key, tr.ID, inv.ApplicationID)

		requireFirst(t, first, http.StatusOK)
		requireReplay(t, first, r)
	})

	invalidKeys := []struct {
		name string
		key  string
	}{
		{"TooLong", strings.Repeat("k", 256)},
		{"Tab", "advance\tkey"},
		{"NonASCII", "clé-1"},
	}
	for _, c := range invalidKeys {
		t.Run("InvalidKey/"+c.name, func(t *testing.T) {
			e := e.forTest(t)
			inv := e.readyApplication(tr, "Ivy Invalid", "ivy."+strings.ToLower(c.name)+"@example.com")
			before := e.state(inv.ApplicationID)

			r := e.advanceIdempotent(c.key, tr.ID, inv.ApplicationID)

			requireError(t, r, http.StatusBadRequest, "invalid_header", "Idempotency-Key")
			require.Equal(t, before, e.state(inv.ApplicationID))
		})
	}

	t.Run("InvalidKey/Empty", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Emi Empty", "emi@example.com")
		req := e.idempotentRequest("", "PUT", "/tracks/candidate/advance", advanceJSON(tr.ID, inv.ApplicationID, "getlink"))
		req.Header["Idempotency-Key"] = []string{""}
		before := e.state(inv.ApplicationID)

		r := e.send(req)

		requireError(t, r, http.StatusBadRequest, "invalid_header", "Idempotency-Key")
		require.Equal(t, before, e.state(inv.ApplicationID))
	})

	t.Run("InvalidKey/SentTwice", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.readyApplication(tr, "Tom Twice", "tom@example.com")
		req := e.idempotentRequest("advance-tom-1", "PUT", "/tracks/candidate/advance", advanceJSON(tr.ID, inv.ApplicationID, "getlink"))
		req.Header.Add("Idempotency-Key", "advance-tom-2")
		before := e.state(inv.ApplicationID)

		r := e.send(req)

		requireError(t, r, http.StatusBadRequest, "invalid_header", "Idempotency-Key")
		require.Equal(t, before, e.state(inv.ApplicationID))
	})

	t.Run("IgnoredOnReads", func(t *testing.T) {
		e := e.forTest(t)

		r := e.doIdempotent(strings.Repeat("k", 300), "GET", "/tracks", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Empty(t, r.Header.Values("Idempotent-Replayed"))
	})

	t.Run("IgnoredOnCandidatePages", func(t *testing.T) {
		e := e.forTest(t)
		inv := e.invite(tr.ID, "Pam Page", "pam@example.com", "getlink")
		p := e.getPage(inv.InviteLink)
		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		form := e.withFormToken(inv.InviteLink, url.Values{"q1": {"I like the product."}, "q2": {"One month"}})
		req, err := http.NewRequest("POST", inv.InviteLink, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", strings.Repeat("k", 300))

		p = e.sendPage(req)

		require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
		require.Equal(t, "Completed", e.applicant(tr.ID, inv.ApplicationID).Applicant.TrackInvitationStatus)
	})
}

func TestIdempotencyKeyServerErrorReleasesKey(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.readyApplication(tr, "Fay Fault", "fay@example.com")
	before := e.state(inv.ApplicationID)

	// The trigger makes the advance's UPDATE fail inside the store, so the
	// handler returns 500, as it would on a database fault.
	e.failUpdatesOfStage()
	failed := e.advanceIdempotent("advance-fay-1", tr.ID, inv.ApplicationID)
	requireError(t, failed, http.StatusInternalServerError, "internal", "")
	require.Equal(t, before, e.state(inv.ApplicationID))
	e.dropFailUpdatesOfStage()

	retry := e.advanceIdempotent("advance-fay-1", tr.ID, inv.ApplicationID)

	requireFirst(t, retry, http.StatusOK)
	after := e.state(inv.ApplicationID)
	require.Equal(t, tr.Stages[1].ID, after.StageID)
	require.Equal(t, before.Responses+1, after.Responses)
	require.Equal(t, before.Events+1, after.Events)

	replay := e.advanceIdempotent("advance-fay-1", tr.ID, inv.ApplicationID)
	requireReplay(t, retry, replay)
	require.Equal(t, after, e.state(inv.ApplicationID))
}

func TestIdempotencyKeyAbandonedClaim(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Cal Crash", "cal@example.com", "getlink")

	// A stored 409 gives the hash the server computes for this request, so
	// the test can leave an in-progress row for another key with the same
	// request, as a server that crashed while running it would.
	pending := e.advanceIdempotent("advance-cal-0", tr.ID, inv.ApplicationID)
	requireError(t, pending, http.StatusConflict, "invitation_pending", "")
	e.exec(`INSERT INTO idempotency_keys (company_id, key, request_hash, created_at)
		SELECT company_id, 'advance-cal-1', request_hash, created_at FROM idempotency_keys WHERE key = 'advance-cal-0'`)
	e.completeForm(inv.InviteLink)
	before := e.state(inv.ApplicationID)

	clock.Advance(2*time.Minute - time.Second)
	running := e.advanceIdempotent("advance-cal-1", tr.ID, inv.ApplicationID)
	requireError(t, running, http.StatusConflict, "idempotency_key_in_progress", "")
	require.Equal(t, before, e.state(inv.ApplicationID))

	clock.Advance(time.Second)
	takeover := e.advanceIdempotent("advance-cal-1", tr.ID, inv.ApplicationID)
	requireFirst(t, takeover, http.StatusOK)
	after := e.state(inv.ApplicationID)
	require.Equal(t, tr.Stages[1].ID, after.StageID)
	require.Equal(t, before.Responses+1, after.Responses)

	replay := e.advanceIdempotent("advance-cal-1", tr.ID, inv.ApplicationID)
	requireReplay(t, takeover, replay)
}

func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	clock := newTestClock(clockStart)
	e := setup(t, options{now: clock.Now})
	tr := e.newTrack("Backend Engineer")
	inv := e.readyApplication(tr, "Exa Expiry", "exa@example.com")
	first := e.advanceIdempotent("advance-exa-1", tr.ID, inv.ApplicationID)
	requireFirst(t, first, http.StatusOK)

	clock.Advance(24*time.Hour - time.Second)
	replay := e.advanceIdempotent("advance-exa-1", tr.ID, inv.ApplicationID)
	requireReplay(t, first, replay)
	require.Equal(t, tr.Stages[1].ID, e.state(inv.ApplicationID).StageID)

	clock.Advance(time.Second)
	again := e.advanceIdempotent("advance-exa-1", tr.ID, inv.ApplicationID)

	requireFirst(t, again, http.StatusOK)
	require.Equal(t, reviewStage, again.Body["stage_moved"], "after 24 hours the key is new and the advance runs again")
	require.Equal(t, tr.Stages[2].ID, e.state(inv.ApplicationID).StageID)
}

// failUpdatesOfStage creates a trigger that makes every update of an
// application's stage_id fail, in the server database's dialect.
func (e *env) failUpdatesOfStage() {
	e.t.Helper()
	if e.dialect == sqlstore.SQLite {
		e.exec(`CREATE TRIGGER fail_advance BEFORE UPDATE OF stage_id ON applications
			BEGIN SELECT RAISE(ABORT, 'fault injected by the test'); END`)
		return
	}
	e.exec(`CREATE FUNCTION fail_advance() RETURNS trigger LANGUAGE plpgsql
		AS $$ BEGIN RAISE EXCEPTION 'fault injected by the test'; END $$`)
	e.exec(`CREATE TRIGGER fail_advance BEFORE UPDATE OF stage_id ON applications
		FOR EACH ROW EXECUTE FUNCTION fail_advance()`)
}

// dropFailUpdatesOfStage drops the trigger of failUpdatesOfStage.
func (e *env) dropFailUpdatesOfStage() {
	e.t.Helper()
	if e.dialect == sqlstore.SQLite {
		e.exec(`DROP TRIGGER fail_advance`)
		return
	}
	e.exec(`DROP TRIGGER fail_advance ON applications`)
	e.exec(`DROP FUNCTION fail_advance()`)
}
