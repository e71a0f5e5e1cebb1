package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/secret"
)

// tenantA is company A's data: the ids that company B's requests name, and
// the values that must never reach B.
type tenantA struct {
	track, formModule, assessmentModule int64
	application, candidate, response    int64
	rejectedApplication                 int64
	keyID                               int64
	stage                               string // the assessment stage
	webhook, delivery                   int64
	receiver                            *receiver

	// ids holds A's ids by the JSON field that carries them.
	ids map[string][]int64

	// markers are A's names, emails, titles, labels, answers, stage ids,
	// key prefixes and invite tokens.
	markers []string
}

// newTenantA fills company A, the env's own company, with one record of
// every kind.
func newTenantA(e *env) tenantA {
	e.t.Helper()
	var a tenantA
	a.receiver = newReceiver(e.t)
	r := e.do("POST", "/webhooks", map[string]any{"url": a.receiver.srv.URL + "/acmehooks-secret",
		"events": []string{"application.invited"}, "description": "Acmehook sync"})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	hook := decode[createdWebhook](e.t, r)
	a.webhook = hook.ID

	a.formModule = e.createModule(map[string]any{"type": "form", "name": "Acmeform Secret", "questions": []map[string]any{
		{"label": "Acmequestion about Zanzibar", "kind": "text", "required": true}}})
	a.assessmentModule = e.createModule(map[string]any{"type": "assessment", "name": "Acmeassessment Secret",
		"launch_url": "https://acme-assess.example.com/run"})
	tr := e.createTrack("Acmetrack Secret Title",
		map[string]any{"name": "Acmestage Form", "type": "form", "module_id": a.formModule},
		map[string]any{"name": "Acmestage Test", "type": "assessment", "module_id": a.assessmentModule})
	a.track = tr.ID

	inv := e.invite(a.track, "Alicia Acmeworth", "alicia@acme-secret.example", "getlink")
	p := e.postPage(inv.InviteLink, url.Values{"q1": {"Acmeanswer Zanzibar"}})
	require.Equal(e.t, http.StatusOK, p.Status, "page: %s", p.HTML)
	adv := e.mustAdvance(a.track, inv.ApplicationID, "getlink")
	a.application, a.candidate, a.response = inv.ApplicationID, inv.CandidateID, adv.ResponseID

	rejected := e.invite(a.track, "Bertram Acmeson", "bertram@acme-secret.example", "getlink")
	e.mustPatchApplicant(a.track, rejected.ApplicationID, "reject", map[string]any{})
	a.rejectedApplication = rejected.ApplicationID
	key := e.createKey("acme-ops-secret", "read")
	a.keyID = key.ID
	a.stage = tr.Stages[1].ID
	r = e.do("POST", fmt.Sprintf("/tracks/%d/open-link", a.track), map[string]any{})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	_, openToken, _ := strings.Cut(r.Body["open_link"].(string), "/apply/")
	a.receiver.waitFor(2)
	deliveries := e.deliveries(a.webhook)
	a.delivery = deliveries[0].ID

	a.ids = map[string][]int64{
		"module_id": {a.formModule, a.assessmentModule}, "track_id": {a.track},
		"application_id": {a.application, a.rejectedApplication}, "candidate_id": {inv.CandidateID, rejected.CandidateID},
		"response_id": {inv.ResponseID, adv.ResponseID, rejected.ResponseID}, "key_id": {a.keyID, e.principal().KeyID},
		"webhook_id": {a.webhook}, "delivery_id": {deliveries[0].ID, deliveries[1].ID},
	}
	a.markers = []string{"Acmeform", "Acmequestion", "Acmeassessment", "acme-assess", "Acmetrack", "Acmestage",
		"Alicia", "Acmeworth", "alicia@", "Bertram", "Acmeson", "acme-secret", "Acmeanswer", "acme-ops-secret",
		e.key[:secret.KeyPrefixLen], key.Prefix, tokenOf(inv.InviteLink), tokenOf(adv.InviteLink), tokenOf(rejected.InviteLink),
		"acmehooks-secret", "Acmehook", hook.Secret, openToken}
	for _, d := range deliveries {
		a.markers = append(a.markers, d.EventID)
	}
	for _, st := range tr.Stages {
		a.markers = append(a.markers, st.ID)
	}
	return a
}

// tokenOf returns the invite token of a link.
func tokenOf(link string) string {
	_, token, _ := strings.Cut(link, "/invite/")
	return token
}

// tenantCase is the request that company B sends to one route, with the
// ids of A's records, and the status it must get. A case with skip set
// names why the route takes no company's key.
type tenantCase struct {
	method, path string
	body         any
	noKey        bool
	status       int
	skip         string
	check        func(t *testing.T, r result) // more checks of the response, if any
}

// tenantCases returns a case for every route of the server.
func tenantCases(a tenantA) map[string]tenantCase {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	applicant := "/tracks/" + id(a.track) + "/applicants/" + id(a.application)
	tokenRoute := "the invite token in the path is the only credential, and no company key plays a part"
	applyRoute := "the open link token in the path is the only credential, and no company key plays a part"
	response := "/responses/" + id(a.response)
	hook := "/webhooks/" + id(a.webhook)
	return map[string]tenantCase{
		"POST /modules":            {body: map[string]any{"type": "review", "name": "Globex review"}, status: 201},
		"GET /modules":             {status: 200},
		"GET /modules/{module_id}": {path: "/modules/" + id(a.formModule), status: 404},
		"POST /tracks": {body: map[string]any{"title": "Globex track", "stages": []map[string]any{
			{"name": "Screen", "type": "form", "module_id": a.formModule}}}, status: 404},
		"GET /tracks":            {status: 200},
		"GET /tracks/{track_id}": {path: "/tracks/" + id(a.track), status: 404},
		"POST /tracks/invite": {body: map[string]any{"track_id": a.track, "candidate_name": "Gus Globex",
			"candidate_email": "alicia@acme-secret.example", "invite_format": "getlink"}, status: 404},
		"PUT /tracks/candidate/advance": {body: map[string]any{"track_id": a.track, "application_id": a.application,
			"invite_format": "getlink"}, status: 404},
		"PATCH /tracks/candidate/reject/{candidate_id}": {path: "/tracks/candidate/reject/" + id(a.candidate),
			body: map[string]any{"track_id": a.track, "application_id": a.application}, status: 404},
		"POST /tracks/application": {body: map[string]any{"track_id": a.track, "candidate_name": "Gus Globex",
			"candidate_email": "gus@globex.example", "fields": map[string]string{"Acmequestion about Zanzibar": "x"}}, status: 404},
		"PATCH /tracks/{track_id}/applicants/{application_id}/move": {path: applicant + "/move",
			body: map[string]any{"source_stage_id": "stg_none", "destination_stage_id": "stg_none"}, status: 404},
		"PATCH /tracks/{track_id}/applicants/{application_id}/reject": {path: applicant + "/reject", body: map[string]any{}, status: 404},
		"PATCH /tracks/{track_id}/applicants/{application_id}/unreject": {
			path: "/tracks/" + id(a.track) + "/applicants/" + id(a.rejectedApplication) + "/unreject", status: 404},
		"PATCH /tracks/{track_id}/applicants/{application_id}/hire": {path: applicant + "/hire", status: 404},
		// A bulk request answers 200 with one result per application, and
		// each of A's applications fails with 404 there.
		"POST /tracks/{track_id}/applicants/bulk": {path: "/tracks/" + id(a.track) + "/applicants/bulk",
			body: map[string]any{"action": "reject", "application_ids": []int64{a.application, a.rejectedApplication}}, status: 200},
		"POST /responses/{response_id}/result": {path: "/responses/" + id(a.response) + "/result",
			body: map[string]any{"status": "completed", "score": 1}, status: 404},
		"GET /responses/{response_id}": {path: response, status: 404},
		"PATCH /tracks/{track_id}/stages/{stage_id}": {path: "/tracks/" + id(a.track) + "/stages/" + a.stage,
			body: map[string]any{"auto_advance": nil}, status: 404},
		"POST /responses/{response_id}/invite":        {path: response + "/invite", body: map[string]any{"invite_format": "getlink"}, status: 404},
		"POST /responses/{response_id}/invite/revoke": {path: response + "/invite/revoke", status: 404},
		"POST /tracks/{track_id}/open-link":           {path: "/tracks/" + id(a.track) + "/open-link", body: map[string]any{}, status: 404},
		"DELETE /tracks/{track_id}/open-link":         {path: "/tracks/" + id(a.track) + "/open-link", status: 404},
		"GET /apply/{token}":                          {skip: applyRoute},
		"POST /apply/{token}":                         {skip: applyRoute},
		"POST /webhooks": {body: map[string]any{"url": a.receiver.srv.URL + "/globex", "events": []string{"application.hired"}},
			status: 201},
		"GET /webhooks":                             {status: 200, check: emptyData(1)},
		"PATCH /webhooks/{webhook_id}":              {path: hook, body: map[string]any{"description": "Globex"}, status: 404},
		"DELETE /webhooks/{webhook_id}":             {path: hook, status: 404},
		"POST /webhooks/{webhook_id}/rotate-secret": {path: hook + "/rotate-secret", status: 404},
		"GET /webhooks/{webhook_id}/deliveries":     {path: hook + "/deliveries", status: 404},
		"POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
			path: hook + "/deliveries/" + id(a.delivery) + "/redeliver", status: 404},
		"POST /webhooks/{webhook_id}/test": {path: hook + "/test", status: 404},
		// B's feed is empty: none of A's events, and no seq of A's.
		"GET /events": {status: 200, check: func(t *testing.T, r result) {
			require.Equal(t, map[string]any{"data": []any{}, "next_after": float64(0)}, r.Body)
		}},
		"GET /tracks/{track_id}/applicants":                  {path: "/tracks/" + id(a.track) + "/applicants", status: 404},
		"GET /tracks/{track_id}/applicants/{application_id}": {path: applicant, status: 404},
		"POST /api-keys":                        {body: map[string]any{"name": "globex", "scopes": []string{"read"}}, status: 201},
		"GET /api-keys":                         {status: 200},
		"DELETE /api-keys/{key_id}":             {path: "/api-keys/" + id(a.keyID), status: 404},
		"DELETE /candidates/{candidate_id}":     {path: "/candidates/" + id(a.candidate), status: 404},
		"GET /candidates/{candidate_id}/export": {path: "/candidates/" + id(a.candidate) + "/export", status: 404},
		"GET /audit":                            {status: 200},
		"GET /invite/{token}":                   {skip: tokenRoute},
		"POST /invite/{token}":                  {skip: tokenRoute},
		"POST /invite/{token}/start":            {skip: tokenRoute},
		"GET /healthz":                          {noKey: true, status: 200},
		"GET /readyz":                           {noKey: true, status: 200},
		"GET /metrics":                          {noKey: true, status: 200},
		"GET /openapi.yaml":                     {noKey: true, status: 200},
		"GET /docs":                             {noKey: true, status: 200},
		"GET /docs/assets/{file}":               {path: "/docs/assets/docs.js", noKey: true, status: 200},
	}
}

// emptyData checks that a list shows n records: B's own, as A's never show.
func emptyData(n int) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		require.Len(t, r.Body["data"], n, "body: %s", r.Raw)
	}
}

// numbers matches the decimal numbers of a request's path and body.
var numbers = regexp.MustCompile(`\d+`)

func TestTenantIsolationAllRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t, options{webhooks: fastWebhooks(3)})
	a := newTenantA(e)
	b := e.forTest(t)
	b.key = e.newKey("Globex")
	b.newTrack("Globex Track")
	before := tenantSnapshot(e, a)

	// sent collects the numbers of every request of B: the audit log
	// shows B the ids that B itself named, which is no leak.
	sent := map[int64]bool{}
	cases := tenantCases(a)
	for _, route := range httpapi.Routes() {
		c, ok := cases[route.Pattern]
		require.True(t, ok, "the route %q has no tenant isolation case; add one to tenantCases", route.Pattern)
		if c.skip != "" {
			require.False(t, route.APIKey, "the route %q takes an API key, so it needs a case", route.Pattern)
			continue
		}
		method, path, _ := strings.Cut(route.Pattern, " ")
		if c.path != "" {
			path = c.path
		}
		key := b.key
		if c.noKey {
			key = ""
		}

		t.Run(route.Pattern, func(t *testing.T) {
			r := b.forTest(t).doWithKey(key, method, path, c.body)

			require.Equal(t, c.status, r.Status, "body: %s", r.Raw)
			requireNoLeak(t, a, sent, path, c.body, r)
			if c.check != nil {
				c.check(t, r)
			}
			if c.status == http.StatusNotFound {
				require.Equal(t, "not_found", r.Body["error"].(map[string]any)["code"], "body: %s", r.Raw)
			}
		})
	}

	require.Equal(t, before, tenantSnapshot(e, a), "company B's requests changed company A's data")
}

// requireNoLeak checks that a response to company B holds none of A's
// markers in its body or headers, and none of A's ids that B did not send.
// It adds the numbers of this request to sent.
func requireNoLeak(t *testing.T, a tenantA, sent map[int64]bool, path string, body any, r result) {
	t.Helper()
	var headers strings.Builder
	for name, values := range r.Header {
		fmt.Fprintf(&headers, "%s: %s\n", name, strings.Join(values, ", "))
	}
	for _, marker := range a.markers {
		require.NotContains(t, strings.ToLower(string(r.Raw)), strings.ToLower(marker), "the body shows A's %q", marker)
		require.NotContains(t, strings.ToLower(headers.String()), strings.ToLower(marker), "a header shows A's %q", marker)
	}

	requestText, _ := json.Marshal(body)
	for _, n := range numbers.FindAllString(path+string(requestText), -1) {
		id, _ := strconv.ParseInt(n, 10, 64)
		sent[id] = true
	}
	var decoded any
	if json.Unmarshal(r.Raw, &decoded) == nil {
		walkIDs(decoded, func(field string, id int64) {
			for _, own := range a.ids[field] {
				require.False(t, own == id && !sent[id], "the body shows A's %s %d", field, id)
			}
		})
	}
}

// walkIDs calls fn for each numeric field of a JSON value, at any depth.
func walkIDs(v any, fn func(field string, id int64)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if n, ok := child.(float64); ok {
				fn(k, int64(n))
			}
			walkIDs(child, fn)
		}
	case []any:
		for _, child := range v {
			walkIDs(child, fn)
		}
	}
}

// tenantSnapshot reads A's data through A's key, to show that B changed nothing.
func tenantSnapshot(e *env, a tenantA) []string {
	e.t.Helper()
	var bodies []string
	for _, path := range []string{
		"/modules", "/tracks", "/api-keys", "/audit", "/webhooks", "/events",
		fmt.Sprintf("/responses/%d", a.response),
		fmt.Sprintf("/tracks/%d/applicants/%d", a.track, a.application),
		fmt.Sprintf("/tracks/%d/applicants/%d", a.track, a.rejectedApplication),
		fmt.Sprintf("/candidates/%d/export", a.candidate),
	} {
		r := e.do("GET", path, nil)
		require.Equal(e.t, http.StatusOK, r.Status, "GET %s: %s", path, r.Raw)
		if path == fmt.Sprintf("/candidates/%d/export", a.candidate) {
			delete(r.Body, "exported_at")
			raw, _ := json.Marshal(r.Body)
			r.Raw = raw
		}
		bodies = append(bodies, string(r.Raw))
	}
	return bodies
}
