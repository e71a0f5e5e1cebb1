package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/mail"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// The fuzz targets send mutated request bodies through the whole handler
// stack, on a real store on a SQLite file, and check that every response is
// a success or a coded client error, never a panic or a 5xx. The handler
// is called in the process, without a network, so that each input takes
// milliseconds. Their seeds run as ordinary tests; run one target with
//
//	go test ./httpapi -run '^$' -fuzz '^FuzzJSONRequest$' -fuzztime 20s

// fuzzServer is a handler on a new database with one company, its key and
// a track whose first stage is a form.
type fuzzServer struct {
	t       testing.TB
	handler http.Handler
	key     string
	ids     map[string]string // path parameter values of seeded records
	track   int64
	invites int // candidates invited so far, for new addresses
	sealer  *secret.Sealer
}

func newFuzzServer(t testing.TB) *fuzzServer {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlstore.Open(filepath.Join(t.TempDir(), "fuzz.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, logger); err != nil {
		t.Fatal(err)
	}

	// A client that is never started inserts the email jobs, as the server's
	// does, but sends nothing.
	workers := river.NewWorkers()
	river.AddWorker(workers, mail.NewWorker(mail.WorkerConfig{}))
	river.AddWorker(workers, mail.NewRejectionWorker(mail.WorkerConfig{}))
	queue, err := river.NewClient(db.QueueDriver(), &river.Config{Workers: workers, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	store := sqlstore.NewStore(db, func(ctx context.Context, tx *sql.Tx, job hiretrack.EmailJob) error {
		_, err := queue.InsertTx(ctx, tx, mail.ArgsFor(job), nil)
		return err
	}, nil, logger)

	key, stored, err := secret.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateAPIKey(ctx, "Acme", stored); err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}

	s := &fuzzServer{t: t, key: key, ids: map[string]string{}, sealer: sealer, handler: httpapi.New(httpapi.Config{
		Store: store, Sealer: sealer, PublicURL: "http://127.0.0.1:8080", Logger: logger,
		Unavailable: sqlstore.IsUnavailable,
	}).Handler()}
	s.seed()
	return s
}

// seed creates a form and an assessment module, a track of both, and an
// application whose form is completed.
func (s *fuzzServer) seed() {
	form := s.mustCreate("POST", "/modules", `{"type": "form", "name": "Screening", "questions": [
		{"label": "Why us?", "kind": "text", "required": true},
		{"label": "Notice period", "kind": "choice", "options": ["None", "One month"]}]}`, "module_id")
	assessment := s.mustCreate("POST", "/modules",
		`{"type": "assessment", "name": "Go test", "launch_url": "https://assessments.example.com/go"}`, "module_id")
	body := s.mustCreate("POST", "/tracks", fmt.Sprintf(`{"title": "Backend Engineer", "stages": [
		{"name": "Application form", "type": "form", "module_id": %v},
		{"name": "Coding test", "type": "assessment", "module_id": %v}]}`, form["module_id"], assessment["module_id"]), "track_id")
	s.ids["track_id"] = fmt.Sprint(body["track_id"])
	s.track = int64(body["track_id"].(float64))
	stages := body["stages"].([]any)
	s.ids["form_stage"] = stages[0].(map[string]any)["stage_id"].(string)
	s.ids["assessment_stage"] = stages[1].(map[string]any)["stage_id"].(string)

	inv := s.invite()
	s.ids["application_id"] = fmt.Sprint(inv["application_id"])
	s.ids["candidate_id"] = fmt.Sprint(inv["candidate_id"])
	s.ids["response_id"] = fmt.Sprint(inv["response_id"])
	status, _, page := s.sendForm(inviteLinkPath(s.t, inv), "q1=Because&q2=None")
	if status != http.StatusOK {
		s.t.Fatalf("form submit: %d %s", status, page)
	}
}

// invite invites a new candidate with getlink and returns the response body.
func (s *fuzzServer) invite() map[string]any {
	s.invites++
	return s.mustCreate("POST", "/tracks/invite", fmt.Sprintf(
		`{"track_id": %d, "candidate_name": "Fay Fuzz", "candidate_email": "fay%d@example.com", "invite_format": "getlink"}`,
		s.track, s.invites), "application_id")
}

// mustCreate sends a request that must return 201 with the field want.
func (s *fuzzServer) mustCreate(method, path, body, want string) map[string]any {
	status, decoded, raw := s.send(method, path, "application/json", body, true)
	if status != http.StatusCreated || decoded[want] == nil {
		s.t.Fatalf("%s %s: %d %s", method, path, status, raw)
	}
	return decoded
}

// send runs one request through the handler and returns the status, the
// JSON body when there is one, and the raw body.
func (s *fuzzServer) send(method, path, contentType, body string, withKey bool) (int, map[string]any, string) {
	// The URL is set after NewRequest, which parses its target as a request
	// line and panics on a query with a space, which net/url accepts.
	u, err := url.ParseRequestURI(path)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	req.URL, req.RequestURI = u, path
	req.Header.Set("Content-Type", contentType)
	if withKey {
		req.Header.Set("apiKey", s.key)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)

	var decoded map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &decoded); err != nil {
			s.t.Fatalf("%s %s returned invalid JSON: %v\n%s", method, path, err, rec.Body)
		}
	}
	return rec.Code, decoded, rec.Body.String()
}

// sendForm posts a form body to a candidate page, led by the form token
// that the page's GET would carry, so the body's own fields come second and
// cannot displace it.
func (s *fuzzServer) sendForm(path, form string) (int, map[string]any, string) {
	kind, token, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	binding := httpapi.InviteFormBinding(token)
	if kind == "apply" {
		binding = httpapi.ApplyFormBinding(token)
	}
	body := "form_token=" + url.QueryEscape(s.sealer.FormToken(binding, time.Now()))
	if form != "" {
		body += "&" + form
	}
	return s.send("POST", path, "application/x-www-form-urlencoded", body, false)
}

// inviteLinkPath returns the path of a response's invite_link.
func inviteLinkPath(t testing.TB, inv map[string]any) string {
	u, err := url.Parse(inv["invite_link"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// jsonEndpoint is a route that reads a JSON body. Its path names seeded
// records as {name} of fuzzServer.ids.
type jsonEndpoint struct {
	method, path string
	seeds        []string
}

// jsonEndpoints are the routes with a JSON body, each with the real
// requests of the API reference and the tests as seeds.
var jsonEndpoints = []jsonEndpoint{
	{"POST", "/modules", []string{
		`{"type": "form", "name": "Application", "questions": [{"label": "Years of experience with Go", "kind": "choice", "options": ["0-1", "2-4", "5+"], "required": true}, {"label": "Link to a project you are proud of", "kind": "text"}]}`,
		`{"type": "assessment", "name": "Go coding test", "launch_url": "https://assessments.example.com/go"}`,
		`{"type": "review", "name": "Portfolio review"}`,
	}},
	{"POST", "/tracks", []string{
		`{"title": "Backend Engineer", "stages": [{"name": "Application form", "type": "form", "module_id": 1}, {"name": "Coding assessment", "type": "assessment", "module_id": 2}]}`,
	}},
	{"POST", "/tracks/invite", []string{
		`{"track_id": 1, "candidate_name": "Jane Doe", "candidate_email": "jane@example.com", "invite_format": "getlink"}`,
		`{"track_id": "1", "candidate_name": "Zoë Example", "candidate_email": "zoe@example.com", "invite_format": "sendlink"}`,
	}},
	{"PUT", "/tracks/candidate/advance", []string{
		`{"track_id": 1, "application_id": 1, "invite_format": "sendlink", "source_stage_id": "{form_stage}"}`,
		`{"track_id": 1, "application_id": "1", "invite_format": "getlink", "dry_run": true}`,
	}},
	{"PATCH", "/tracks/candidate/reject/{candidate_id}", []string{
		`{"track_id": 1, "application_id": 1, "send_email": true}`,
	}},
	{"POST", "/tracks/application", []string{
		`{"track_id": 1, "candidate_name": "Ana Ruiz", "candidate_email": "ana@example.com", "fields": {"Why us?": "The product", "Notice period": "None"}}`,
	}},
	{"PATCH", "/tracks/{track_id}/applicants/{application_id}/move", []string{
		`{"source_stage_id": "{assessment_stage}", "destination_stage_id": "{form_stage}", "invite_format": "getlink"}`,
	}},
	{"PATCH", "/tracks/{track_id}/applicants/{application_id}/reject", []string{
		`{"source_stage_id": "{assessment_stage}", "send_email": true, "email_message": "Thank you for your time."}`,
		``,
	}},
	{"PATCH", "/tracks/{track_id}/applicants/{application_id}/unreject", []string{
		`{"invite_format": "getlink"}`,
	}},
	{"PATCH", "/tracks/{track_id}/applicants/{application_id}/hire", []string{
		`{"source_stage_id": "{assessment_stage}"}`,
	}},
	{"POST", "/tracks/{track_id}/applicants/bulk", []string{
		`{"action": "advance", "application_ids": [5, 4, 99], "invite_format": "getlink", "source_stage_id": "{form_stage}"}`,
		`{"action": "move", "application_ids": ["1"], "destination_stage_id": "{form_stage}", "dry_run": true}`,
	}},
	{"POST", "/responses/{response_id}/result", []string{
		`{"status": "completed", "score": 82, "data": {"tests_passed": 41}}`,
		`{"status": "started"}`,
	}},
	{"POST", "/api-keys", []string{
		`{"name": "Reporting", "scopes": ["read"]}`,
	}},
	{"PATCH", "/tracks/{track_id}/stages/{assessment_stage}", []string{
		`{"auto_advance": {"min_score": 70}, "auto_reject": {"max_score": 30}}`,
		`{"auto_advance": null}`,
	}},
	{"POST", "/responses/{response_id}/invite", []string{
		`{"invite_format": "getlink", "regenerate": true}`,
		`{"invite_format": "sendlink", "expiry_date": "2030-01-01T00:00:00Z"}`,
	}},
	{"POST", "/tracks/{track_id}/open-link", []string{
		`{}`,
		`{"start_date": "2026-01-01T00:00:00Z", "expiry_date": "2030-01-01T00:00:00Z"}`,
	}},
}

// path returns the endpoint's path with the seeded ids filled in.
func (s *fuzzServer) fill(text string) string {
	for name, value := range s.ids {
		text = strings.ReplaceAll(text, "{"+name+"}", value)
	}
	return text
}

// FuzzJSONRequest sends a body to one of the JSON endpoints, chosen by
// endpoint modulo their number.
func FuzzJSONRequest(f *testing.F) {
	for i, e := range jsonEndpoints {
		for _, seed := range e.seeds {
			f.Add(uint8(i), []byte(seed))
		}
		for _, bad := range []string{`null`, `[]`, `{"track_id": -1}`, `{"track_id": 1e400}`, "{\"name\": \"\\u0000\"}", `{`} {
			f.Add(uint8(i), []byte(bad))
		}
	}
	s := newFuzzServer(f)

	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		e := jsonEndpoints[int(endpoint)%len(jsonEndpoints)]
		path := s.fill(e.path)
		status, decoded, raw := s.send(e.method, path, "application/json", s.fill(string(body)), true)
		requireCoded(t, e.method+" "+e.path, status, decoded, raw)
	})
}

// requireCoded fails unless the response is a success or a 4xx JSON error
// with a code and a message. Every 400 and 422 must name the field, except
// those about the body as a whole.
func requireCoded(t *testing.T, route string, status int, body map[string]any, raw string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s returned %d: %s", route, status, raw)
	}
	if status < 400 {
		return
	}

	detail, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("%s returned %d without an error object: %s", route, status, raw)
	}
	code, _ := detail["code"].(string)
	message, _ := detail["message"].(string)
	if code == "" || message == "" {
		t.Fatalf("%s returned %d without a code or message: %s", route, status, raw)
	}
	wholeBody := map[string]bool{"invalid_json": true, "first_stage_not_form": true}
	if field, _ := detail["field"].(string); (status == 400 || status == 422) && !wholeBody[code] && field == "" {
		t.Fatalf("%s returned %d %s without naming the field: %s", route, status, code, raw)
	}
}

// FuzzFormSubmit posts a form body to the candidate page of a form stage.
// A body that completes the form gets a new invite for the next input.
func FuzzFormSubmit(f *testing.F) {
	for _, seed := range []string{
		"q1=I+like+the+product.&q2=One+month",
		"q1=2-4&q2=https%3A%2F%2Fexample.com%2Fmy-project",
		"q1=&q2=None",
		"q2=Three+months",
		"q1=%zz",
		"q1=a&q1=b&q99=c",
		"q1=" + strings.Repeat("x", 5000),
		"q1=%00%01&q2=None",
		"",
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	path := inviteLinkPath(f, s.invite())

	f.Fuzz(func(t *testing.T, form string) {
		status, _, page := s.sendForm(path, form)
		switch status {
		case http.StatusOK:
			path = inviteLinkPath(t, s.invite())
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("form submit returned %d: %s", status, page)
		}
		if !bytes.Contains([]byte(page), []byte("<h1>")) {
			t.Fatalf("form submit returned %d without a page: %s", status, page)
		}
	})
}

// FuzzApplicantQuery sends a query string to the applicant list, whose
// filters, sort, page and cursor are the only request fields outside a body.
func FuzzApplicantQuery(f *testing.F) {
	for _, seed := range []string{
		"sort=-score&per_page=2",
		"after=eyJzb3J0IjoiLXNjb3JlIiwia2V5Ijo2NCwiaWQiOjN9&per_page=2&sort=-score",
		"status=active&invite_status=Completed&sort=-last_updated_at",
		"name=fay&email=fay1%40example.com&stage_id={form_stage}",
		"updated_since=2026-12-04T20:00:00Z&page=2",
		"page=1&after=abc",
		"per_page=0",
		"sort=name&sort=email",
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	s.invite()

	f.Fuzz(func(t *testing.T, query string) {
		path := "/tracks/" + s.ids["track_id"] + "/applicants?" + s.fill(query)
		if _, err := url.ParseRequestURI(path); err != nil {
			t.Skip("not a request target that an HTTP client can send")
		}
		status, decoded, raw := s.send("GET", path, "application/json", "", true)
		requireCoded(t, "GET /tracks/{track_id}/applicants", status, decoded, raw)
	})
}

// FuzzApplyForm posts a form body to the public application form of an
// open link, which creates a candidate from the name and email it holds.
func FuzzApplyForm(f *testing.F) {
	for _, seed := range []string{
		"name=Ana+Ruiz&email=ana%40example.com&q1=I+like+the+product.&q2=One+month",
		"name=Ana+Ruiz&email=ana%40example.com&q1=Again&q2=None",
		"name=&email=ana%40example.com&q1=x",
		"name=Ana&email=not-an-email&q1=x",
		"name=Ana%00&email=ana2%40example.com&q1=x",
		"name=Ana&email=ana3%40example.com&q2=Three+months",
		"name=Ana&email=ana4%40example.com",
		"q1=%zz",
		"name=" + strings.Repeat("x", 5000) + "&email=ana5%40example.com&q1=x",
		"",
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	link := s.mustCreate("POST", "/tracks/"+s.ids["track_id"]+"/open-link", `{}`, "open_link")
	u, err := url.Parse(link["open_link"].(string))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, form string) {
		status, _, page := s.sendForm(u.Path, form)
		switch status {
		case http.StatusCreated, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("application form returned %d: %s", status, page)
		}
		if !strings.Contains(page, "<h1>") {
			t.Fatalf("application form returned %d without a page: %s", status, page)
		}
	})
}
