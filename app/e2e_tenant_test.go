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

	a.ids = map[string][]int64{
		"module_id": {a.formModule, a.assessmentModule}, "track_id": {a.track},
		"application_id": {a.application, a.rejectedApplication}, "candidate_id": {inv.CandidateID, rejected.CandidateID},
		"response_id": {inv.ResponseID, adv.ResponseID, rejected.ResponseID}, "key_id": {a.keyID, e.principal().KeyID},
	}
	a.markers = []string{"Acmeform", "Acmequestion", "Acmeassessment", "acme-assess", "Acmetrack", "Acmestage",
		"Alicia", "Acmeworth", "alicia@", "Bertram", "Acmeson", "acme-secret", "Acmeanswer", "acme-ops-secret",
		e.key[:secret.KeyPrefixLen], key.Prefix, tokenOf(inv.InviteLink), tokenOf(adv.InviteLink), tokenOf(rejected.InviteLink)}
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
}

// tenantCases returns a case for every route of the server.
func tenantCases(a tenantA) map[string]tenantCase {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	applicant := "/tracks/" + id(a.track) + "/applicants/" + id(a.application)
	tokenRoute := "the invite token in the path is the only credential, and no company key plays a part"
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
	}
}

// numbers matches the decimal numbers of a request's path and body.
var numbers = regexp.MustCompile(`\d+`)

func TestTenantIsolationAllRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
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
		"/modules", "/tracks", "/api-keys", "/audit",
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
