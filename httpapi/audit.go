package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hiretrack/hiretrack"
)

// auditActions names the action of each write route in the audit log. An
// empty name marks a route whose store method records its own audit event
// in the same transaction as the change.
var auditActions = map[string]string{
	"POST /modules":                                 "module.create",
	"POST /tracks":                                  "track.create",
	"POST /tracks/invite":                           "application.invite",
	"PUT /tracks/candidate/advance":                 "application.advance",
	"PATCH /tracks/candidate/reject/{candidate_id}": "application.reject",
	"POST /tracks/application":                      "application.import",
	"PATCH /tracks/{track_id}/applicants/{application_id}/move":      "application.move",
	"PATCH /tracks/{track_id}/applicants/{application_id}/reject":    "application.reject",
	"PATCH /tracks/{track_id}/applicants/{application_id}/unreject":  "application.unreject",
	"PATCH /tracks/{track_id}/applicants/{application_id}/hire":      "application.hire",
	"POST /tracks/{track_id}/applicants/bulk":                        "application.bulk",
	"POST /responses/{response_id}/result":                           "response.result",
	"POST /responses/{response_id}/invite":                           "response.reissue_invite",
	"POST /responses/{response_id}/invite/revoke":                    "response.revoke_invite",
	"PATCH /tracks/{track_id}/stages/{stage_id}":                     "stage.update_rules",
	"POST /tracks/{track_id}/open-link":                              "open_link.set",
	"DELETE /tracks/{track_id}/open-link":                            "open_link.disable",
	"POST /webhooks":                                                 "webhook.create",
	"PATCH /webhooks/{webhook_id}":                                   "webhook.update",
	"DELETE /webhooks/{webhook_id}":                                  "webhook.delete",
	"POST /webhooks/{webhook_id}/rotate-secret":                      "webhook.rotate_secret",
	"POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": "webhook.redeliver",
	"POST /webhooks/{webhook_id}/test":                               "webhook.test",
	"POST /api-keys":                                                 "api_key.create",
	"DELETE /api-keys/{key_id}":                                      "api_key.revoke",
	"DELETE /candidates/{candidate_id}":                              "",
}

// AuditActionNames lists the actions that the audit log records, sorted:
// those of auditActions, candidate.erase, and the command line's
// api_key.create and api_key.revoke.
func AuditActionNames() []string {
	names := []string{"candidate.erase"}
	for _, action := range auditActions {
		if action != "" && !slices.Contains(names, action) {
			names = append(names, action)
		}
	}
	slices.Sort(names)
	return names
}

// auditIDNames are the path parameters and top-level response fields that
// an audit event keeps as ids. They are ids only, never personal data, and
// never a secret: the signing secret in the body of POST /webhooks and of a
// rotation is no id and stays out of the event.
var auditIDNames = []string{"module_id", "track_id", "application_id", "candidate_id", "response_id", "key_id",
	"webhook_id", "delivery_id"}

// maxAuditBody is how much of a response body withAudit reads for ids.
// Bodies of the routes it wraps, bulk results aside, stay far below it.
const maxAuditBody = 64 << 10

// isAuditedRoute reports whether a route pattern is a write: POST, PUT,
// PATCH or DELETE.
func isAuditedRoute(pattern string) bool {
	method, _, _ := strings.Cut(pattern, " ")
	return method != http.MethodGet && method != http.MethodHead
}

// withAudit records a successful write of next in the audit log: the key,
// the action, the ids in the path and in the response, and the status.
// Failed requests, dry runs and replays of an Idempotency-Key changed
// nothing and are not recorded.
//
// NOTE: the event is written after the handler's transaction committed, in
// a write of its own, so a crash or a database error between the two loses
// the event of a change that happened. The error is logged. Only candidate
// erasure records its event in the same transaction.
func (s *Server) withAudit(pattern string, next apiHandler) apiHandler {
	action, listed := auditActions[pattern]
	if !listed {
		action = pattern
	}
	if action == "" || !isAuditedRoute(pattern) {
		return next
	}

	return func(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
		tee := &auditWriter{ResponseWriter: w}
		if err := next(tee, r, p); err != nil {
			return err
		}
		if tee.status >= 300 || w.Header().Get(replayedHeader) == "true" {
			return nil
		}
		ids, fields := auditIDs(r, pattern, tee.body.Bytes())
		changed, detail := auditChange(fields)
		if !changed {
			return nil
		}
		if stage := r.PathValue("stage_id"); stage != "" {
			// Stage ids are text, so they go to the detail, not to ids.
			detail = map[string]any{"stage_id": stage}
		}

		e := hiretrack.AuditEvent{
			CompanyID: p.CompanyID, KeyID: &p.KeyID, KeyPrefix: p.KeyPrefix, Actor: p.Actor(),
			Action: action, Route: pattern, Status: tee.status, IDs: ids, Detail: detail,
			RequestID: infoFrom(r.Context()).id,
		}
		ctx, cancel := settleContext(r)
		defer cancel()
		if err := s.store.RecordAudit(ctx, e); err != nil {
			s.logger.ErrorContext(r.Context(), "recording an audit event failed",
				"action", action, "request_id", e.RequestID, "key_prefix", p.KeyPrefix, "error", err)
		}
		return nil
	}
}

// auditIDs returns the ids of the path and of the top-level fields of a JSON
// response, and those fields. The id of a created API key is its "id" field.
func auditIDs(r *http.Request, pattern string, body []byte) (map[string]int64, map[string]any) {
	ids := map[string]int64{}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&fields) != nil {
		fields = nil
	}
	if pattern == "POST /api-keys" && fields != nil {
		fields["key_id"] = fields["id"]
	}

	for _, name := range auditIDNames {
		if id, ok := parseID(r.PathValue(name)); ok {
			ids[name] = id
			continue
		}
		if n, ok := fields[name].(json.Number); ok {
			if id, err := strconv.ParseInt(n.String(), 10, 64); err == nil && id > 0 && id < math.MaxInt64 {
				ids[name] = id
			}
		}
	}
	return ids, fields
}

// auditChange reports whether a successful response changed anything: not
// a dry run, and for a bulk request at least one application. The detail
// of a bulk request lists the applications it changed.
func auditChange(fields map[string]any) (bool, map[string]any) {
	if dryRun, _ := fields["dry_run"].(bool); dryRun {
		return false, nil
	}
	results, ok := fields["data"].([]any)
	if _, bulk := fields["succeeded"]; !ok || !bulk {
		return true, nil
	}

	changed := []json.Number{}
	for _, item := range results {
		result, _ := item.(map[string]any)
		body, _ := result["body"].(map[string]any)
		if dryRun, _ := body["dry_run"].(bool); dryRun {
			return false, nil
		}
		if id, ok := result["application_id"].(json.Number); ok && result["ok"] == true {
			changed = append(changed, id)
		}
	}
	if len(changed) == 0 {
		return false, nil
	}
	return true, map[string]any{"application_ids": changed}
}

// auditWriter passes a response through and keeps its status and the
// first maxAuditBody bytes of its body.
type auditWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := maxAuditBody - w.body.Len(); room > 0 {
		w.body.Write(b[:min(len(b), room)])
	}
	return w.ResponseWriter.Write(b)
}

// Limits of the audit log's query parameters.
const (
	defaultAuditPerPage = 50
	maxAuditPerPage     = 200
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	params := &queryParams{values: r.URL.Query()}
	q := hiretrack.AuditQuery{
		Action: params.Enum("action", AuditActionNames()...),
		Since:  params.Time("since"),
		After:  params.Int("after", 1, math.MaxInt64, 0),
		Limit:  int(params.Int("per_page", 1, maxAuditPerPage, defaultAuditPerPage)),
	}
	if err := params.Err(); err != nil {
		return err
	}

	page, err := s.store.AuditEvents(r.Context(), p.CompanyID, q)
	if err != nil {
		return err
	}
	body := map[string]any{"data": page.Events, "per_page": q.Limit, "next": nil}
	if page.Events == nil {
		body["data"] = []hiretrack.AuditEvent{}
	}
	if page.Next != 0 {
		body["next"] = nextAuditLink(params, q, page.Next)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// nextAuditLink returns the path and query of the page after the event with id after.
func nextAuditLink(params *queryParams, q hiretrack.AuditQuery, after int64) string {
	next := url.Values{}
	for _, name := range []string{"action", "since"} {
		if value, ok := params.get(name); ok {
			next.Set(name, value)
		}
	}
	next.Set("per_page", strconv.Itoa(q.Limit))
	next.Set("after", strconv.FormatInt(after, 10))
	return "/audit?" + next.Encode()
}
