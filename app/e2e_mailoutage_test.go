package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// fastRetry replaces River's backoff, whose waits grow from 1 s to hours,
// so that a test runs many failed attempts within seconds.
func fastRetry(int) time.Duration { return 50 * time.Millisecond }

// jobRow is one email job as the river_job table holds it.
type jobRow struct {
	State   string
	Attempt int
}

// emailJobs returns the state and attempt count of every email job, oldest first.
func (e *env) emailJobs() []jobRow {
	e.t.Helper()
	db := e.openDB()
	defer db.Close()

	rows, err := db.Query("SELECT state, attempt FROM river_job ORDER BY id")
	require.NoError(e.t, err)
	defer rows.Close()
	var jobs []jobRow
	for rows.Next() {
		var j jobRow
		require.NoError(e.t, rows.Scan(&j.State, &j.Attempt))
		jobs = append(jobs, j)
	}
	require.NoError(e.t, rows.Err())
	return jobs
}

// waitForJobs polls the email jobs until done returns true for all of them.
func (e *env) waitForJobs(what string, done func(jobRow) bool) []jobRow {
	e.t.Helper()
	deadline := time.Now().Add(mailTimeout)
	for {
		jobs := e.emailJobs()
		if len(jobs) > 0 && !slices.ContainsFunc(jobs, func(j jobRow) bool { return !done(j) }) {
			return jobs
		}
		if time.Now().After(deadline) {
			require.FailNow(e.t, "timed out waiting for email jobs", "not all jobs %s within %s: %+v", what, mailTimeout, jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMailServerOutage stops the SMTP server before invites are sent, lets
// every email fail several times, starts the server again and checks that
// each invite arrives exactly once.
func TestMailServerOutage(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	smtp.Stop()
	e := setup(t, options{smtpURL: smtp.URL(), emailMaxAttempts: 25, emailRetryDelay: fastRetry})
	tr := e.newTrack("Backend Engineer")

	var invites []invitation
	for i := range 5 {
		invites = append(invites, e.invite(tr.ID, fmt.Sprintf("Candidate %d", i), fmt.Sprintf("c%d@example.com", i), "sendlink"))
	}
	// River counts an attempt when it starts one, so a running third attempt
	// has not failed yet and could still succeed after the restart below.
	e.waitForJobs("failed 3 times", func(j jobRow) bool { return j.Attempt >= 3 && j.State != "running" })

	require.Empty(t, smtp.Messages())
	for _, inv := range invites {
		a := e.applicant(tr.ID, inv.ApplicationID)
		require.Equal(t, []string{"invited", "email_queued"}, a.eventTypes(), "a failed attempt that River retries is not in the timeline")
	}

	smtp.Restart(t)
	smtp.WaitForMessages(t, len(invites), mailTimeout)
	jobs := e.waitForJobs("completed", func(j jobRow) bool { return j.State == "completed" })

	// Every job has completed, so no further message can come.
	messages := smtp.Messages()
	require.Len(t, messages, len(invites))
	byRecipient := map[string]email{}
	for _, m := range messages {
		require.Len(t, m.To, 1)
		require.NotContains(t, byRecipient, m.To[0], "message sent twice")
		byRecipient[m.To[0]] = parseEmail(t, m.Data)
	}
	for i, inv := range invites {
		requireInviteEmail(t, byRecipient[inv.Email], inv.Name, inv.Email, "Backend Engineer", formStage, inv.InviteLink)

		a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_sent")
		require.Equal(t, []string{"invited", "email_queued", "email_sent"}, a.eventTypes())
		require.JSONEq(t, fmt.Sprintf(`{"attempt": %d}`, jobs[i].Attempt), string(a.Timeline[2].Data))
		require.GreaterOrEqual(t, jobs[i].Attempt, 4, "the attempt that succeeded follows at least 3 failed ones")
	}
}

// TestMailGivesUp keeps the SMTP server down until an invite has used its
// attempts, and checks that the applicant detail shows the failure and that
// the email is not sent once the server is back.
func TestMailGivesUp(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	smtp.Stop()
	e := setup(t, options{smtpURL: smtp.URL(), emailMaxAttempts: 3, emailRetryDelay: fastRetry})
	tr := e.newTrack("Backend Engineer")

	inv := e.invite(tr.ID, "Gil Giveup", "gil@example.com", "sendlink")

	a := e.waitForEvent(tr.ID, inv.ApplicationID, "email_failed")
	require.Equal(t, []string{"invited", "email_queued", "email_failed"}, a.eventTypes())
	failed := a.Timeline[2]
	require.Equal(t, "system", failed.Actor)
	require.Equal(t, &inv.ResponseID, failed.ResponseID)
	require.Equal(t, tr.Stages[0].ID, failed.StageID)
	var data struct {
		Attempt int    `json:"attempt"`
		Error   string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(failed.Data, &data))
	require.Equal(t, 3, data.Attempt)
	require.True(t, strings.HasPrefix(data.Error, "send mail to SMTP server "+smtp.Addr()+": "), "error: %s", data.Error)
	require.Contains(t, data.Error, "connection refused")
	jobs := e.waitForJobs("discarded", func(j jobRow) bool { return j.State != "running" })
	require.Equal(t, []jobRow{{State: "discarded", Attempt: 3}}, jobs)

	// The job is discarded, so the restarted server gets nothing, even after
	// more than one poll interval of the queue.
	smtp.Restart(t)
	time.Sleep(2 * time.Second)
	require.Empty(t, smtp.Messages())
	require.Equal(t, []string{"invited", "email_queued", "email_failed"}, e.applicant(tr.ID, inv.ApplicationID).eventTypes())
}

func TestEmailMaxAttemptsFlag(t *testing.T) {
	t.Parallel()

	t.Run("OutOfRange", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		code, _, stderr := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "h.db"),
			"--data-dir", dir, "--email-max-attempts", "26")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid --email-max-attempts 26: it must be from 1 to 25, or 0 for the default of 10\n", stderr)
	})

	t.Run("InvalidEnvironment", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var out, errOut bytes.Buffer
		env := map[string]string{"HIRETRACK_EMAIL_MAX_ATTEMPTS": "many"}
		code := app.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "h.db"), "--data-dir", dir},
			&out, &errOut, func(k string) string { return env[k] })

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid HIRETRACK_EMAIL_MAX_ATTEMPTS \"many\": it must be a whole number from 1 to 25\n", errOut.String())
	})
}
