package crashtest

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/smtptest"
	_ "github.com/hiretrack/hiretrack/sqlstore" // registers the "sqlite" and "pgx" drivers
)

// The load: applications of a three-stage track, each advanced twice with
// sendlink by one of workers goroutines, and the server killed once
// killAfter advances were acknowledged, while the others are in flight.
const (
	applications = 60
	workers      = 8
	killAfter    = 50
)

// emailTimeout is the --email-timeout of the server. Jobs that the killed
// process left running are run again once they have run for twice this.
const emailTimeout = "2s"

// deliveryTimeout bounds the wait for the emails after the restart. River's
// leader lease of the killed process expires up to 15 s after the kill, and
// only the new leader runs the left jobs again.
const deliveryTimeout = 45 * time.Second

func TestKillUnderLoad(t *testing.T) {
	bin := buildBinary(t)

	t.Run("SQLite", func(t *testing.T) {
		run(t, bin, filepath.Join(t.TempDir(), "hiretrack.db"))
	})
	if server := os.Getenv("HIRETRACK_TEST_POSTGRES"); server != "" {
		t.Run("PostgreSQL", func(t *testing.T) {
			run(t, bin, createDatabase(t, server))
		})
	}
}

// run drives the load against a server on db, kills it, restarts it and
// checks what it finds.
func run(t *testing.T, bin, db string) {
	dir := t.TempDir()
	// A slow mail server keeps email jobs running when the kill comes, so
	// that some must be run again after the restart.
	smtp := smtptest.Start(t)
	smtp.Delay(200 * time.Millisecond)
	base := []string{"--db", db, "--data-dir", filepath.Join(dir, "data")}
	key := createKey(t, bin, base)
	addr := freeAddr(t)
	serve := append([]string{"serve", "--addr", addr, "--smtp-url", smtp.URL(), "--rate-limit", "0",
		"--email-timeout", emailTimeout}, base...)
	logPath := filepath.Join(dir, "server.log")
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("server log:\n%s", log)
		}
	})

	server := start(t, bin, serve, logPath)
	c := &client{t: t, base: "http://" + addr, key: key, http: &http.Client{Timeout: 10 * time.Second}}
	tr := seed(c)
	waitForRunningJobs(t, db)

	acks, unknown := load(t, c, tr, server)
	t.Logf("killed after %d acknowledged advances; %d requests got no response", len(acks), unknown)
	require.GreaterOrEqual(t, len(acks), killAfter)

	t.Logf("after the kill: %d email jobs running, %d waiting", countJobs(t, db, "running"), countJobs(t, db, "available"))

	start(t, bin, serve, logPath)
	advanced := checkApplications(t, c, tr, acks)
	t.Logf("%d emails queued, for the invites and %d acknowledged advances", len(advanced), len(acks))
	checkJobs(t, db, advanced)
	checkEmails(t, c, tr, smtp, advanced)
}

// track is the seeded track and its applications.
type track struct {
	ID           int64
	Stages       []string // stage ids in order
	Applications []int64
}

// seed creates a track of an assessment and two reviews, and applications
// whose assessment, the track invitation, is completed, so they can advance.
// The invites are emailed, so the email workers are busy when the load starts.
func seed(c *client) track {
	var modules []int64
	for _, m := range []map[string]any{
		{"type": "assessment", "name": "Go exercise", "launch_url": "https://assessments.example.com/go"},
		{"type": "review", "name": "Portfolio review"},
		{"type": "review", "name": "Final review"},
	} {
		var created struct {
			ID int64 `json:"module_id"`
		}
		c.must("POST", "/modules", m, http.StatusCreated, &created)
		modules = append(modules, created.ID)
	}

	var created struct {
		ID     int64 `json:"track_id"`
		Stages []struct {
			ID string `json:"stage_id"`
		} `json:"stages"`
	}
	c.must("POST", "/tracks", map[string]any{"title": "Backend Engineer", "stages": []map[string]any{
		{"name": "Coding exercise", "type": "assessment", "module_id": modules[0]},
		{"name": "Portfolio review", "type": "review", "module_id": modules[1]},
		{"name": "Final review", "type": "review", "module_id": modules[2]},
	}}, http.StatusCreated, &created)
	tr := track{ID: created.ID}
	for _, s := range created.Stages[:3] {
		tr.Stages = append(tr.Stages, s.ID)
	}

	for i := range applications {
		var inv struct {
			ApplicationID int64 `json:"application_id"`
			ResponseID    int64 `json:"response_id"`
		}
		c.must("POST", "/tracks/invite", map[string]any{
			"track_id": tr.ID, "candidate_name": fmt.Sprintf("Candidate %d", i),
			"candidate_email": fmt.Sprintf("c%d@example.com", i), "invite_format": "sendlink",
		}, http.StatusCreated, &inv)
		c.must("POST", fmt.Sprintf("/responses/%d/result", inv.ResponseID),
			map[string]any{"status": "completed", "score": 80}, http.StatusOK, nil)
		tr.Applications = append(tr.Applications, inv.ApplicationID)
	}
	return tr
}

// ack is an advance that the server acknowledged with 200.
type ack struct {
	ApplicationID int64
	ResponseID    int64
	StageID       string
}

// load advances every application twice from workers goroutines and kills
// the server with SIGKILL once killAfter advances were acknowledged. It
// returns the acknowledged advances and the number of requests that got no
// response, whose outcome is unknown.
func load(t *testing.T, c *client, tr track, server *process) ([]ack, int64) {
	var (
		mu      sync.Mutex
		acks    []ack
		acked   atomic.Int64
		unknown atomic.Int64
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(tr.Applications); i += workers {
				source := tr.Stages[0]
				for range 2 {
					var body struct {
						ResponseID int64  `json:"response_id"`
						StageID    string `json:"stage_id"`
					}
					status, err := c.call("PUT", "/tracks/candidate/advance", map[string]any{
						"track_id": tr.ID, "application_id": tr.Applications[i], "invite_format": "sendlink",
						"source_stage_id": source,
					}, &body)
					if err != nil {
						unknown.Add(1)
						return // the server is gone
					}
					if status != http.StatusOK {
						t.Errorf("advance of application %d returned status %d", tr.Applications[i], status)
						return
					}

					mu.Lock()
					acks = append(acks, ack{ApplicationID: tr.Applications[i], ResponseID: body.ResponseID, StageID: body.StageID})
					mu.Unlock()
					acked.Add(1)
					source = body.StageID
				}
			}
		})
	}

	for acked.Load() < killAfter {
		time.Sleep(time.Millisecond)
	}
	server.kill()
	wg.Wait()
	return acks, unknown.Load()
}

// applicant is the part of the applicant detail that the checks read.
type applicant struct {
	CurrentStage struct {
		ID string `json:"stage_id"`
	} `json:"current_stage"`
	Responses []struct {
		ID      int64  `json:"response_id"`
		StageID string `json:"stage_id"`
	} `json:"responses"`
	Timeline []struct {
		Type       string `json:"type"`
		StageID    string `json:"stage_id"`
		ResponseID *int64 `json:"response_id"`
	} `json:"timeline"`
}

// advances returns the response ids and stage ids of the advanced events,
// and the response ids of the email_queued and email_sent events.
func (a applicant) advances() (responses []int64, stages []string, queued, sent []int64) {
	responses, stages, queued, sent = []int64{}, []string{}, []int64{}, []int64{}
	for _, ev := range a.Timeline {
		switch ev.Type {
		case "advanced":
			responses = append(responses, *ev.ResponseID)
			stages = append(stages, ev.StageID)
		case "email_queued":
			queued = append(queued, *ev.ResponseID)
		case "email_sent":
			sent = append(sent, *ev.ResponseID)
		}
	}
	return responses, stages, queued, sent
}

// checkApplications checks that every acknowledged advance is present and
// that each application is whole: its stage, responses and timeline agree.
// It returns the response ids of all emails queued: those of the invites and
// of all advances found, acknowledged or not.
func checkApplications(t *testing.T, c *client, tr track, acks []ack) map[int64]bool {
	acked := map[int64][]ack{}
	for _, a := range acks {
		acked[a.ApplicationID] = append(acked[a.ApplicationID], a)
	}

	advanced := map[int64]bool{}
	for _, id := range tr.Applications {
		var a applicant
		c.must("GET", fmt.Sprintf("/tracks/%d/applicants/%d", tr.ID, id), nil, http.StatusOK, &a)
		responses, stages, queued, _ := a.advances()

		require.Equal(t, tr.Stages[1:1+len(stages)], stages, "application %d: advanced events", id)
		require.Equal(t, tr.Stages[len(stages)], a.CurrentStage.ID, "application %d: stage after %d advances", id, len(stages))
		require.Len(t, a.Responses, 1+len(responses), "application %d: one response per advance and the invite's", id)
		for i, r := range a.Responses[1:] {
			require.Equal(t, responses[i], r.ID, "application %d: response of advance %d", id, i+1)
			require.Equal(t, stages[i], r.StageID, "application %d: stage of response %d", id, r.ID)
		}
		emailed := append([]int64{a.Responses[0].ID}, responses...)
		require.Equal(t, emailed, queued, "application %d: one email_queued event for the invite and for each advance", id)

		for i, want := range acked[id] {
			require.Less(t, i, len(responses), "application %d: acknowledged advance to %s is missing", id, want.StageID)
			require.Equal(t, want.ResponseID, responses[i], "application %d: acknowledged advance %d", id, i+1)
			require.Equal(t, want.StageID, stages[i], "application %d: acknowledged advance %d", id, i+1)
		}
		for _, r := range emailed {
			advanced[r] = true
		}
	}
	return advanced
}

// waitForRunningJobs waits until an email job runs, so that the kill finds
// some running.
func waitForRunningJobs(t *testing.T, db string) {
	deadline := time.Now().Add(10 * time.Second)
	for countJobs(t, db, "running") == 0 {
		require.True(t, time.Now().Before(deadline), "no email job started within 10 s")
		time.Sleep(10 * time.Millisecond)
	}
}

// countJobs returns the number of email jobs in state.
func countJobs(t *testing.T, source, state string) int {
	db := openDB(t, source)
	defer db.Close()

	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM river_job WHERE state = '"+state+"'").Scan(&n))
	return n
}

// openDB opens the database of the server.
func openDB(t *testing.T, source string) *sql.DB {
	driver := "pgx"
	if !strings.HasPrefix(source, "postgres") {
		driver, source = "sqlite", "file:"+source+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, source)
	require.NoError(t, err)
	return db
}

// checkJobs checks that the database holds exactly one invite email job for
// each advance.
func checkJobs(t *testing.T, source string, advanced map[int64]bool) {
	// River stores the arguments as JSONB, which SQLite keeps in a binary form.
	args := "json(args)"
	if strings.HasPrefix(source, "postgres") {
		args = "args"
	}
	db := openDB(t, source)
	defer db.Close()

	rows, err := db.Query("SELECT " + args + " FROM river_job WHERE kind = 'invite_email'")
	require.NoError(t, err)
	defer rows.Close()
	jobs := map[int64]int{}
	for rows.Next() {
		var raw []byte
		require.NoError(t, rows.Scan(&raw))
		var args struct {
			ResponseID int64 `json:"response_id"`
		}
		require.NoError(t, json.Unmarshal(raw, &args))
		jobs[args.ResponseID]++
	}
	require.NoError(t, rows.Err())

	want := map[int64]int{}
	for r := range advanced {
		want[r] = 1
	}
	require.Equal(t, want, jobs, "invite email jobs by response id")
}

// checkEmails waits until every advance's email has arrived at the SMTP
// server and is recorded as email_sent. A message that the killed process
// sent but could not mark as done arrives twice, with the same Message-ID.
func checkEmails(t *testing.T, c *client, tr track, smtp *smtptest.Server, advanced map[int64]bool) {
	deadline := time.Now().Add(deliveryTimeout)
	var byResponse map[int64][]string
	for {
		byResponse = map[int64][]string{}
		for _, m := range smtp.Messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			require.NoError(t, err)
			id, err := strconv.ParseInt(msg.Header.Get("X-Hiretrack-Response-ID"), 10, 64)
			require.NoError(t, err)
			byResponse[id] = append(byResponse[id], msg.Header.Get("Message-ID"))
		}
		if len(byResponse) >= len(advanced) {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d of %d emails arrived within %s", len(byResponse), len(advanced), deliveryTimeout)
		time.Sleep(100 * time.Millisecond)
	}

	duplicates := 0
	for id, messageIDs := range byResponse {
		require.True(t, advanced[id], "email for response %d, which no advance created", id)
		require.Len(t, slices.Compact(messageIDs), 1, "copies of one email carry one Message-ID")
		duplicates += len(messageIDs) - 1
	}
	t.Logf("%d emails arrived, %d of them twice", len(byResponse), duplicates)

	for _, id := range tr.Applications {
		for {
			var a applicant
			c.must("GET", fmt.Sprintf("/tracks/%d/applicants/%d", tr.ID, id), nil, http.StatusOK, &a)
			_, _, queued, sent := a.advances()
			if len(slices.Compact(slices.Sorted(slices.Values(sent)))) == len(queued) {
				break
			}
			require.True(t, time.Now().Before(deadline), "application %d: email_sent for %v of %v", id, sent, queued)
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// process is a running hiretrack binary.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs the binary with args, appending its output to logPath, and
// waits until /healthz returns 200. It kills the process when the test ends.
func start(t *testing.T, bin string, args []string, logPath string) *process {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	t.Cleanup(p.kill)

	healthz := "http://" + args[slices.Index(args, "--addr")+1] + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			require.FailNow(t, "the server exited at start", "state: %s", cmd.ProcessState)
		default:
		}
		resp, err := http.Get(healthz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		require.True(t, time.Now().Before(deadline), "the server did not respond on /healthz within 30 s")
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL, which the process cannot catch, and waits until it is gone.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// buildBinary builds cmd/hiretrack with the go command that runs the test.
func buildBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "hiretrack")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/hiretrack/hiretrack/cmd/hiretrack").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// createKey creates a company and an API key with the binary.
func createKey(t *testing.T, bin string, base []string) string {
	out, err := exec.Command(bin, append([]string{"keys", "create", "--company", "Acme"}, base...)...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// createDatabase creates a database on the PostgreSQL server at serverURL,
// drops it when the test ends and returns its URL.
func createDatabase(t *testing.T, serverURL string) string {
	admin, err := sql.Open("pgx", serverURL)
	require.NoError(t, err)
	name := "ht_crash_" + strings.ToLower(rand.Text())
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		defer admin.Close()
		_, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		require.NoError(t, err)
	})

	u, err := url.Parse(serverURL)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// client sends API requests with one key.
type client struct {
	t    *testing.T
	base string
	key  string
	http *http.Client
}

// call sends a JSON request and decodes a JSON response into out when out is
// not nil. It returns an error only when no response came.
func (c *client) call(method, path string, body, out any) (int, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		return 0, err
	}
	req.Header.Set("apiKey", c.key)
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", raw, err)
		}
	}
	return resp.StatusCode, nil
}

// must sends a request and requires the status want.
func (c *client) must(method, path string, body any, want int, out any) {
	c.t.Helper()
	status, err := c.call(method, path, body, out)
	require.NoError(c.t, err)
	require.Equal(c.t, want, status, "%s %s", method, path)
}
