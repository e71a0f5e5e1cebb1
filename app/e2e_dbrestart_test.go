package app_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/internal/pgtest"
)

// unavailableMessage is the message of every 503 database_unavailable error.
const unavailableMessage = "the database is not reachable at the moment; retry the request in a few seconds"

// requireUnavailable checks a 503 database_unavailable response.
func requireUnavailable(t *testing.T, r result) {
	t.Helper()
	requireError(t, r, http.StatusServiceUnavailable, "database_unavailable", "")
	require.Equal(t, unavailableMessage, r.Body["error"].(map[string]any)["message"])
	require.Equal(t, "5", r.Header.Get("Retry-After"))
}

// TestDatabaseRestart restarts the PostgreSQL server under a running
// hiretrack. While the database is down, requests and /readyz fail with
// 503. Once it is back, the same server serves requests again.
//
// It runs in the PostgreSQL mode of the tests only. It restarts a server
// of its own, never the one of HIRETRACK_TEST_POSTGRES, and fails when the
// PostgreSQL binaries are missing. On SQLite, which is a file in the
// server's process, the nearest case is a file that another process keeps
// locked, covered in sqlstore's TestIsUnavailable.
func TestDatabaseRestart(t *testing.T) {
	if os.Getenv(postgresEnv) == "" {
		t.Skip("runs only with " + postgresEnv + " set: it restarts a PostgreSQL server that it starts itself")
	}
	t.Parallel()
	pg := pgtest.Start(t)
	e := setup(t, options{db: pg.URL()})
	tr := e.newTrack("Backend Engineer")
	inv := e.invite(tr.ID, "Dana Downtime", "dana@example.com", "getlink")
	applicantPath := fmt.Sprintf("/tracks/%d/applicants/%d", tr.ID, inv.ApplicationID)

	pg.Stop(t)

	requireUnavailable(t, e.do("GET", applicantPath, nil))
	requireUnavailable(t, e.do("POST", "/tracks/invite", map[string]any{
		"candidate_name": "Lost Write", "candidate_email": "lost@example.com", "track_id": tr.ID, "invite_format": "getlink",
	}))
	ready := e.doWithKey("", "GET", "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, ready.Status, "body: %s", ready.Raw)
	require.Equal(t, []string{"database=failed", "migrations=failed", "queue=ok"}, decode[readiness](t, ready).checkStates())
	p := e.getPage(inv.InviteLink)
	require.Equal(t, http.StatusServiceUnavailable, p.Status)
	require.Contains(t, p.HTML, "<h1>Temporarily unavailable</h1>")
	require.Equal(t, "5", p.Header.Get("Retry-After"))

	pg.Restart(t)

	// The pool drops the connections that the restart closed and opens new
	// ones. A request that still meets a dead one gets 503, and the next
	// one succeeds.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := e.do("GET", applicantPath, nil)
		if r.Status == http.StatusOK {
			break
		}
		requireUnavailable(t, r)
		require.True(t, time.Now().Before(deadline), "the server did not recover within 15 s")
		time.Sleep(100 * time.Millisecond)
	}
	again := e.invite(tr.ID, "Ray Recovered", "ray@example.com", "getlink")
	require.Equal(t, inv.ApplicationID+1, again.ApplicationID, "the invite that got 503 wrote nothing")
	ready = e.doWithKey("", "GET", "/readyz", nil)
	require.Equal(t, http.StatusOK, ready.Status, "body: %s", ready.Raw)
	require.Equal(t, http.StatusOK, e.getPage(inv.InviteLink).Status)
	list := e.do("GET", fmt.Sprintf("/tracks/%d/applicants", tr.ID), nil)
	require.Equal(t, http.StatusOK, list.Status, "body: %s", list.Raw)
	require.Len(t, list.Body["data"], 2)
}
