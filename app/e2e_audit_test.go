package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// auditEvent is one event of GET /audit.
type auditEvent struct {
	ID        int64            `json:"audit_id"`
	KeyID     *int64           `json:"key_id"`
	KeyPrefix string           `json:"key_prefix"`
	Actor     string           `json:"actor"`
	Action    string           `json:"action"`
	Route     string           `json:"route"`
	Status    int              `json:"status"`
	IDs       map[string]int64 `json:"ids"`
	Detail    map[string]any   `json:"detail"`
	RequestID string           `json:"request_id"`
	At        string           `json:"at"`
}

// auditPage is the body of GET /audit.
type auditPage struct {
	Data    []auditEvent `json:"data"`
	PerPage int          `json:"per_page"`
	Next    *string      `json:"next"`
}

// readAudit reads one page of the audit log and requires 200 OK.
func (e *env) readAudit(path string) auditPage {
	e.t.Helper()
	r := e.do("GET", path, nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[auditPage](e.t, r)
}

// wantAudit is the part of an audit event that a test predicts.
type wantAudit struct {
	action, route string
	status        int
	ids           map[string]int64
	requestID     string
	detail        map[string]any
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	keyID := e.principal().KeyID
	prefix := e.key[:secret.KeyPrefixLen]

	var want []wantAudit
	record := func(r result, action, route string, ids map[string]int64) {
		t.Helper()
		require.Less(t, r.Status, 300, "body: %s", r.Raw)
		want = append(want, wantAudit{action, route, r.Status, ids, r.Header.Get("X-Request-Id"), nil})
	}

	module := e.do("POST", "/modules", map[string]any{"type": "review", "name": "Portfolio review"})
	moduleID := int64(module.Body["module_id"].(float64))
	record(module, "module.create", "POST /modules", map[string]int64{"module_id": moduleID})

	tr := e.do("POST", "/tracks", map[string]any{"title": "Designer", "stages": []map[string]any{
		{"name": "Review", "type": "review", "module_id": moduleID}}})
	trackID := int64(tr.Body["track_id"].(float64))
	record(tr, "track.create", "POST /tracks", map[string]int64{"track_id": trackID})

	// A failed write, a dry run, a replay and reads change nothing and are not recorded.
	failed := e.do("POST", "/tracks", map[string]any{"title": "No stages", "stages": []any{}})
	require.Equal(t, http.StatusBadRequest, failed.Status, "body: %s", failed.Raw)
	e.do("GET", "/tracks", nil)

	inv := e.doIdempotent("invite-1", "POST", "/tracks/invite", map[string]any{
		"track_id": trackID, "candidate_name": "Ava Audit", "candidate_email": "ava@example.com", "invite_format": "getlink"})
	a := decode[invitation](t, inv)
	record(inv, "application.invite", "POST /tracks/invite", map[string]int64{
		"track_id": trackID, "application_id": a.ApplicationID, "candidate_id": a.CandidateID, "response_id": a.ResponseID})
	replay := e.doIdempotent("invite-1", "POST", "/tracks/invite", map[string]any{
		"track_id": trackID, "candidate_name": "Ava Audit", "candidate_email": "ava@example.com", "invite_format": "getlink"})
	require.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	dry := e.patchApplicant(trackID, a.ApplicationID, "reject", map[string]any{"dry_run": true})
	require.Equal(t, http.StatusOK, dry.Status, "body: %s", dry.Raw)

	reject := e.patchApplicant(trackID, a.ApplicationID, "reject", map[string]any{})
	record(reject, "application.reject", "PATCH /tracks/{track_id}/applicants/{application_id}/reject", map[string]int64{
		"track_id": trackID, "application_id": a.ApplicationID, "candidate_id": a.CandidateID})

	// A bulk request is recorded when it changed an application, with the
	// applications it changed.
	secondInvite := e.do("POST", "/tracks/invite", map[string]any{
		"track_id": trackID, "candidate_name": "Bo Bulk", "candidate_email": "bo@example.com", "invite_format": "getlink"})
	second := decode[invitation](t, secondInvite)
	bulkRoute := fmt.Sprintf("/tracks/%d/applicants/bulk", trackID)
	bulkDry := e.do("POST", bulkRoute, map[string]any{"action": "reject", "application_ids": []int64{second.ApplicationID}, "dry_run": true})
	require.Equal(t, http.StatusOK, bulkDry.Status, "body: %s", bulkDry.Raw)
	bulkNone := e.do("POST", bulkRoute, map[string]any{"action": "reject", "application_ids": []int64{999999}})
	require.Equal(t, http.StatusOK, bulkNone.Status, "body: %s", bulkNone.Raw)
	bulk := e.do("POST", bulkRoute, map[string]any{"action": "reject", "application_ids": []int64{second.ApplicationID, 999999}})
	record(secondInvite, "application.invite", "POST /tracks/invite", map[string]int64{
		"track_id": trackID, "application_id": second.ApplicationID, "candidate_id": second.CandidateID, "response_id": second.ResponseID})
	record(bulk, "application.bulk", "POST /tracks/{track_id}/applicants/bulk", map[string]int64{"track_id": trackID})
	want[len(want)-1].detail = map[string]any{"application_ids": []any{float64(second.ApplicationID)}}

	created := e.do("POST", "/api-keys", map[string]any{"name": "reader", "scopes": []string{"read"}})
	newKeyID := int64(created.Body["id"].(float64))
	record(created, "api_key.create", "POST /api-keys", map[string]int64{"key_id": newKeyID})
	revoked := e.do("DELETE", fmt.Sprintf("/api-keys/%d", newKeyID), nil)
	record(revoked, "api_key.revoke", "DELETE /api-keys/{key_id}", map[string]int64{"key_id": newKeyID})

	t.Run("RecordsEachWrite", func(t *testing.T) {
		page := e.readAudit("/audit")
		require.Equal(t, 50, page.PerPage)
		require.Nil(t, page.Next)
		require.Len(t, page.Data, len(want))
		for i, got := range page.Data {
			w := want[i]
			require.Equal(t, int64(i+1), got.ID)
			require.Equal(t, w.action, got.Action, "event %d", i)
			require.Equal(t, w.route, got.Route, "event %d", i)
			require.Equal(t, w.status, got.Status, "event %d", i)
			require.Equal(t, w.ids, got.IDs, "event %d", i)
			require.Equal(t, w.requestID, got.RequestID, "event %d", i)
			require.Equal(t, &keyID, got.KeyID, "event %d", i)
			require.Equal(t, prefix, got.KeyPrefix, "event %d", i)
			require.Equal(t, "key:"+prefix, got.Actor, "event %d", i)
			require.Equal(t, w.detail, got.Detail, "event %d", i)
			requireUTC(t, got.At)
		}
	})

	t.Run("FiltersByAction", func(t *testing.T) {
		page := e.readAudit("/audit?action=track.create")
		require.Len(t, page.Data, 1)
		require.Equal(t, map[string]int64{"track_id": trackID}, page.Data[0].IDs)
	})

	t.Run("FiltersBySince", func(t *testing.T) {
		all := e.readAudit("/audit")
		third := all.Data[2]
		page := e.readAudit("/audit?since=" + third.At)
		require.Equal(t, third.ID, page.Data[0].ID)
		require.Len(t, page.Data, len(want)-2)
		require.Empty(t, e.readAudit("/audit?since=2999-01-01T00:00:00Z").Data)
	})

	t.Run("PagesWithCursor", func(t *testing.T) {
		page := e.readAudit("/audit?per_page=2")
		require.Equal(t, []int64{1, 2}, []int64{page.Data[0].ID, page.Data[1].ID})
		require.Equal(t, "/audit?after=2&per_page=2", *page.Next)
		page = e.readAudit(*page.Next)
		require.Equal(t, []int64{3, 4}, []int64{page.Data[0].ID, page.Data[1].ID})
		page = e.readAudit(*page.Next)
		require.Equal(t, []int64{5, 6}, []int64{page.Data[0].ID, page.Data[1].ID})
		page = e.readAudit(*page.Next)
		require.Equal(t, []int64{7, 8}, []int64{page.Data[0].ID, page.Data[1].ID})
		require.Nil(t, page.Next)
	})

	t.Run("BadQueryRejected", func(t *testing.T) {
		r := e.do("GET", "/audit?since=yesterday", nil)
		requireError(t, r, http.StatusBadRequest, "invalid_query", "since")
		r = e.do("GET", "/audit?action=track.delete", nil)
		requireError(t, r, http.StatusBadRequest, "invalid_query", "action")
		require.Contains(t, r.Body["error"].(map[string]any)["message"], `action is "track.delete"; allowed values are "api_key.create", `)
		r = e.do("GET", "/audit?per_page=201", nil)
		requireError(t, r, http.StatusBadRequest, "invalid_query", "per_page")
	})

	t.Run("OtherCompanySeesNone", func(t *testing.T) {
		other := e.newKey("Globex")
		r := e.doWithKey(other, "GET", "/audit", nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Equal(t, []any{}, r.Body["data"])
	})

	t.Run("NeedsAdminScope", func(t *testing.T) {
		reader := e.createKey("auditor", "read", "write").Key
		r := e.doWithKey(reader, "GET", "/audit", nil)
		requireError(t, r, http.StatusForbidden, "forbidden", "")
	})
}

// principal returns the principal of the env's key.
func (e *env) principal() hiretrack.Principal {
	e.t.Helper()
	p, err := e.srv.Store().Authenticate(context.Background(), secret.Hash(e.key))
	require.NoError(e.t, err)
	return p
}

func TestAuditLogCommandLine(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")
	code, _, stderr := runCLI(t, "keys", "create", "--db", db, "--company", "Acme")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(t, "keys", "revoke", "--db", db, "--company", "Acme", "1")
	require.Equal(t, 0, code, stderr)

	opened, err := sqlstore.Open(db, sqlstore.Options{})
	require.NoError(t, err)
	defer opened.Close()
	page, err := sqlstore.NewStore(opened, nil, nil, nil).AuditEvents(context.Background(), 1, hiretrack.AuditQuery{Limit: 10})
	require.NoError(t, err)

	require.Len(t, page.Events, 2)
	for i, action := range []string{"api_key.create", "api_key.revoke"} {
		got := page.Events[i]
		require.Equal(t, action, got.Action)
		require.Equal(t, "cli", got.Actor)
		require.Nil(t, got.KeyID)
		require.Equal(t, "", got.KeyPrefix)
		require.Equal(t, map[string]int64{"key_id": 1}, got.IDs)
	}
}
