package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/internal/smtptest"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// requestsPerApplication is how many advances of one application the
// multi-node race sends, half to each server.
const requestsPerApplication = 10

// multiNodeApplications is how many applications the multi-node race advances at once.
const multiNodeApplications = 6

// skipWithoutPostgres skips a test of several servers when postgresEnv is not set.
func skipWithoutPostgres(t *testing.T) {
	t.Helper()
	if os.Getenv(postgresEnv) == "" {
		t.Skip(postgresEnv + " is not set; the multi-node tests need a PostgreSQL server URL, " +
			"such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	}
}

// newServerKey returns a random server key in hex, as --secret-key takes it.
func newServerKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, secret.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return hex.EncodeToString(key)
}

// setupTwoNodes starts two servers on one PostgreSQL database, as two nodes
// behind a load balancer run: with the same server key and public URL, and
// emails to one SMTP server. It skips the test when postgresEnv is not set.
func setupTwoNodes(t *testing.T, smtpURL string) (*env, *env) {
	t.Helper()
	skipWithoutPostgres(t)
	first := setup(t, options{smtpURL: smtpURL, secretKey: newServerKey(t)})
	cfg := first.cfg
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.PublicURL = first.srv.PublicURL()

	second := *first
	second.cfg = cfg
	second.dataDir = cfg.DataDir
	second.srv = startServer(t, cfg)
	return first, &second
}

// nodeRequest is one request of a race across servers.
type nodeRequest struct {
	node *env
	apiRequest
}

// raceNodes sends all requests at once, each to its own server on its own
// connection, and returns their results in order.
func raceNodes(t *testing.T, requests []nodeRequest) []raceResult {
	t.Helper()
	prepared := make([]*http.Request, len(requests))
	for i, r := range requests {
		data, err := json.Marshal(r.body)
		require.NoError(t, err)
		req, err := http.NewRequest(r.method, r.node.srv.URL()+r.path, bytes.NewReader(data))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("apiKey", r.node.key)
		prepared[i] = req
	}

	results := make([]raceResult, len(prepared))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range prepared {
		wg.Go(func() {
			<-start
			results[i] = requests[i].node.sendForRace(req)
		})
	}
	close(start)
	wg.Wait()

	for i, r := range results {
		require.NoError(t, r.err, "request %d", i)
	}
	return results
}

func TestMultiNodeAdvance(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	a, b := setupTwoNodes(t, smtp.URL())
	nodes := []*env{a, b}
	tr := a.newTrack("Backend Engineer")

	// Each node invites and completes the forms of half the candidates.
	invitations := make([]invitation, multiNodeApplications)
	for i := range invitations {
		node := nodes[i%2]
		invitations[i] = node.invite(tr.ID, fmt.Sprintf("Node Candidate %d", i), fmt.Sprintf("node%d@example.com", i), "sendlink")
		nodes[(i+1)%2].completeForm(invitations[i].InviteLink)
	}

	var requests []nodeRequest
	for i := range requestsPerApplication {
		for _, inv := range invitations {
			requests = append(requests, nodeRequest{nodes[i%2], apiRequest{"PUT", "/tracks/candidate/advance", map[string]any{
				"track_id": tr.ID, "application_id": inv.ApplicationID, "invite_format": "sendlink",
				"source_stage_id": tr.Stages[0].ID,
			}}})
		}
	}
	results := raceNodes(t, requests)

	require.Equal(t, map[string]int{
		"200": multiNodeApplications, "409 stage_mismatch": multiNodeApplications * (requestsPerApplication - 1),
	}, tally(results))
	winners := map[float64]raceResult{}
	for _, r := range successes(results) {
		id := r.body["application_id"].(float64)
		require.NotContains(t, winners, id, "two advances of application %v succeeded", id)
		winners[id] = r
	}
	for _, inv := range invitations {
		require.Contains(t, winners, float64(inv.ApplicationID))
		require.Equal(t, tr.Stages[1].ID, a.state(inv.ApplicationID).StageID)
		require.Equal(t, applicationCounts{Responses: 2, AdvancedEvents: 1, QueuedEmails: 2}, a.applicationCounts(inv.ApplicationID))
	}

	t.Run("EmailsDeliveredOnce", func(t *testing.T) {
		a := a.forTest(t)
		smtp.WaitForMessages(t, 2*multiNodeApplications, mailTimeout)
		a.waitForJobsDone("invite_email")

		require.Equal(t, 0, a.countRows(`SELECT count(*) FROM river_job WHERE kind = 'invite_email' AND attempt <> 1`),
			"an invite job ran more than once")
		messages := smtp.Messages()
		require.Len(t, messages, 2*multiNodeApplications)
		received := map[string]int{}
		for _, m := range messages {
			require.Len(t, m.To, 1)
			received[m.To[0]]++
		}
		for i, inv := range invitations {
			address := fmt.Sprintf("node%d@example.com", i)
			require.Equal(t, 2, received[address], "messages to %s", address)

			detail := a.applicant(tr.ID, inv.ApplicationID)
			require.Len(t, detail.eventsOfType("email_sent"), 2, "application %d", inv.ApplicationID)
		}
	})

	t.Run("LinkWorksOnOtherNode", func(t *testing.T) {
		winner := winners[float64(invitations[0].ApplicationID)]
		link := winner.body["invite_link"].(string)
		for _, node := range nodes {
			p := node.forTest(t).getPage(node.srv.URL() + link[len(a.srv.PublicURL()):])
			require.Equal(t, http.StatusOK, p.Status, "page: %s", p.HTML)
			require.Contains(t, p.HTML, assessmentStage)
		}
	})
}

func TestMultiNodeInviteSameEmail(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	a, b := setupTwoNodes(t, smtp.URL())
	tr := a.newTrack("Backend Engineer")

	requests := make([]nodeRequest, requestsPerApplication)
	for i := range requests {
		node := a
		if i%2 == 1 {
			node = b
		}
		requests[i] = nodeRequest{node, apiRequest{"POST", "/tracks/invite", map[string]any{
			"candidate_name": "Sam Same", "candidate_email": "sam@example.com", "track_id": tr.ID, "invite_format": "sendlink",
		}}}
	}
	results := raceNodes(t, requests)

	require.Equal(t, map[string]int{"201": 1, "200": requestsPerApplication - 1}, tally(results))
	applicationID := results[0].body["application_id"]
	for i, r := range results {
		require.Equal(t, applicationID, r.body["application_id"], "request %d: body %s", i, r.raw)
	}
	require.Equal(t, 1, a.countRows(`SELECT count(*) FROM candidates`))
	require.Equal(t, 1, a.countRows(`SELECT count(*) FROM applications`))
	require.Equal(t, 1, a.countRows(`SELECT count(*) FROM responses`))

	// Every invite queued its own email, and each is delivered once.
	smtp.WaitForMessages(t, requestsPerApplication, mailTimeout)
	a.waitForJobsDone("invite_email")
	require.Len(t, smtp.Messages(), requestsPerApplication)
	require.Equal(t, requestsPerApplication, a.countRows(`SELECT count(*) FROM river_job WHERE kind = 'invite_email' AND attempt = 1`))
	detail := a.applicant(tr.ID, int64(applicationID.(float64)))
	require.Len(t, detail.eventsOfType("invited"), 1)
	require.Len(t, detail.eventsOfType("reinvited"), requestsPerApplication-1)
	require.Len(t, detail.eventsOfType("email_queued"), requestsPerApplication)
}

func TestMultiNodeStartTogether(t *testing.T) {
	t.Parallel()
	skipWithoutPostgres(t)
	const servers = 3
	cfg := app.Config{
		Addr: "127.0.0.1:0", DB: testDatabase(t, t.TempDir()), SecretKey: newServerKey(t),
		SMTPFrom: "hiretrack <no-reply@example.com>", ShutdownTimeout: 10e9,
	}

	// All servers migrate the empty database at once.
	started := make([]*app.Server, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range servers {
		cfg := cfg
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
		wg.Go(func() {
			started[i], errs[i] = app.Start(context.Background(), cfg, testLogger(t))
		})
	}
	wg.Wait()
	for i, srv := range started {
		if srv != nil {
			t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
		}
		require.NoError(t, errs[i], "server %d", i)
	}

	e := &env{t: t, srv: started[0], cfg: cfg, dialect: sqlstore.Postgres}
	require.Equal(t, 1, e.countRows(`SELECT count(*) FROM goose_db_version WHERE version_id = 4`),
		"the schema migration must be applied once")
	for i, srv := range started {
		resp, err := contractClient(t).Get(srv.URL() + "/healthz")
		require.NoError(t, err, "server %d", i)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "server %d", i)
	}
}
