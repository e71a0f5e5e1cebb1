package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore" // also registers the "sqlite" and "pgx" drivers for checks on the database
)

// postgresEnv is the environment variable that selects PostgreSQL for the
// tests. It holds the URL of a server where the tests may create and drop
// databases, such as postgres://user@127.0.0.1:5432/postgres?sslmode=disable.
// Without it, the tests run on SQLite files.
const postgresEnv = "HIRETRACK_TEST_POSTGRES"

// env is a running server on a fresh database with one company and key.
type env struct {
	t       testing.TB
	srv     *app.Server
	cfg     app.Config
	dialect sqlstore.Dialect
	dataDir string
	key     string
	client  *http.Client
}

// options change what setup starts.
type options struct {
	smtpURL   string           // empty: emails go to .eml files under the data folder
	now       func() time.Time // the store's clock, time.Now when nil
	secretKey string           // the server key in hex; empty: created in the data folder

	// rateLimit and rateBurst set the rate limit of each key; zero leaves
	// rate limiting off.
	rateLimit float64
	rateBurst int

	emailMaxAttempts int                             // 0: the default of 10
	emailRetryDelay  func(attempt int) time.Duration // nil: River's backoff
	db               string                          // --db; empty: a new testDatabase
	// applyRateLimit and clientIPHeader set the open link's submission limit.
	applyRateLimit int
	clientIPHeader string

	// webhooks lets webhook URLs reach loopback receivers and, when its
	// schedule is set, retries deliveries in milliseconds.
	webhooks webhookOptions

	tracing app.TracingConfig // zero: tracing off
}

// setup starts a server on a loopback port with a new database and stops
// it when the test ends. The database is a SQLite file in a temporary
// folder, or a new PostgreSQL database when postgresEnv is set.
func setup(t testing.TB, opts options) *env {
	t.Helper()
	dir := t.TempDir()
	if opts.db == "" {
		opts.db = testDatabase(t, dir)
	}
	cfg := app.Config{
		Addr: "127.0.0.1:0", DB: opts.db, DataDir: filepath.Join(dir, "data"),
		SMTPURL: opts.smtpURL, SMTPFrom: "hiretrack <no-reply@example.com>", ShutdownTimeout: 10e9,
		SecretKey: opts.secretKey, Now: opts.now, RateLimit: opts.rateLimit, RateBurst: opts.rateBurst,
		EmailMaxAttempts: opts.emailMaxAttempts, EmailRetryDelay: opts.emailRetryDelay,
		ApplyRateLimit: opts.applyRateLimit, ClientIPHeader: opts.clientIPHeader,
		WebhookAllowPrivate: opts.webhooks.allowPrivate, WebhookSchedule: opts.webhooks.schedule,
		Tracing: opts.tracing,
	}

	// The client returns redirects instead of following them, so that tests
	// can check the 303 to a module's launch_url without leaving loopback.
	// It checks every exchange against the OpenAPI document.
	client := &http.Client{Transport: withContract(t, nil), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	e := &env{t: t, cfg: cfg, dialect: sqlstore.DialectOf(cfg.DB), dataDir: cfg.DataDir, client: client}
	e.srv = startServer(t, cfg)
	e.key = e.newKey("Acme")
	return e
}

// startServer starts a server with cfg and stops it when the test ends.
func startServer(t testing.TB, cfg app.Config) *app.Server {
	t.Helper()
	srv, err := app.Start(context.Background(), cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	return srv
}

// testLogger returns a logger that writes to t.Log in verbose runs and
// discards its output otherwise.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testDatabase returns the --db value of a new, empty database: a SQLite
// file in dir, or, when postgresEnv is set, a database ht_<random> created
// on that server and dropped when the test ends.
func testDatabase(t testing.TB, dir string) string {
	t.Helper()
	serverURL := os.Getenv(postgresEnv)
	if serverURL == "" {
		return filepath.Join(dir, "hiretrack.db")
	}

	u, err := url.Parse(serverURL)
	require.NoError(t, err, "%s is not a URL", postgresEnv)
	admin, err := sql.Open("pgx", serverURL)
	require.NoError(t, err)
	name := "ht_" + strings.ToLower(rand.Text())
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err, "create database %s on %s", name, u.Redacted())

	// Cleanups run last in, first out, so this one runs after the servers
	// that the test starts later have stopped. FORCE ends sessions that a
	// failed test left open.
	t.Cleanup(func() {
		defer admin.Close()
		_, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		require.NoError(t, err, "drop database %s", name)
	})
	u.Path = "/" + name
	return u.String()
}

// newKey creates a key for a company, creating the company when needed.
func (e *env) newKey(company string) string {
	e.t.Helper()
	key, stored, err := secret.NewAPIKey()
	require.NoError(e.t, err)
	_, err = e.srv.Store().CreateAPIKey(context.Background(), company, stored)
	require.NoError(e.t, err)
	return key
}

// result is a decoded HTTP response.
type result struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// do sends a JSON request with the env's key and decodes the JSON response.
func (e *env) do(method, path string, body any) result {
	e.t.Helper()
	return e.doWithKey(e.key, method, path, body)
}

// doWithKey sends a request with the given key; an empty key sends none.
// A string body is sent as it is, anything else is encoded as JSON.
func (e *env) doWithKey(key, method, path string, body any) result {
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
	if key != "" {
		req.Header.Set("apiKey", key)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) result {
	e.t.Helper()
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(e.t, json.Unmarshal(raw, &r.Body), "body: %s", raw)
	}
	return r
}

// testWriter sends log output to t.Log, so it shows only for failing or verbose tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// forTest returns a copy of e whose helpers report to t, for parallel
// subtests that share one server.
func (e *env) forTest(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// decode decodes the JSON body of r into a T.
func decode[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.Raw, &v), "body: %s", r.Raw)
	return v
}

// requireError checks the status and the error envelope of a failed request,
// and that the message names the field. An empty field means the error must
// name no field.
func requireError(t testing.TB, r result, status int, code, field string) {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Raw)
	require.IsType(t, map[string]any{}, r.Body["error"], "body: %s", r.Raw)

	detail := r.Body["error"].(map[string]any)
	require.Equal(t, code, detail["code"], "body: %s", r.Raw)
	require.NotEmpty(t, detail["message"], "body: %s", r.Raw)
	require.Equal(t, r.Header.Get("X-Request-Id"), detail["request_id"], "body: %s", r.Raw)
	if field == "" {
		require.NotContains(t, detail, "field", "body: %s", r.Raw)
		return
	}
	require.Equal(t, field, detail["field"], "body: %s", r.Raw)
	require.Contains(t, detail["message"], field, "the message must name the field")
}

// requireUTC checks that a JSON time is RFC 3339 in UTC.
func requireUTC(t testing.TB, value string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, value)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(value, "Z"), "time %q is not in UTC", value)
	return at
}

// track is a track as the API returns it.
type track struct {
	ID        int64   `json:"track_id"`
	Title     string  `json:"title"`
	Stages    []stage `json:"stages"`
	CreatedAt string  `json:"created_at"`
}

// stage is one stage of a track.
type stage struct {
	ID       string `json:"stage_id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	ModuleID *int64 `json:"module_id"`
	Position int    `json:"position"`
}

// Names of the stages and modules that newTrack creates.
const (
	formStage       = "Application form"
	assessmentStage = "Coding exercise"
	reviewStage     = "Hiring manager review"
	assessmentName  = "Go exercise"
	launchURL       = "https://assessments.example.com/start?session=42"
)

// The questions of the form module that newTrack creates.
const (
	motivationLabel = "Why do you want to join us?"
	noticeLabel     = "Notice period"
)

// createModule creates a module and returns its id.
func (e *env) createModule(body map[string]any) int64 {
	e.t.Helper()
	r := e.do("POST", "/modules", body)
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[struct {
		ID int64 `json:"module_id"`
	}](e.t, r).ID
}

// createFormModule creates the form that newTrack uses: a required text
// question and an optional choice question.
func (e *env) createFormModule() int64 {
	e.t.Helper()
	return e.createModule(map[string]any{
		"type": "form", "name": "Screening questions",
		"questions": []map[string]any{
			{"label": motivationLabel, "kind": "text", "required": true},
			{"label": noticeLabel, "kind": "choice", "options": []string{"None", "One month", "Three months"}},
		},
	})
}

// createTrack creates a track from stage objects and returns it.
func (e *env) createTrack(title string, stages ...map[string]any) track {
	e.t.Helper()
	r := e.do("POST", "/tracks", map[string]any{"title": title, "stages": stages})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[track](e.t, r)
}

// newTrack creates a track of three stages: the form of createFormModule,
// an assessment with a launch URL, and a review.
func (e *env) newTrack(title string) track {
	e.t.Helper()
	form := e.createFormModule()
	assessment := e.createModule(map[string]any{"type": "assessment", "name": assessmentName, "launch_url": launchURL})
	review := e.createModule(map[string]any{"type": "review", "name": "Portfolio review"})
	return e.createTrack(title,
		map[string]any{"name": formStage, "type": "form", "module_id": form},
		map[string]any{"name": assessmentStage, "type": "assessment", "module_id": assessment},
		map[string]any{"name": reviewStage, "type": "review", "module_id": review},
	)
}

// invitation is the body of a successful invite.
type invitation struct {
	ApplicationID int64  `json:"application_id"`
	CandidateID   int64  `json:"candidate_id"`
	ResponseID    int64  `json:"response_id"`
	TrackID       int64  `json:"track_id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	InviteLink    string `json:"invite_link"`
	InviteStatus  string `json:"invite_status"`
	Status        string `json:"status"`
	ExpiresAt     string `json:"expires_at"`
}

// invite invites a new candidate to a track and requires 201 Created.
func (e *env) invite(trackID int64, name, email, format string) invitation {
	e.t.Helper()
	r := e.do("POST", "/tracks/invite", map[string]any{
		"candidate_name": name, "candidate_email": email, "track_id": trackID, "invite_format": format,
	})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[invitation](e.t, r)
}

// advancement is the body of a successful advance.
type advancement struct {
	Name          string `json:"name"`
	Email         string `json:"email"`
	StageMoved    string `json:"stage_moved"`
	CandidateID   int64  `json:"candidate_id"`
	ApplicationID int64  `json:"application_id"`
	ModuleID      int64  `json:"module_id"`
	ResponseID    int64  `json:"response_id"`
	InviteLink    string `json:"invite_link"`
	Status        string `json:"status"`
	TrackID       int64  `json:"track_id"`
	StageID       string `json:"stage_id"`
	ExpiresAt     string `json:"expires_at"`
}

// advance sends an advance request for an application.
func (e *env) advance(trackID, applicationID int64, format string) result {
	e.t.Helper()
	return e.do("PUT", "/tracks/candidate/advance", map[string]any{
		"track_id": trackID, "application_id": applicationID, "invite_format": format,
	})
}

// mustAdvance advances an application and requires 200 OK.
func (e *env) mustAdvance(trackID, applicationID int64, format string) advancement {
	e.t.Helper()
	r := e.advance(trackID, applicationID, format)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[advancement](e.t, r)
}

// applicant is the body of the applicant detail endpoint.
type applicant struct {
	TrackID    int64  `json:"track_id"`
	TrackTitle string `json:"track_title"`
	Applicant  struct {
		ApplicationID         int64    `json:"application_id"`
		CandidateID           int64    `json:"candidate_id"`
		Name                  string   `json:"name"`
		Email                 string   `json:"email"`
		Status                string   `json:"status"`
		StageStatus           string   `json:"stage_status"`
		TrackInvitationStatus string   `json:"track_invitation_status"`
		Score                 *float64 `json:"score"`
		DateAdded             string   `json:"date_added"`
		LastUpdatedAt         string   `json:"last_updated_at"`
	} `json:"applicant"`
	CurrentStage struct {
		ID   string `json:"stage_id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"current_stage"`
	Stages    []stage    `json:"stages"`
	Responses []response `json:"responses"`
	Timeline  []event    `json:"timeline"`

	StageWiseReport   []reportEntry `json:"stage_wise_report"`
	SubmittedResponse []answer      `json:"submitted_response"`
}

// reportEntry is one entry of the stage-wise report, and the body of GET /responses/{response_id}.
type reportEntry struct {
	response
	TrackID int64    `json:"track_id"`
	Stage   stageRef `json:"stage"`
}

// answer is one answered form question.
type answer struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// response is one response as the applicant and result endpoints return it.
type response struct {
	ID           int64           `json:"response_id"`
	StageID      string          `json:"stage_id"`
	ModuleID     int64           `json:"module_id"`
	ModuleType   string          `json:"module_type"`
	InviteStatus string          `json:"invite_status"`
	Score        *float64        `json:"score"`
	Data         json.RawMessage `json:"data"`
	InvitedAt    string          `json:"invited_at"`
	ExpiresAt    string          `json:"expires_at"`
	OpenedAt     *string         `json:"opened_at"`
	StartedAt    *string         `json:"started_at"`
	CompletedAt  *string         `json:"completed_at"`
	Result       map[string]any  `json:"result"`
	RuleFired    *string         `json:"rule_fired"`
}

// event is one timeline entry.
type event struct {
	ID         int64           `json:"event_id"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor"`
	StageID    string          `json:"stage_id"`
	ResponseID *int64          `json:"response_id"`
	Data       json.RawMessage `json:"data"`
	At         string          `json:"at"`
}

// eventTypes returns the types of a timeline in order.
func (a applicant) eventTypes() []string {
	types := make([]string, len(a.Timeline))
	for i, ev := range a.Timeline {
		types[i] = ev.Type
	}
	return types
}

// applicant reads the applicant detail and requires 200 OK.
func (e *env) applicant(trackID, applicationID int64) applicant {
	e.t.Helper()
	r := e.do("GET", fmt.Sprintf("/tracks/%d/applicants/%d", trackID, applicationID), nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[applicant](e.t, r)
}

// waitForEvent polls the timeline until it has an event of eventType and
// returns the applicant detail. The mail worker writes its event after the
// request that queued the email returned, and nothing signals when.
func (e *env) waitForEvent(trackID, applicationID int64, eventType string) applicant {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := e.applicant(trackID, applicationID)
		if slices.Contains(a.eventTypes(), eventType) {
			return a
		}
		if time.Now().After(deadline) {
			require.FailNow(e.t, "timed out waiting for a timeline event",
				"no %s event within 15 s; timeline: %v", eventType, a.eventTypes())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// page is a candidate page as a browser receives it.
type page struct {
	Status int
	Header http.Header
	HTML   string
}

// getPage opens a candidate page.
func (e *env) getPage(link string) page {
	e.t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	require.NoError(e.t, err)
	return e.sendPage(req)
}

// postPage posts an HTML form to a candidate page, as a browser does, with
// the form token that the page carries unless form sets form_token itself.
func (e *env) postPage(link string, form url.Values) page {
	e.t.Helper()
	form = e.withFormToken(link, form)
	req, err := http.NewRequest("POST", link, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.sendPage(req)
}

func (e *env) sendPage(req *http.Request) page {
	e.t.Helper()
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return page{Status: resp.StatusCode, Header: resp.Header, HTML: string(body)}
}

// completeForm opens the form of newTrack on the candidate page and
// submits valid answers, as a candidate does.
func (e *env) completeForm(link string) {
	e.t.Helper()
	p := e.getPage(link)
	require.Equal(e.t, http.StatusOK, p.Status, "page: %s", p.HTML)
	p = e.postPage(link, url.Values{"q1": {"I like the product."}, "q2": {"One month"}})
	require.Equal(e.t, http.StatusOK, p.Status, "page: %s", p.HTML)
}

// requirePageHeaders checks the headers every candidate page carries.
func requirePageHeaders(t testing.TB, p page) {
	t.Helper()
	require.Equal(t, "text/html; charset=utf-8", p.Header.Get("Content-Type"))
	require.Contains(t, p.Header.Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Equal(t, "DENY", p.Header.Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"))
}

// dbState is what a failed request must leave unchanged.
type dbState struct {
	Candidates   int
	Applications int
	Responses    int
	Events       int
	Jobs         int
	StageID      string // the application's stage
}

// openDB opens the server's database, for checks and for changes that no
// endpoint makes yet. Queries on it must pass through e.rebind. The caller
// closes it.
func (e *env) openDB() *sql.DB {
	e.t.Helper()
	driver, source := "pgx", e.cfg.DB
	if e.dialect == sqlstore.SQLite {
		driver, source = "sqlite", "file:"+e.cfg.DB+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, source)
	require.NoError(e.t, err)
	return db
}

// rebind rewrites the ? placeholders of a query for the server's database.
func (e *env) rebind(query string) string { return e.dialect.Rebind(query) }

// state reads the row counts and the stage of one application.
func (e *env) state(applicationID int64) dbState {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	var s dbState
	counts := []struct {
		table string
		count *int
	}{
		{"candidates", &s.Candidates}, {"applications", &s.Applications}, {"responses", &s.Responses},
		{"events", &s.Events}, {"river_job", &s.Jobs},
	}
	for _, c := range counts {
		require.NoError(e.t, db.QueryRow("SELECT count(*) FROM "+c.table).Scan(c.count))
	}
	err := db.QueryRow(e.rebind("SELECT stage_id FROM applications WHERE id = ?"), applicationID).Scan(&s.StageID)
	require.NoError(e.t, err)
	return s
}

// exec runs one statement on the server's database.
func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	_, err := db.Exec(e.rebind(query), args...)
	require.NoError(e.t, err)
}

// email is a delivered message with its decoded text and HTML parts, whose
// CRLF line ends are turned into LF.
type email struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

// parseEmail parses a raw RFC 5322 message and decodes its text/plain and
// text/html parts at any depth of multipart nesting.
func parseEmail(t testing.TB, raw []byte) email {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)

	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	m := email{Header: msg.Header, Subject: subject}
	addPart(t, &m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m
}

// addPart decodes one MIME part into m. multipart.Reader decodes
// quoted-printable parts itself; base64 and a quoted-printable top level
// are decoded here.
func addPart(t testing.TB, m *email, contentType, encoding string, body io.Reader) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err)

	if strings.HasPrefix(mediaType, "multipart/") {
		parts := multipart.NewReader(body, params["boundary"])
		for {
			part, err := parts.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			require.NoError(t, err)
			addPart(t, m, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
		}
	}

	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	require.NoError(t, err)
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	switch mediaType {
	case "text/plain":
		m.Text += text
	case "text/html":
		m.HTML += text
	}
}

// emlFiles returns the paths of the .eml files the file sender wrote.
func (e *env) emlFiles() []string {
	e.t.Helper()
	paths, err := filepath.Glob(filepath.Join(e.dataDir, "mail", "*.eml"))
	require.NoError(e.t, err)
	return paths
}

// testClock is a clock that moves only when a test advances it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock(start time.Time) *testClock { return &testClock{now: start} }

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stageRef is a stage as transition bodies name it.
type stageRef struct {
	ID   string `json:"stage_id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// ref returns the short form of s that transition bodies use.
func (s stage) ref() stageRef { return stageRef{ID: s.ID, Name: s.Name, Type: s.Type} }

// stageOfType returns the track's stage of a type, such as "hired" or
// "rejected", and fails the test when there is none.
func (tr track) stageOfType(t testing.TB, typ string) stage {
	t.Helper()
	for _, st := range tr.Stages {
		if st.Type == typ {
			return st
		}
	}
	require.FailNow(t, "track has no stage of this type", "type %q, stages %v", typ, tr.Stages)
	return stage{}
}

// transitionBody is the body of a successful move, reject, hire or unreject.
// EmailSent is nil when the body has no email_sent field.
type transitionBody struct {
	TrackID           int64    `json:"track_id"`
	ApplicationID     int64    `json:"application_id"`
	CandidateID       int64    `json:"candidate_id"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	FromStage         stageRef `json:"from_stage"`
	ToStage           stageRef `json:"to_stage"`
	ApplicationStatus string   `json:"application_status"`
	ResponseID        int64    `json:"response_id"`
	ExpiresAt         string   `json:"expires_at"`
	InviteLink        string   `json:"invite_link"`
	Status            string   `json:"status"`
	EmailSent         *bool    `json:"email_sent"`
}

// patchApplicant sends PATCH /tracks/{track_id}/applicants/{application_id}/{action},
// where action is move, reject, unreject or hire. A nil body sends none.
func (e *env) patchApplicant(trackID, applicationID int64, action string, body any) result {
	e.t.Helper()
	return e.do("PATCH", fmt.Sprintf("/tracks/%d/applicants/%d/%s", trackID, applicationID, action), body)
}

// mustPatchApplicant sends patchApplicant and requires 200 OK.
func (e *env) mustPatchApplicant(trackID, applicationID int64, action string, body any) transitionBody {
	e.t.Helper()
	r := e.patchApplicant(trackID, applicationID, action, body)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[transitionBody](e.t, r)
}

// inviteCompleted invites a candidate with a link and submits the form of
// newTrack, so that the application can be advanced.
func (e *env) inviteCompleted(trackID int64, name, address string) invitation {
	e.t.Helper()
	inv := e.invite(trackID, name, address, "getlink")
	e.completeForm(inv.InviteLink)
	return inv
}

// actorOf returns the actor that events written with an API key carry.
func actorOf(key string) string { return "key:" + key[:secret.KeyPrefixLen] }

// eventsOfType returns the timeline events of one type, oldest first.
func (a applicant) eventsOfType(eventType string) []event {
	var events []event
	for _, ev := range a.Timeline {
		if ev.Type == eventType {
			events = append(events, ev)
		}
	}
	return events
}

// countRows runs a SELECT count(*) query on the server's database.
func (e *env) countRows(query string, args ...any) int {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	var n int
	require.NoError(e.t, db.QueryRow(e.rebind(query), args...).Scan(&n))
	return n
}

// importApplication sends POST /tracks/application with the form answers by question label.
func (e *env) importApplication(trackID int64, name, address string, fields map[string]string) result {
	e.t.Helper()
	return e.do("POST", "/tracks/application", map[string]any{
		"track_id": trackID, "candidate_name": name, "candidate_email": address, "fields": fields,
	})
}

// requireNoChange sends a request that must fail and checks that it left
// the row counts and the application's stage as they were.
func (e *env) requireNoChange(applicationID int64, send func() result) result {
	e.t.Helper()
	before := e.state(applicationID)
	r := send()
	require.Equal(e.t, before, e.state(applicationID), "the request changed the database; body: %s", r.Raw)
	return r
}

// withFormToken returns a copy of form with the form token of the invite
// or open application page at link, made with the server key as the page
// makes it. A form that
// has a form_token field already is returned as it is.
func (e *env) withFormToken(link string, form url.Values) url.Values {
	e.t.Helper()
	if _, ok := form["form_token"]; ok {
		return form
	}
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}

	binding := httpapi.InviteFormBinding
	_, rest, ok := strings.Cut(link, "/invite/")
	if !ok {
		binding = httpapi.ApplyFormBinding
		_, rest, ok = strings.Cut(link, "/apply/")
	}
	require.True(e.t, ok, "not an invite or open application link: %s", link)
	token, _, _ := strings.Cut(rest, "/")
	now := time.Now()
	if e.cfg.Now != nil {
		now = e.cfg.Now()
	}
	out.Set("form_token", e.sealer().FormToken(binding(token), now))
	return out
}

// sealer returns a Sealer with the server key of the env's server.
func (e *env) sealer() *secret.Sealer {
	e.t.Helper()
	var key []byte
	var err error
	if e.cfg.SecretKey != "" {
		key, err = secret.ParseKey(e.cfg.SecretKey)
	} else {
		key, _, err = secret.LoadOrCreateKey(filepath.Join(e.dataDir, "secret.key"))
	}
	require.NoError(e.t, err)
	sealer, err := secret.NewSealer(key)
	require.NoError(e.t, err)
	return sealer
}
