package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/internal/smtptest"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// metricsTimeout bounds the wait for a metric that the mail worker or
// River's scheduler changes after the request that caused it returned.
// River v0.51.2 retries a first failure after about 1 s and its scheduler
// runs every 5 s, so 30 s is a generous bound, not a measured one.
const metricsTimeout = 30 * time.Second

// logBuffer collects a server's JSON log output. It is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the decoded log records whose message is msg, oldest first.
func (b *logBuffer) records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for line := range strings.Lines(b.String()) {
		var record map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &record), "log line: %s", line)
		if record["msg"] == msg {
			found = append(found, record)
		}
	}
	return found
}

// setupWithLog starts a server as setup does, but logs in JSON to the
// returned buffer, so that tests can check log records.
func setupWithLog(t *testing.T, opts options) (*env, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := app.Config{
		Addr: "127.0.0.1:0", DB: testDatabase(t, dir), DataDir: filepath.Join(dir, "data"),
		SMTPURL: opts.smtpURL, SMTPFrom: "hiretrack <no-reply@example.com>", SecretKey: opts.secretKey, Now: opts.now,

		// With its database closed, River v0.51.2 retries resigning its
		// leadership three times during Shutdown, which took 7 s here.
		ShutdownTimeout: 30 * time.Second,
	}
	logs := &logBuffer{}
	srv, err := app.Start(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })

	client := &http.Client{Transport: withContract(t, nil), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	e := &env{t: t, srv: srv, cfg: cfg, dialect: sqlstore.DialectOf(cfg.DB), dataDir: cfg.DataDir, client: client}
	e.key = e.newKey("Acme")
	return e, logs
}

// metricLines scrapes GET /metrics without a key and returns its lines.
func (e *env) metricLines() []string {
	e.t.Helper()
	r := e.doWithKey("", "GET", "/metrics", nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	require.True(e.t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"), "Content-Type %q", r.Header.Get("Content-Type"))
	return strings.Split(string(r.Raw), "\n")
}

// waitForMetrics scrapes GET /metrics until it has every one of the given
// lines, such as `hiretrack_emails_sent_total{kind="invite"} 1`, and
// returns the lines of that scrape.
func (e *env) waitForMetrics(want ...string) []string {
	e.t.Helper()
	deadline := time.Now().Add(metricsTimeout)
	for {
		lines := e.metricLines()
		missing := slices.DeleteFunc(slices.Clone(want), func(line string) bool { return slices.Contains(lines, line) })
		if len(missing) == 0 {
			return lines
		}
		if time.Now().After(deadline) {
			require.FailNow(e.t, "timed out waiting for metrics", "missing after %s: %q", metricsTimeout, missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue returns the value of the sample whose name and labels are
// series, such as `hiretrack_queue_oldest_available_job_age_seconds`.
func metricValue(t testing.TB, lines []string, series string) float64 {
	t.Helper()
	for _, line := range lines {
		if value, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(value, 64)
			require.NoError(t, err, "line %q", line)
			return v
		}
	}
	require.FailNow(t, "metric not found", "no sample %s", series)
	return 0
}

// readiness is the body of GET /readyz.
type readiness struct {
	Status    string   `json:"status"`
	Failed    []string `json:"failed"`
	RequestID string   `json:"request_id"`
	Checks    []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"checks"`
}

// checkStates returns name=status for each check, in the body's order.
func (r readiness) checkStates() []string {
	states := make([]string, len(r.Checks))
	for i, c := range r.Checks {
		states[i] = c.Name + "=" + c.Status
	}
	return states
}

func TestReadiness(t *testing.T) {
	t.Parallel()

	t.Run("AllChecksPass", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})

		r := e.doWithKey("", "GET", "/readyz", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.JSONEq(t, `{"status": "ready", "checks": [
			{"name": "database", "status": "ok"},
			{"name": "migrations", "status": "ok"},
			{"name": "queue", "status": "ok"}
		]}`, string(r.Raw))
		require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	})

	t.Run("HealthzWithoutKey", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})

		r := e.doWithKey("", "GET", "/healthz", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.JSONEq(t, `{"status": "ok"}`, string(r.Raw))
	})

	t.Run("DatabaseClosed", func(t *testing.T) {
		t.Parallel()
		e, logs := setupWithLog(t, options{})
		require.NoError(t, e.srv.CloseDatabase())

		r := e.doWithKey("", "GET", "/readyz", nil)

		require.Equal(t, http.StatusServiceUnavailable, r.Status, "body: %s", r.Raw)
		ready := decode[readiness](t, r)
		require.Equal(t, "not_ready", ready.Status)
		require.Equal(t, []string{"database", "migrations"}, ready.Failed)
		require.Equal(t, []string{"database=failed", "migrations=failed", "queue=ok"}, ready.checkStates())
		require.Equal(t, r.Header.Get("X-Request-Id"), ready.RequestID)
		require.NotContains(t, string(r.Raw), "sql: database is closed", "check errors must stay in the log")

		var checks []string
		for _, record := range logs.records(t, "readiness check failed") {
			require.Equal(t, ready.RequestID, record["request_id"])
			require.Contains(t, record["error"], "sql: database is closed")
			checks = append(checks, record["check"].(string))
		}
		require.ElementsMatch(t, []string{"database", "migrations"}, checks)

		again := e.doWithKey("", "GET", "/readyz", nil)
		require.Equal(t, http.StatusServiceUnavailable, again.Status, "body: %s", again.Raw)
		require.Len(t, logs.records(t, "readiness check failed"), 2, "a check that goes on failing is logged once")

		// The queue collector fails without its database, and the other
		// metrics are still served.
		lines := e.metricLines()
		require.Contains(t, lines, `hiretrack_http_requests_total{route="GET /readyz",status="503"} 2`)
		require.False(t, slices.ContainsFunc(lines, func(line string) bool {
			return strings.HasPrefix(line, "hiretrack_queue_jobs{")
		}), "hiretrack_queue_jobs must be left out")
		scrapeErrors := logs.records(t, "serving metrics failed")
		require.Len(t, scrapeErrors, 1)
		require.Contains(t, scrapeErrors[0]["error"], "hiretrack_queue_jobs")
		require.Contains(t, scrapeErrors[0]["error"], "sql: database is closed")
	})

	t.Run("SchemaMigratedDown", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		e.exec("DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")

		r := e.doWithKey("", "GET", "/readyz", nil)

		require.Equal(t, http.StatusServiceUnavailable, r.Status, "body: %s", r.Raw)
		ready := decode[readiness](t, r)
		require.Equal(t, []string{"migrations"}, ready.Failed)
		require.Equal(t, []string{"database=ok", "migrations=failed", "queue=ok"}, ready.checkStates())
	})

	t.Run("QueueSchemaMigratedDown", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		e.exec("DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)")

		r := e.doWithKey("", "GET", "/readyz", nil)

		require.Equal(t, http.StatusServiceUnavailable, r.Status, "body: %s", r.Raw)
		ready := decode[readiness](t, r)
		require.Equal(t, []string{"migrations"}, ready.Failed)
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	e := setup(t, options{smtpURL: smtp.URL()})
	tr := e.newTrack("Backend Engineer")

	// Advance with an email whose first attempt the SMTP server rejects.
	advanced := e.inviteCompleted(tr.ID, "Ada Example", "ada@example.com")
	smtp.FailNext(1)
	e.mustAdvance(tr.ID, advanced.ApplicationID, "sendlink")
	e.waitForMetrics(`hiretrack_emails_sent_total{kind="invite"} 1`)

	// Reject with an email, then unreject once the email went out, so that
	// the mail worker does not cancel it.
	rejected := e.invite(tr.ID, "Bo Example", "bo@example.com", "getlink")
	e.mustPatchApplicant(tr.ID, rejected.ApplicationID, "reject", map[string]any{"send_email": true})
	smtp.WaitForMessages(t, 2, mailTimeout)
	e.mustPatchApplicant(tr.ID, rejected.ApplicationID, "unreject", nil)
	e.mustPatchApplicant(tr.ID, rejected.ApplicationID, "move", map[string]any{
		"source_stage_id": tr.Stages[0].ID, "destination_stage_id": tr.Stages[2].ID,
	})
	e.mustPatchApplicant(tr.ID, rejected.ApplicationID, "hire", nil)

	// Neither a dry run nor a failed transition is counted.
	e.mustPatchApplicant(tr.ID, advanced.ApplicationID, "reject", map[string]any{"dry_run": true})
	closed := e.advance(tr.ID, rejected.ApplicationID, "getlink")
	require.Equal(t, http.StatusConflict, closed.Status, "body: %s", closed.Raw)

	imported := e.importApplication(tr.ID, "Cy Example", "cy@example.com", map[string]string{motivationLabel: "I like the product."})
	require.Equal(t, http.StatusCreated, imported.Status, "body: %s", imported.Raw)
	unknown := e.do("GET", "/no-such-endpoint", nil)
	require.Equal(t, http.StatusNotFound, unknown.Status, "body: %s", unknown.Raw)

	lines := e.waitForMetrics(
		`hiretrack_emails_sent_total{kind="rejection"} 1`,
		`hiretrack_queue_jobs{state="running"} 0`,
	)

	for _, want := range []string{
		`hiretrack_http_requests_total{route="PUT /tracks/candidate/advance",status="200"} 1`,
		`hiretrack_http_requests_total{route="PUT /tracks/candidate/advance",status="409"} 1`,
		`hiretrack_http_requests_total{route="POST /tracks/invite",status="201"} 2`,
		`hiretrack_http_requests_total{route="GET /invite/{token}",status="200"} 1`,
		`hiretrack_http_requests_total{route="POST /invite/{token}",status="200"} 1`,
		`hiretrack_http_requests_total{route="POST /modules",status="201"} 3`,
		`hiretrack_http_requests_total{route="PATCH /tracks/{track_id}/applicants/{application_id}/reject",status="200"} 2`,
		`hiretrack_http_requests_total{route="POST /tracks/application",status="201"} 1`,
		`hiretrack_http_requests_total{route="unmatched",status="404"} 1`,
		`hiretrack_http_request_duration_seconds_count{route="PUT /tracks/candidate/advance",status="200"} 1`,
		`hiretrack_transitions_total{kind="advance"} 1`,
		`hiretrack_transitions_total{kind="move"} 1`,
		`hiretrack_transitions_total{kind="reject"} 1`,
		`hiretrack_transitions_total{kind="unreject"} 1`,
		`hiretrack_transitions_total{kind="hire"} 1`,
		`hiretrack_transitions_total{kind="import"} 1`,
		`hiretrack_emails_queued_total{kind="invite"} 1`,
		`hiretrack_emails_queued_total{kind="rejection"} 1`,
		`hiretrack_emails_sent_total{kind="invite"} 1`,
		`hiretrack_emails_sent_total{kind="rejection"} 1`,
		`hiretrack_email_attempts_failed_total{kind="invite"} 1`,
		`hiretrack_email_attempts_failed_total{kind="rejection"} 0`,
		`hiretrack_emails_failed_total{kind="invite"} 0`,
		`hiretrack_emails_failed_total{kind="rejection"} 0`,
		`hiretrack_queue_jobs{state="available"} 0`,
		`hiretrack_queue_jobs{state="retryable"} 0`,
		`hiretrack_queue_jobs{state="scheduled"} 0`,
		`hiretrack_queue_oldest_available_job_age_seconds 0`,
	} {
		require.Contains(t, lines, want)
	}

	if e.dialect == sqlstore.SQLite {
		require.Contains(t, lines, `go_sql_max_open_connections{db_name="write"} 1`)
		require.Contains(t, lines, `go_sql_max_open_connections{db_name="read"} 4`)
	} else {
		require.Contains(t, lines, fmt.Sprintf(`go_sql_max_open_connections{db_name="read_write"} %d`, sqlstore.DefaultMaxConns))
	}

	// Route labels are patterns, so no invite token reaches the metrics.
	token := advanced.InviteLink[strings.LastIndexByte(advanced.InviteLink, '/')+1:]
	require.NotEmpty(t, token)
	require.NotContains(t, strings.Join(lines, "\n"), token)
}

// idleArgs are the arguments of a job kind that no worker runs.
type idleArgs struct{}

func (idleArgs) Kind() string { return "metrics_test_idle" }

func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	// A job on a queue that the server does not work stays available once
	// River's scheduler has made it due.
	db := e.openDB()
	defer db.Close()
	var driver riverdriver.Driver[*sql.Tx] = riversqlite.New(db)
	if e.dialect == sqlstore.Postgres {
		driver = riverdatabasesql.New(db)
	}
	client, err := river.NewClient(driver, &river.Config{})
	require.NoError(t, err)
	_, err = client.Insert(context.Background(), idleArgs{}, &river.InsertOpts{
		Queue: "unworked", ScheduledAt: time.Now().Add(-time.Hour),
	})
	require.NoError(t, err)

	lines := e.waitForMetrics(`hiretrack_queue_jobs{state="available"} 1`)

	age := metricValue(t, lines, "hiretrack_queue_oldest_available_job_age_seconds")
	require.GreaterOrEqual(t, age, 3600.0)
	require.Less(t, age, 3600.0+metricsTimeout.Seconds()+5)
	require.Contains(t, lines, `hiretrack_queue_jobs{state="scheduled"} 0`)
	require.Contains(t, lines, `hiretrack_queue_jobs{state="running"} 0`)
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e, logs := setupWithLog(t, options{})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Di Example", "di@example.com", "getlink")

	req, err := http.NewRequest("GET", e.srv.URL()+"/tracks", nil)
	require.NoError(t, err)
	req.Header.Set("apiKey", e.key)
	req.Header.Set("X-Request-Id", "log-test-tracks")
	r := e.send(req)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	p := e.getPage(inv.InviteLink)
	require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)

	var tracks, page map[string]any
	for _, record := range logs.records(t, "request") {
		switch record["route"] {
		case "GET /tracks":
			tracks = record
		case "GET /invite/{token}":
			page = record
		}
	}

	require.NotNil(t, tracks, "no request record for GET /tracks; log: %s", logs.String())
	require.Equal(t, "INFO", tracks["level"])
	require.Equal(t, "GET", tracks["method"])
	require.Equal(t, 200.0, tracks["status"])
	require.IsType(t, 0.0, tracks["duration_ms"])
	require.GreaterOrEqual(t, tracks["duration_ms"].(float64), 0.0)
	require.Equal(t, "log-test-tracks", tracks["request_id"])
	require.Equal(t, strings.TrimPrefix(actorOf(e.key), "key:"), tracks["key_prefix"])

	require.NotNil(t, page, "no request record for the candidate page; log: %s", logs.String())
	require.Equal(t, "GET", page["method"])
	require.Equal(t, 200.0, page["status"])
	require.Equal(t, "", page["key_prefix"])
	require.Len(t, page["request_id"], 24, "a generated request id is 12 random bytes in hex")

	token := inv.InviteLink[strings.LastIndexByte(inv.InviteLink, '/')+1:]
	require.NotContains(t, logs.String(), token)
}
