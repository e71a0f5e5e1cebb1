package app_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

func TestTmpPerf(t *testing.T) {
	if os.Getenv("TMP_PERF") == "" {
		t.Skip()
	}
	e := setup(t, options{})
	tr := e.newTrack("Big")
	p, err := e.srv.Store().Authenticate(context.Background(), secret.Hash(e.key))
	require.NoError(t, err)
	db := e.openDB()
	defer db.Close()
	n := 1000000
	start := time.Now()
	_, err = db.Exec(`PRAGMA journal_mode=WAL`)
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < %d)
		INSERT INTO candidates (company_id, name, email, email_key, created_at)
		SELECT %d, 'Cand ' || (abs(random()) %% 100000), 'c' || i || '@example.com', 'c' || i || '@example.com', strftime('%%Y-%%m-%%dT%%H:%%M:%%f000Z', 'now', '-' || (i %% 1000) || ' minutes') FROM s`, n, p.CompanyID),
		fmt.Sprintf(`INSERT INTO applications (company_id, track_id, candidate_id, stage_id, status, created_at, updated_at)
		SELECT company_id, %d, id, '%s', CASE WHEN id %% 10 = 0 THEN 'rejected' ELSE 'active' END, created_at, created_at FROM candidates WHERE company_id = %d`, tr.ID, tr.Stages[0].ID, p.CompanyID),
		fmt.Sprintf(`INSERT INTO responses (company_id, application_id, stage_id, module_id, invite_status, token_hash, token_sealed, invited_at, expires_at, score)
		SELECT company_id, id, stage_id, %d, CASE WHEN id %% 3 = 0 THEN 'Completed' ELSE 'Pending' END, 'h' || id, x'00', created_at, '2099-01-01T00:00:00.000000Z', CASE WHEN id %% 2 = 0 THEN (id %% 100) ELSE NULL END FROM applications WHERE track_id = %d`, *tr.Stages[0].ModuleID, tr.ID),
		`UPDATE applications SET name_key = (SELECT lower(name) FROM candidates c WHERE c.id = candidate_id), email_key = (SELECT email_key FROM candidates c WHERE c.id = candidate_id),
		  score = (SELECT score FROM responses r WHERE r.application_id = applications.id), stage_invite_status = (SELECT invite_status FROM responses r WHERE r.application_id = applications.id), stage_invite_expires_at = '2099-01-01T00:00:00.000000Z'`,
	}
	for _, s := range stmts {
		_, err := tx.Exec(s)
		require.NoError(t, err, s)
	}
	require.NoError(t, tx.Commit())
	_, err = db.Exec(`ANALYZE`)
	t.Logf("seeded in %v", time.Since(start))
	_, err = db.Exec(`VACUUM INTO '/tmp/perf/big.db'`)
	require.NoError(t, err)
	t.Logf("track %d stage1 %s stage2 %s", tr.ID, tr.Stages[0].ID, tr.Stages[1].ID)
	_ = hiretrack.SortName

	for _, q := range []string{"", "sort=name", "sort=-name", "sort=score", "sort=-score", "sort=-last_updated_at", "page=2000&per_page=200",
		"name=cand+123", "email=c99999", "status=rejected", "invite_status=Completed", "status=rejected&sort=-score", "stage_id=" + url.QueryEscape(tr.Stages[1].ID), "per_page=200&sort=name"} {
		e.mustListApplicants(tr.ID, q)
		st := time.Now()
		page := e.mustListApplicants(tr.ID, q)
		d1 := time.Since(st)
		var d2 time.Duration
		if page.Next != nil {
			u, _ := url.Parse(*page.Next)
			next := u.Query()
			st = time.Now()
			for i := 0; i < 5 && page.Next != nil; i++ {
				page = e.followNext(*page.Next)
			}
			d2 = time.Since(st) / 5
			_ = next
		}
		t.Logf("%-40s first %8v next(avg of 5) %8v total %d", q, d1, d2, page.Total)
	}
	for _, q := range []string{
		`SELECT count(*) FROM applications a WHERE a.track_id = 1`,
	} {
		rows, _ := db.Query("EXPLAIN QUERY PLAN " + q)
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			t.Log(d)
		}
	}
}
