package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/webhook"
)

// webhookOptions are the webhook settings of a test server.
type webhookOptions struct {
	allowPrivate bool
	schedule     *webhook.Schedule
}

// fastWebhooks allows loopback receivers and retries after 20 to 100 ms,
// at most maxAttempts times.
func fastWebhooks(maxAttempts int) webhookOptions {
	return webhookOptions{allowPrivate: true, schedule: &webhook.Schedule{
		Base: 20 * time.Millisecond, Factor: 2, Max: 100 * time.Millisecond, MaxAttempts: maxAttempts,
		Blocked: 20 * time.Millisecond, BlockedMax: 100 * time.Millisecond,
	}}
}

// allWebhookEvents is every event type an endpoint can subscribe to.
var allWebhookEvents = []string{
	"application.invited", "response.started", "response.completed", "application.advanced",
	"application.moved", "application.rejected", "application.unrejected", "application.hired",
	"email.sent", "email.failed",
}

// delivery is one request that a receiver got.
type delivery struct {
	ID        string
	Timestamp string
	Signature string
	Body      []byte
	Payload   payload
	Status    int // what the receiver answered
}

// payload is the documented webhook and feed payload.
type payload struct {
	EventID       string         `json:"event_id"`
	Type          string         `json:"type"`
	OccurredAt    string         `json:"occurred_at"`
	Seq           *int64         `json:"seq"`
	TrackID       *int64         `json:"track_id"`
	ApplicationID *int64         `json:"application_id"`
	CandidateID   *int64         `json:"candidate_id"`
	StageID       *string        `json:"stage_id"`
	ResponseID    *int64         `json:"response_id"`
	Actor         string         `json:"actor"`
	Data          map[string]any `json:"data"`
}

// receiver is a webhook receiver on loopback. Its answer is 204 unless
// failing says otherwise.
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	got       []delivery
	answer    int // status to answer; 0 means 204
	failCount int // requests answered with answer so far
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d := delivery{
		ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
		Signature: r.Header.Get("webhook-signature"), Body: body,
	}
	_ = json.Unmarshal(body, &d.Payload) // checked by the tests, which compare fields
	if problem := checkWebhookBody(body); problem != "" {
		rc.t.Error(problem)
	}

	rc.mu.Lock()
	d.Status = http.StatusNoContent
	if rc.answer != 0 {
		d.Status = rc.answer
		rc.failCount++
	}
	rc.got = append(rc.got, d)
	rc.mu.Unlock()
	w.WriteHeader(d.Status)
}

// setAnswer makes the receiver answer status to every request; 0 returns to 204.
func (rc *receiver) setAnswer(status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = status
}

// failures returns how many requests the receiver responded with with setAnswer's status.
func (rc *receiver) failures() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.failCount
}

// accepted returns the deliveries answered with 204, in arrival order.
func (rc *receiver) accepted() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []delivery
	for _, d := range rc.got {
		if d.Status == http.StatusNoContent {
			out = append(out, d)
		}
	}
	return out
}

// all returns every request, in arrival order.
func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// waitFor waits until the receiver accepted n deliveries and returns them.
func (rc *receiver) waitFor(n int) []delivery {
	rc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := rc.accepted()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			types := make([]string, len(got))
			for i, d := range got {
				types[i] = d.Payload.Type
			}
			require.FailNow(rc.t, "timed out waiting for webhooks", "accepted %d of %d: %v", len(got), n, types)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUntil polls cond for up to 20 s.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifySignature checks a Standard Webhooks signature the way a receiver
// does, written from the published scheme rather than with the server's
// code: one of the space-separated "v1,<base64>" entries must be the
// base64 HMAC-SHA256, keyed with the decoded secret, of "id.timestamp.body".
func verifySignature(whsec string, d delivery) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", d.ID, d.Timestamp, d.Body)
	want := mac.Sum(nil)

	for _, entry := range strings.Fields(d.Signature) {
		version, sig, ok := strings.Cut(entry, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// createdWebhook is the body of POST /webhooks.
type createdWebhook struct {
	ID                      int64    `json:"webhook_id"`
	URL                     string   `json:"url"`
	Description             string   `json:"description"`
	Events                  []string `json:"events"`
	Enabled                 bool     `json:"enabled"`
	DisabledReason          string   `json:"disabled_reason"`
	DisabledAt              *string  `json:"disabled_at"`
	PreviousSecretExpiresAt *string  `json:"previous_secret_expires_at"`
	CreatedAt               string   `json:"created_at"`
	UpdatedAt               string   `json:"updated_at"`
	Secret                  string   `json:"secret"`
}

// createWebhook registers url for events and requires 201.
func (e *env) createWebhook(url string, events []string) createdWebhook {
	e.t.Helper()
	r := e.do("POST", "/webhooks", map[string]any{"url": url, "events": events, "description": "ATS sync"})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[createdWebhook](e.t, r)
}

// deliveryRecord is one delivery as GET /webhooks/{id}/deliveries lists it.
type deliveryRecord struct {
	ID            int64  `json:"delivery_id"`
	WebhookID     int64  `json:"webhook_id"`
	EventID       string `json:"event_id"`
	EventType     string `json:"event_type"`
	Seq           *int64 `json:"seq"`
	ApplicationID *int64 `json:"application_id"`
	Status        string `json:"status"`
	FinishedAt    *string
	Attempts      []struct {
		Attempt    int    `json:"attempt"`
		StatusCode *int   `json:"status_code"`
		LatencyMS  int64  `json:"latency_ms"`
		Error      string `json:"error"`
		At         string `json:"at"`
	} `json:"attempts"`
}

func (e *env) deliveries(webhookID int64) []deliveryRecord {
	e.t.Helper()
	r := e.do("GET", fmt.Sprintf("/webhooks/%d/deliveries?limit=100", webhookID), nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[struct {
		Data []deliveryRecord `json:"data"`
	}](e.t, r).Data
}

// feed reads GET /events.
func (e *env) feed(query string) (payloads []payload, raw []json.RawMessage, nextAfter int64) {
	e.t.Helper()
	r := e.do("GET", "/events"+query, nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	body := decode[struct {
		Data      []json.RawMessage `json:"data"`
		NextAfter int64             `json:"next_after"`
	}](e.t, r)
	for _, item := range body.Data {
		var p payload
		require.NoError(e.t, json.Unmarshal(item, &p))
		payloads = append(payloads, p)
	}
	return payloads, body.Data, body.NextAfter
}

func TestWebhookEveryEventTypeSigned(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(5)})
	rc := newReceiver(t)
	hook := e.createWebhook(rc.srv.URL+"/hooks", []string{"email.failed", "application.invited", "response.started",
		"response.completed", "application.advanced", "application.moved", "application.rejected",
		"application.unrejected", "application.hired", "email.sent"})
	require.Equal(t, allWebhookEvents, hook.Events, "events are listed in the documented order")
	require.Equal(t, rc.srv.URL+"/hooks", hook.URL)
	require.Equal(t, "ATS sync", hook.Description)
	require.True(t, hook.Enabled)
	require.Nil(t, hook.DisabledAt)
	require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, hook.Secret)
	actor := actorOf(e.key)

	// One application goes through every transition; a second is invited
	// by email so that email.sent arrives.
	tr := e.newTrack("Backend engineer")
	form, assessment := tr.Stages[0], tr.Stages[1]
	inv := e.invite(tr.ID, "Ada Lovelace", "ada@example.com", "getlink")
	e.completeForm(inv.InviteLink)
	adv := e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
	r := e.do("POST", fmt.Sprintf("/responses/%d/result", adv.ResponseID), map[string]any{"status": "started"})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	r = e.do("POST", fmt.Sprintf("/responses/%d/result", adv.ResponseID),
		map[string]any{"status": "completed", "score": 87.5, "data": map[string]any{"report_url": "https://assessments.example.com/r/1"}})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "move", map[string]any{"source_stage_id": assessment.ID, "destination_stage_id": form.ID})
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "reject", nil)
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "unreject", nil)
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "hire", nil)
	emailed := e.invite(tr.ID, "Grace Hopper", "grace@example.com", "sendlink")
	e.waitForEvent(tr.ID, emailed.ApplicationID, "email_sent")

	// The mail worker records a failed email through this store method;
	// calling it directly avoids waiting for ten SMTP retries.
	err := e.srv.Store().RecordEmailEvent(context.Background(),
		hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: emailed.ResponseID, ApplicationID: emailed.ApplicationID},
		hiretrack.EventEmailFailed, map[string]any{"attempt": 10, "error": "550 mailbox unavailable"})
	require.NoError(t, err)

	got := rc.waitFor(12)
	byType := map[string][]delivery{}
	for _, d := range got {
		require.True(t, verifySignature(hook.Secret, d), "signature of %s", d.Payload.Type)
		require.Equal(t, d.Payload.EventID, d.ID, "webhook-id is the event_id")
		ts, err := strconv.ParseInt(d.Timestamp, 10, 64)
		require.NoError(t, err)
		require.InDelta(t, time.Now().Unix(), ts, 60)
		requireUTC(t, d.Payload.OccurredAt)
		require.Regexp(t, `^evt_[a-z2-7]{26}$`, d.Payload.EventID)
		require.Equal(t, tr.ID, *d.Payload.TrackID)
		byType[d.Payload.Type] = append(byType[d.Payload.Type], d)
	}
	for _, typ := range allWebhookEvents {
		require.NotEmpty(t, byType[typ], "no %s webhook", typ)
	}

	// The events of the first application arrive in the order they happened.
	var order []string
	for _, d := range got {
		if *d.Payload.ApplicationID == inv.ApplicationID {
			order = append(order, d.Payload.Type)
		}
	}
	require.Equal(t, []string{"application.invited", "response.completed", "application.advanced", "response.started",
		"response.completed", "application.moved", "application.rejected", "application.unrejected", "application.hired"}, order)

	var invited payload
	for _, d := range byType["application.invited"] {
		if *d.Payload.ApplicationID == inv.ApplicationID {
			invited = d.Payload
		}
	}
	require.Equal(t, inv.ApplicationID, *invited.ApplicationID)
	require.Equal(t, inv.CandidateID, *invited.CandidateID)
	require.Equal(t, form.ID, *invited.StageID)
	require.Equal(t, inv.ResponseID, *invited.ResponseID)
	require.Equal(t, actor, invited.Actor)
	require.Equal(t, "getlink", invited.Data["invite_format"])
	require.Equal(t, map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}, invited.Data["candidate"])
	require.Equal(t, map[string]any{"title": "Backend engineer"}, invited.Data["track"])
	require.Equal(t, map[string]any{"stage_id": form.ID, "name": formStage, "type": "form"}, invited.Data["stage"])
	require.Equal(t, map[string]any{"status": "active", "current_stage": map[string]any{"stage_id": form.ID, "name": formStage, "type": "form"}},
		invited.Data["application"])
	require.Equal(t, "Pending", invited.Data["response"].(map[string]any)["invite_status"])

	formDone := byType["response.completed"][0].Payload
	require.Equal(t, "candidate", formDone.Actor)
	formResponse := formDone.Data["response"].(map[string]any)
	require.Equal(t, "Completed", formResponse["invite_status"])
	require.Equal(t, "form", formResponse["module_type"])
	require.Equal(t, map[string]any{"answers": []any{
		map[string]any{"label": motivationLabel, "value": "I like the product."},
		map[string]any{"label": noticeLabel, "value": "One month"},
	}}, formResponse["data"])

	started := byType["response.started"][0].Payload
	require.Equal(t, adv.ResponseID, *started.ResponseID)
	require.Equal(t, assessment.ID, *started.StageID)
	require.Equal(t, "Started", started.Data["response"].(map[string]any)["invite_status"])

	scored := byType["response.completed"][1].Payload
	require.Equal(t, adv.ResponseID, *scored.ResponseID)
	require.Equal(t, 87.5, scored.Data["score"])
	scoredResponse := scored.Data["response"].(map[string]any)
	require.Equal(t, 87.5, scoredResponse["score"])
	require.Equal(t, map[string]any{"report_url": "https://assessments.example.com/r/1"}, scoredResponse["data"])

	advanced := byType["application.advanced"][0].Payload
	require.Equal(t, map[string]any{"stage_id": form.ID, "name": formStage, "type": "form"}, advanced.Data["from_stage"])
	require.Equal(t, map[string]any{"stage_id": assessment.ID, "name": assessmentStage, "type": "assessment"}, advanced.Data["to_stage"])
	require.Equal(t, adv.ResponseID, *advanced.ResponseID)

	moved := byType["application.moved"][0].Payload
	require.Equal(t, assessment.ID, moved.Data["from_stage_id"])
	require.Equal(t, form.ID, moved.Data["to_stage_id"])

	rejected := byType["application.rejected"][0].Payload
	require.Equal(t, "rejected", rejected.Data["application"].(map[string]any)["status"])
	require.Nil(t, rejected.ResponseID)
	require.Equal(t, "active", byType["application.unrejected"][0].Payload.Data["application"].(map[string]any)["status"])
	hired := byType["application.hired"][0].Payload
	require.Equal(t, "hired", hired.Data["application"].(map[string]any)["status"])
	require.Equal(t, tr.stageOfType(t, "hired").ID, *hired.StageID)

	sent := byType["email.sent"][0].Payload
	require.Equal(t, emailed.ApplicationID, *sent.ApplicationID)
	require.Equal(t, "invite", sent.Data["email_kind"])
	require.Equal(t, "system", sent.Actor)
	failed := byType["email.failed"][0].Payload
	require.Equal(t, "550 mailbox unavailable", failed.Data["error"])
	require.Equal(t, "invite", failed.Data["email_kind"])

	// The feed holds the same payloads, byte for byte, in seq order.
	feed, raw, next := e.feed("?limit=1000")
	require.Len(t, feed, 12)
	require.Equal(t, int64(12), next)
	sentBodies := map[string]string{}
	for _, d := range got {
		sentBodies[d.ID] = string(d.Body)
	}
	for i, p := range feed {
		require.Equal(t, int64(i+1), *p.Seq)
		require.Equal(t, sentBodies[p.EventID], string(raw[i]))
	}
}

func TestWebhookReceiverRecovers(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(50)})
	rc := newReceiver(t)
	hook := e.createWebhook(rc.srv.URL, allWebhookEvents)
	rc.setAnswer(http.StatusServiceUnavailable)

	// Three applications, each with three events, while the receiver fails.
	tr := e.newTrack("Designer")
	var applications []int64
	for i := range 3 {
		inv := e.invite(tr.ID, fmt.Sprintf("Candidate %d", i), fmt.Sprintf("c%d@example.com", i), "getlink")
		e.completeForm(inv.InviteLink)
		e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
		applications = append(applications, inv.ApplicationID)
	}
	waitUntil(t, "the receiver failing five requests", func() bool { return rc.failures() >= 5 })
	rc.setAnswer(0)

	got := rc.waitFor(9)
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up, had one been sent
	got = rc.accepted()
	require.Len(t, got, 9, "each event is accepted exactly once")

	seen := map[string]bool{}
	perApplication := map[int64][]int64{}
	for _, d := range got {
		require.True(t, verifySignature(hook.Secret, d))
		require.False(t, seen[d.ID], "event %s accepted twice", d.ID)
		seen[d.ID] = true
		perApplication[*d.Payload.ApplicationID] = append(perApplication[*d.Payload.ApplicationID], *d.Payload.Seq)
	}
	for _, id := range applications {
		seqs := perApplication[id]
		require.Len(t, seqs, 3)
		require.True(t, slices.IsSorted(seqs), "application %d got seqs %v", id, seqs)
	}

	// A retried delivery keeps its webhook-id, and the delivery log shows
	// each failed attempt before the success.
	for _, d := range rc.all() {
		require.True(t, seen[d.ID], "a failed request carried the unknown id %s", d.ID)
	}
	records := e.deliveries(hook.ID)
	require.Len(t, records, 9)
	retried := 0
	for _, rec := range records {
		require.Equal(t, "delivered", rec.Status)
		last := rec.Attempts[len(rec.Attempts)-1]
		require.Equal(t, 204, *last.StatusCode)
		require.Equal(t, "", last.Error)
		for i, a := range rec.Attempts[:len(rec.Attempts)-1] {
			require.Equal(t, i+1, a.Attempt)
			require.Equal(t, 503, *a.StatusCode)
			require.Equal(t, "receiver responded with 503 Service Unavailable", a.Error)
			require.GreaterOrEqual(t, a.LatencyMS, int64(0))
		}
		if len(rec.Attempts) > 1 {
			retried++
		}
	}
	require.GreaterOrEqual(t, retried, 1)
}

func TestWebhookClientErrorNotRetried(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(5)})
	rc := newReceiver(t)
	hook := e.createWebhook(rc.srv.URL, []string{"application.invited", "response.completed"})
	rc.setAnswer(http.StatusBadRequest)

	tr := e.newTrack("Support")
	inv := e.invite(tr.ID, "Alan Turing", "alan@example.com", "getlink")
	waitUntil(t, "a failed delivery", func() bool {
		records := e.deliveries(hook.ID)
		return len(records) == 1 && records[0].Status == "failed"
	})

	// The next event of the application is not held up by the failed one.
	rc.setAnswer(0)
	e.completeForm(inv.InviteLink)
	got := rc.waitFor(1)
	require.Equal(t, "response.completed", got[0].Payload.Type)

	records := e.deliveries(hook.ID)
	require.Len(t, records, 2)
	require.Equal(t, "application.invited", records[1].EventType)
	require.Len(t, records[1].Attempts, 1, "a 400 is not retried")
	require.Equal(t, 400, *records[1].Attempts[0].StatusCode)

	// Redelivery sends the same event again, with the same webhook-id.
	r := e.do("POST", fmt.Sprintf("/webhooks/%d/deliveries/%d/redeliver", hook.ID, records[1].ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "body: %s", r.Raw)
	redelivery := decode[deliveryRecord](t, r)
	require.Equal(t, records[1].EventID, redelivery.EventID)
	require.Equal(t, "pending", redelivery.Status)
	got = rc.waitFor(2)
	require.Equal(t, records[1].EventID, got[1].ID)
	require.True(t, verifySignature(hook.Secret, got[1]))

	r = e.do("POST", fmt.Sprintf("/webhooks/%d/deliveries/999999/redeliver", hook.ID), nil)
	requireError(t, r, http.StatusNotFound, "not_found", "")
}

func TestWebhookDisabledEndpoint(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(3)})
	off, on := newReceiver(t), newReceiver(t)
	offHook := e.createWebhook(off.srv.URL, allWebhookEvents)
	onHook := e.createWebhook(on.srv.URL, allWebhookEvents)

	r := e.do("PATCH", fmt.Sprintf("/webhooks/%d", offHook.ID), map[string]any{"enabled": false})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	disabled := decode[createdWebhook](t, r)
	require.False(t, disabled.Enabled)
	require.Equal(t, "disabled by request", disabled.DisabledReason)
	require.NotNil(t, disabled.DisabledAt)
	require.Empty(t, disabled.Secret, "only creation and rotation show the secret")

	tr := e.newTrack("Sales")
	e.invite(tr.ID, "Edsger Dijkstra", "edsger@example.com", "getlink")
	on.waitFor(1)
	require.Empty(t, off.all(), "a disabled endpoint gets nothing")
	require.Empty(t, e.deliveries(offHook.ID))
	r = e.do("POST", fmt.Sprintf("/webhooks/%d/test", offHook.ID), nil)
	requireError(t, r, http.StatusConflict, "webhook_disabled", "")

	// An endpoint that fails every attempt is disabled, and GET /webhooks shows why.
	on.setAnswer(http.StatusInternalServerError)
	e.invite(tr.ID, "Barbara Liskov", "barbara@example.com", "getlink")
	waitUntil(t, "the failing endpoint to be disabled", func() bool {
		return !e.webhook(onHook.ID).Enabled
	})
	listed := e.webhook(onHook.ID)
	require.Equal(t, fmt.Sprintf("disabled after delivery %d failed 3 attempts; last error: receiver responded with 500 Internal Server Error",
		e.deliveries(onHook.ID)[0].ID), listed.DisabledReason)
	require.NotNil(t, listed.DisabledAt)
	require.Equal(t, 3, on.failures())
	require.Len(t, e.deliveries(onHook.ID)[0].Attempts, 3)
	require.Equal(t, "failed", e.deliveries(onHook.ID)[0].Status)

	e.invite(tr.ID, "Donald Knuth", "donald@example.com", "getlink")
	require.Len(t, on.all(), 4, "the disabled endpoint gets nothing more")

	// Enabling it again clears the reason; new events flow.
	on.setAnswer(0)
	r = e.do("PATCH", fmt.Sprintf("/webhooks/%d", onHook.ID), map[string]any{"enabled": true})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	enabled := decode[createdWebhook](t, r)
	require.True(t, enabled.Enabled)
	require.Equal(t, "", enabled.DisabledReason)
	require.Nil(t, enabled.DisabledAt)
	e.invite(tr.ID, "Frances Allen", "frances@example.com", "getlink")
	got := on.waitFor(2)
	require.Equal(t, "Frances Allen", got[1].Payload.Data["candidate"].(map[string]any)["name"])
}

// webhook returns one endpoint from GET /webhooks.
func (e *env) webhook(id int64) createdWebhook {
	e.t.Helper()
	r := e.do("GET", "/webhooks", nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	for _, w := range decode[struct {
		Data []createdWebhook `json:"data"`
	}](e.t, r).Data {
		if w.ID == id {
			return w
		}
	}
	require.FailNow(e.t, "webhook not listed", "id %d", id)
	return createdWebhook{}
}

func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	clock := newTestClock(time.Now().UTC())
	e := setup(t, options{now: clock.Now, webhooks: fastWebhooks(5)})
	rc := newReceiver(t)
	hook := e.createWebhook(rc.srv.URL, []string{"application.hired"})

	r := e.do("POST", fmt.Sprintf("/webhooks/%d/rotate-secret", hook.ID), nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	rotated := decode[createdWebhook](t, r)
	require.Regexp(t, `^whsec_`, rotated.Secret)
	require.NotEqual(t, hook.Secret, rotated.Secret)
	expires := requireUTC(t, *rotated.PreviousSecretExpiresAt)
	require.WithinDuration(t, clock.Now().Add(24*time.Hour), expires, time.Second)

	// During the grace period both secrets sign.
	r = e.do("POST", fmt.Sprintf("/webhooks/%d/test", hook.ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "body: %s", r.Raw)
	test := decode[deliveryRecord](t, r)
	require.Equal(t, "webhook.test", test.EventType)
	require.Nil(t, test.Seq)
	got := rc.waitFor(1)
	require.Len(t, strings.Fields(got[0].Signature), 2)
	require.True(t, verifySignature(rotated.Secret, got[0]), "new secret")
	require.True(t, verifySignature(hook.Secret, got[0]), "old secret")
	require.Equal(t, "webhook.test", got[0].Payload.Type)
	require.Equal(t, test.EventID, got[0].ID)
	require.Nil(t, got[0].Payload.ApplicationID)

	// After it only the new one does.
	clock.Advance(24*time.Hour + time.Second)
	r = e.do("POST", fmt.Sprintf("/webhooks/%d/test", hook.ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "body: %s", r.Raw)
	got = rc.waitFor(2)
	require.Len(t, strings.Fields(got[1].Signature), 1)
	require.True(t, verifySignature(rotated.Secret, got[1]))
	require.False(t, verifySignature(hook.Secret, got[1]))

	// Test events stay out of the feed.
	feed, _, next := e.feed("")
	require.Empty(t, feed)
	require.Equal(t, int64(0), next)
}

func TestWebhookAllowList(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	cases := []struct{ url, message string }{
		{"http://127.0.0.1:9000/hooks", "address 127.0.0.1 is loopback or private"},
		{"http://localhost:9000/hooks", "is loopback or private"},
		{"http://10.0.0.5/hooks", "address 10.0.0.5 is loopback or private"},
		{"http://169.254.169.254/latest", "link-local"},
		{"ftp://93.184.215.14/hooks", "it must be an absolute http or https URL"},
		{"hooks.example.com/x", "it must be an absolute http or https URL"},
	}
	for _, c := range cases {
		r := e.do("POST", "/webhooks", map[string]any{"url": c.url, "events": []string{"application.hired"}})
		requireError(t, r, http.StatusUnprocessableEntity, "invalid_url", "url")
		require.Contains(t, r.Body["error"].(map[string]any)["message"], c.message)
	}

	// A public address is accepted; nothing is sent to it in this test.
	public := e.createWebhook("https://93.184.215.14/hooks", []string{"application.hired"})
	r := e.do("PATCH", fmt.Sprintf("/webhooks/%d", public.ID), map[string]any{"url": "http://127.0.0.1/x"})
	requireError(t, r, http.StatusUnprocessableEntity, "invalid_url", "url")
	require.Equal(t, "https://93.184.215.14/hooks", e.webhook(public.ID).URL, "a refused change writes nothing")
	require.Equal(t, 1, e.countRows(`SELECT COUNT(*) FROM webhook_endpoints`))
}

func TestWebhookRequestValidation(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(5)})

	r := e.do("POST", "/webhooks", map[string]any{"events": []string{"application.hired"}})
	requireError(t, r, http.StatusBadRequest, "missing_field", "url")
	r = e.do("POST", "/webhooks", map[string]any{"url": "http://127.0.0.1/x", "events": []string{}})
	requireError(t, r, http.StatusBadRequest, "invalid_field", "events")
	r = e.do("POST", "/webhooks", map[string]any{"url": "http://127.0.0.1/x", "events": []string{"candidate.deleted"}})
	requireError(t, r, http.StatusUnprocessableEntity, "invalid_value", "events")
	require.Contains(t, r.Body["error"].(map[string]any)["message"], `"candidate.deleted"`)
	r = e.do("PATCH", "/webhooks/12345", map[string]any{"enabled": false})
	requireError(t, r, http.StatusNotFound, "not_found", "")
	r = e.do("DELETE", "/webhooks/abc", nil)
	requireError(t, r, http.StatusBadRequest, "invalid_path", "webhook_id")
	r = e.do("GET", "/events?limit=0", nil)
	requireError(t, r, http.StatusBadRequest, "invalid_query", "limit")
	r = e.do("GET", "/events?after=-1", nil)
	requireError(t, r, http.StatusBadRequest, "invalid_query", "after")
	require.Equal(t, 0, e.countRows(`SELECT COUNT(*) FROM webhook_endpoints`))

	// Webhooks need the admin scope; the feed needs read.
	readWrite := e.createKey("integration", "read", "write").Key
	r = e.doWithKey(readWrite, "POST", "/webhooks", map[string]any{"url": "http://127.0.0.1/x", "events": []string{"application.hired"}})
	requireError(t, r, http.StatusForbidden, "forbidden", "")
	r = e.doWithKey(readWrite, "GET", "/webhooks", nil)
	requireError(t, r, http.StatusForbidden, "forbidden", "")
	r = e.doWithKey(readWrite, "GET", "/events", nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)

	// Another company sees neither the endpoint nor the events.
	hook := e.createWebhook("http://127.0.0.1:1/x", []string{"application.hired"})
	tr := e.newTrack("Ops")
	e.invite(tr.ID, "Ken Thompson", "ken@example.com", "getlink")
	other := e.newKey("Globex")
	r = e.doWithKey(other, "DELETE", fmt.Sprintf("/webhooks/%d", hook.ID), nil)
	requireError(t, r, http.StatusNotFound, "not_found", "")
	r = e.doWithKey(other, "GET", fmt.Sprintf("/webhooks/%d/deliveries", hook.ID), nil)
	requireError(t, r, http.StatusNotFound, "not_found", "")
	r = e.doWithKey(other, "GET", "/events", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"data": [], "next_after": 0}`, string(r.Raw))

	r = e.do("DELETE", fmt.Sprintf("/webhooks/%d", hook.ID), nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	r = e.do("GET", "/webhooks", nil)
	require.JSONEq(t, `{"data": []}`, string(r.Raw))
}

func TestEventFeedPaging(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Data")
	inv := e.invite(tr.ID, "Ada Lovelace", "ada@example.com", "getlink")
	e.completeForm(inv.InviteLink)
	e.mustAdvance(tr.ID, inv.ApplicationID, "getlink")
	e.mustPatchApplicant(tr.ID, inv.ApplicationID, "hire", nil)

	first, _, next := e.feed("?limit=2")
	require.Equal(t, []string{"application.invited", "response.completed"}, []string{first[0].Type, first[1].Type})
	require.Equal(t, int64(2), next)
	rest, _, next := e.feed(fmt.Sprintf("?after=%d&limit=10", next))
	require.Len(t, rest, 2)
	require.Equal(t, "application.advanced", rest[0].Type)
	require.Equal(t, int64(3), *rest[0].Seq)
	require.Equal(t, "application.hired", rest[1].Type)
	require.Equal(t, int64(4), next)
	empty, _, same := e.feed("?after=4")
	require.Empty(t, empty)
	require.Equal(t, int64(4), same, "next_after stays put when nothing is new")

	// A rolled-back change leaves no event: a refused advance adds none.
	r := e.advance(tr.ID, inv.ApplicationID, "getlink")
	require.Equal(t, http.StatusConflict, r.Status, "body: %s", r.Raw)
	all, _, _ := e.feed("")
	require.Len(t, all, 4)
}

// TestEventFeedConcurrentWriters polls the feed while invites commit in
// parallel. A reader that only ever requests events after the last seq it
// saw must still get every event, which needs seqs to commit in order.
func TestEventFeedConcurrentWriters(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	tr := e.newTrack("Platform")
	const writers, perWriter = 4, 10

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			we := e.forTest(t)
			for i := range perWriter {
				r := we.do("POST", "/tracks/invite", map[string]any{
					"candidate_name": "Writer", "candidate_email": fmt.Sprintf("w%d-%d@example.com", w, i),
					"track_id": tr.ID, "invite_format": "getlink",
				})
				if r.Status != http.StatusCreated {
					t.Errorf("invite: status %d, body %s", r.Status, r.Raw)
				}
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	var seen []int64
	after := int64(0)
	for finished := false; ; {
		select {
		case <-writersDone:
			finished = true
		default:
		}
		page, _, next := e.feed(fmt.Sprintf("?after=%d&limit=5", after))
		for _, p := range page {
			seen = append(seen, *p.Seq)
		}
		after = next
		if finished && len(page) == 0 {
			break
		}
	}

	want := make([]int64, writers*perWriter)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, seen)
}
