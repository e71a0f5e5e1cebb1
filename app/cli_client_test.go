package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/client"
)

// apiClient returns a typed client of the test server with the env's key,
// whose exchanges are checked against the OpenAPI document.
func (e *env) apiClient() *client.Client {
	return e.apiClientWith(e.key)
}

// apiClientWith returns a checked typed client of the test server with key.
func (e *env) apiClientWith(key string) *client.Client {
	return client.New(e.srv.URL(), key, client.WithHTTPClient(contractClient(e.t)))
}

// clientTrack creates, with the typed client, a track of a form and an
// assessment, and returns it.
func (e *env) clientTrack(title string) client.Track {
	e.t.Helper()
	ctx := context.Background()
	c := e.apiClient()
	form, err := c.CreateModule(ctx, client.ModuleInput{Type: "form", Name: "Application", Questions: []client.Question{
		{Label: "Years of experience with Go", Kind: "text", Required: true},
	}})
	require.NoError(e.t, err)
	coding, err := c.CreateModule(ctx, client.ModuleInput{Type: "assessment", Name: "Go test", LaunchURL: launchURL})
	require.NoError(e.t, err)
	tr, err := c.CreateTrack(ctx, client.TrackInput{Title: title, Stages: []client.StageInput{
		{Name: "Application form", Type: "form", ModuleID: form.ID},
		{Name: "Coding assessment", Type: "assessment", ModuleID: coding.ID},
	}})
	require.NoError(e.t, err)
	return tr
}

// runCLIEnv runs the command line with the given environment.
func runCLIEnv(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx := app.WithClientTransport(context.Background(), withContract(t, nil))
	code = app.Run(ctx, args, &out, &errOut, func(k string) string { return environ[k] })
	return code, out.String(), errOut.String()
}

// clientEnv is the environment that points the client commands at e.
func (e *env) clientEnv() map[string]string {
	return map[string]string{"HIRETRACK_URL": e.srv.URL(), "HIRETRACK_API_KEY": e.key}
}

// links matches invite links, whose tokens are random.
var links = regexp.MustCompile(`http://127\.0\.0\.1:\d+/invite/[A-Za-z0-9_-]+`)

func TestCLIClient(t *testing.T) {
	t.Parallel()

	t.Run("TracksList", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.clientTrack("Backend Engineer")

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "tracks", "list")

		require.Equal(t, 0, code, stderr)
		require.Equal(t, "TRACK  TITLE             STAGES\n"+
			fmt.Sprintf("1      Backend Engineer  1. Application form (form, %s); 2. Coding assessment (assessment, %s)\n",
				tr.Stages[0].ID, tr.Stages[1].ID), stdout)
	})

	t.Run("TracksListFlagsWinOverEnvironment", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		environ := map[string]string{"HIRETRACK_URL": "http://127.0.0.1:1", "HIRETRACK_API_KEY": "htk_wrong"}

		code, stdout, stderr := runCLIEnv(t, environ, "tracks", "list", "--url", e.srv.URL(), "--api-key", e.key)

		require.Equal(t, 0, code, stderr)
		require.Equal(t, "no tracks yet\n", stdout)
	})

	t.Run("WrongKey", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		environ := map[string]string{"HIRETRACK_URL": e.srv.URL(), "HIRETRACK_API_KEY": "htk_wrong"}

		code, _, stderr := runCLIEnv(t, environ, "tracks", "list")

		require.Equal(t, 1, code)
		require.Regexp(t, `^hiretrack: 401 unauthorized: the API key is unknown or revoked \(request id [0-9a-f]{24}\)\n$`, stderr)
	})

	t.Run("MissingKey", func(t *testing.T) {
		code, _, stderr := runCLIEnv(t, nil, "tracks", "list")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: no API key: set --api-key, HIRETRACK_API_KEY or api-key in the [client] table of the config file\n", stderr)
	})

	t.Run("InviteCSV", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.clientTrack("Backend Engineer")
		ctx := context.Background()
		_, err := e.apiClient().Invite(ctx, client.InviteInput{TrackID: tr.ID, CandidateName: "Dana Kim",
			CandidateEmail: "dana@example.com", InviteFormat: client.GetLink})
		require.NoError(t, err)

		path := filepath.Join(t.TempDir(), "candidates.csv")
		require.NoError(t, os.WriteFile(path, []byte(strings.Join([]string{
			"name,email",
			"Ada Lovelace,ada@example.com",
			"Dana Kim,dana@example.com",
			"Ada L.,ADA@example.com",
			"Bob Bad,not-an-address",
			"only one field",
			`Eve "Quoted",eve@example.com`,
			"Finn Last, finn@example.com ",
		}, "\n")+"\n"), 0o600))

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "invite", "--track", fmt.Sprint(tr.ID), "--csv", path)

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: 4 of 7 rows failed; the lines above give the reasons\n", stderr)
		require.Equal(t, "line 2: created application 2 for ada@example.com: LINK\n"+
			"line 3: existing application 1 for dana@example.com: LINK\n"+
			"line 4: failed: duplicate: ADA@example.com is also on line 2; the row was not sent, so that the link of line 2 stays valid\n"+
			"line 5: failed: invalid_field (candidate_email): candidate_email is \"not-an-address\"; it must be a bare email address such as jane@example.com\n"+
			"line 6: failed: the row has 1 fields; name and email need 2\n"+
			"line 7: failed: malformed CSV: bare \" in non-quoted-field\n"+
			"line 8: created application 3 for finn@example.com: LINK\n"+
			path+": 7 rows, 2 created, 1 existing, 4 failed\n",
			links.ReplaceAllString(stdout, "LINK"))

		page, err := e.apiClient().ListApplicants(ctx, tr.ID, client.ApplicantQuery{Sort: "name"})
		require.NoError(t, err)
		require.Equal(t, int64(3), page.Total)
		names := []string{}
		for _, row := range page.Data {
			names = append(names, row.Name+" <"+row.Email+">")
		}
		require.Equal(t, []string{"Ada Lovelace <ada@example.com>", "Dana Kim <dana@example.com>", "Finn Last <finn@example.com>"}, names)
	})

	t.Run("InviteCSVSendLink", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.clientTrack("Backend Engineer")
		path := filepath.Join(t.TempDir(), "candidates.csv")
		require.NoError(t, os.WriteFile(path, []byte("email,name\nada@example.com,Ada Lovelace\n"), 0o600))

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "invite", "--track", fmt.Sprint(tr.ID), "--csv", path, "--sendlink")

		require.Equal(t, 0, code, stderr)
		require.Empty(t, stderr)
		require.Equal(t, "line 2: created application 1 for ada@example.com: LINK\n"+path+": 1 rows, 1 created, 0 existing, 0 failed\n",
			links.ReplaceAllString(stdout, "LINK"))
		detail := e.waitForEvent(tr.ID, 1, "email_sent")
		require.Equal(t, []string{"invited", "email_queued", "email_sent"}, detail.eventTypes())
	})

	t.Run("InviteCSVWithoutHeader", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		path := filepath.Join(t.TempDir(), "candidates.csv")
		require.NoError(t, os.WriteFile(path, []byte("Ada Lovelace,ada@example.com\n"), 0o600))

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "invite", "--track", "1", "--csv", path)

		require.Equal(t, 1, code)
		require.Empty(t, stdout)
		require.Equal(t, "hiretrack: the header row of "+path+" must name the columns name and email, got \"Ada Lovelace,ada@example.com\"\n", stderr)
	})

	t.Run("Advance", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.clientTrack("Backend Engineer")
		imported, err := e.apiClient().Import(context.Background(), client.ImportInput{TrackID: tr.ID,
			CandidateName: "Ana Ruiz", CandidateEmail: "ana@example.com",
			Fields: map[string]string{"Years of experience with Go": "5"}})
		require.NoError(t, err)

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "advance", "--track", fmt.Sprint(tr.ID),
			"--application", fmt.Sprint(imported.ApplicationID), "--sendlink")

		require.Equal(t, 0, code, stderr)
		detail, err := e.apiClient().GetApplicant(context.Background(), tr.ID, imported.ApplicationID)
		require.NoError(t, err)
		latest := detail.Responses[len(detail.Responses)-1]
		require.Equal(t, "application 1 of Ana Ruiz <ana@example.com> advanced to \"Coding assessment\" ("+tr.Stages[1].ID+")\n"+
			fmt.Sprintf("response:   %d\n", latest.ID)+
			"link:       LINK\n"+
			"expires at: "+latest.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")+"\n"+
			"the link was queued for email to the candidate\n",
			links.ReplaceAllString(stdout, "LINK"))
		require.Equal(t, tr.Stages[1].ID, detail.CurrentStage.ID)
	})

	t.Run("AdvancePendingInvitation", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		tr := e.clientTrack("Backend Engineer")
		_, err := e.apiClient().Invite(context.Background(), client.InviteInput{TrackID: tr.ID, CandidateName: "Jane Doe",
			CandidateEmail: "jane@example.com", InviteFormat: client.GetLink})
		require.NoError(t, err)

		code, stdout, stderr := runCLIEnv(t, e.clientEnv(), "advance", "--track", fmt.Sprint(tr.ID), "--application", "1")

		require.Equal(t, 1, code)
		require.Empty(t, stdout)
		require.Regexp(t, `^hiretrack: 409 invitation_pending: the track invitation of application 1 is Pending; `+
			`the candidate must complete stage "Application form" before the application can be advanced \(request id [0-9a-f]{24}\)\n$`, stderr)
	})

	t.Run("AdvanceMissingFlags", func(t *testing.T) {
		code, _, stderr := runCLIEnv(t, map[string]string{"HIRETRACK_API_KEY": "htk_x"}, "advance", "--track", "3")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: --track and --application are required: the ids of the track and of the application to advance\n", stderr)
	})
}
