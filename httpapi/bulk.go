package httpapi

import (
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// MaxBulkApplications is the most applications one bulk request may name.
// Each runs in its own transaction, so a request of this size holds the
// database writer for about 100 short transactions.
const MaxBulkApplications = 100

// bulkActions maps the bulk action names to transitions.
var bulkActions = map[string]hiretrack.TransitionKind{
	"advance": hiretrack.TransitionAdvance,
	"move":    hiretrack.TransitionMove,
	"reject":  hiretrack.TransitionReject,
}

// bulk is POST /tracks/{track_id}/applicants/bulk: one action applied to
// many applications, each on its own, so one failure never blocks the rest.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	template, ids, err := readBulk(body, p, trackID)
	if err != nil {
		return err
	}

	results := make([]map[string]any, 0, len(ids))
	succeeded := 0
	for _, id := range ids {
		params := template
		params.ApplicationID = id
		result := s.bulkOne(r, params)
		if result["ok"] == true {
			succeeded++
		}
		results = append(results, result)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"action": template.Kind, "data": results, "succeeded": succeeded, "failed": len(ids) - succeeded,
	})
	return nil
}

// readBulk reads the action and the fields that the single call of that action takes.
func readBulk(body *object, p hiretrack.Principal, trackID int64) (hiretrack.TransitionParams, []int64, error) {
	params := hiretrack.TransitionParams{Principal: p, TrackID: trackID}
	params.Kind = bulkActions[body.Enum("action", "advance", "move", "reject")]
	ids := body.IDs("application_ids", MaxBulkApplications)
	params.SourceStageID, _ = body.OptionalString("source_stage_id", 100)
	params.DryRun = body.Bool("dry_run")

	switch params.Kind {
	case hiretrack.TransitionAdvance:
		params.Format = readInviteFormat(body)
	case hiretrack.TransitionMove:
		params.DestinationStageID = body.String("destination_stage_id", 100)
		params.Format = optionalFormat(body)
	case hiretrack.TransitionReject:
		req := transitionRequest{params: params, body: body}
		readRejectEmail(&req)
		params = req.params
	}
	return params, ids, body.Err()
}

// bulkOne runs one transition and returns its result entry: the status and
// body that the single advance, move or reject call would have returned.
func (s *Server) bulkOne(r *http.Request, params hiretrack.TransitionParams) map[string]any {
	t, token, err := s.run(r, params)
	if err != nil {
		status, body := s.errorBody(r, err)
		return map[string]any{"application_id": params.ApplicationID, "ok": false, "status": status, "body": body}
	}

	body := s.transitionJSON(t, token)
	if params.Kind == hiretrack.TransitionAdvance {
		body = s.advanceJSON(t, token)
	}
	return map[string]any{"application_id": params.ApplicationID, "ok": true, "status": http.StatusOK, "body": body}
}
