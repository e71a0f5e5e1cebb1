package client

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

// endpoint is one operation of the API as the client sends it. The methods
// take their HTTP method and path from the table below, and openapi_test.go
// checks the table against httpapi/openapi.yaml, so the client and the
// document cannot drift apart unnoticed. The test also requires in and out
// to be the body parameter and the result type of the method.
type endpoint struct {
	method string
	path   string // the document's path template, with {name} for each id
	in     any    // a value of the request body type, nil when none is sent
	out    any    // a value of the response body type, nil when none is read
}

// The endpoints of the client, in the order of the document.
var (
	createModule      = endpoint{http.MethodPost, "/modules", ModuleInput{}, Module{}}
	listModules       = endpoint{http.MethodGet, "/modules", nil, listOf[Module]{}}
	getModule         = endpoint{http.MethodGet, "/modules/{module_id}", nil, Module{}}
	createTrack       = endpoint{http.MethodPost, "/tracks", TrackInput{}, Track{}}
	listTracks        = endpoint{http.MethodGet, "/tracks", nil, listOf[Track]{}}
	getTrack          = endpoint{http.MethodGet, "/tracks/{track_id}", nil, Track{}}
	invite            = endpoint{http.MethodPost, "/tracks/invite", InviteInput{}, Invitation{}}
	advance           = endpoint{http.MethodPut, "/tracks/candidate/advance", AdvanceInput{}, Advancement{}}
	rejectCandidate   = endpoint{http.MethodPatch, "/tracks/candidate/reject/{candidate_id}", RejectCandidateInput{}, CandidateRejection{}}
	importApplication = endpoint{http.MethodPost, "/tracks/application", ImportInput{}, Imported{}}
	move              = endpoint{http.MethodPatch, "/tracks/{track_id}/applicants/{application_id}/move", TransitionInput{}, Transition{}}
	reject            = endpoint{http.MethodPatch, "/tracks/{track_id}/applicants/{application_id}/reject", TransitionInput{}, Transition{}}
	unreject          = endpoint{http.MethodPatch, "/tracks/{track_id}/applicants/{application_id}/unreject", TransitionInput{}, Transition{}}
	hire              = endpoint{http.MethodPatch, "/tracks/{track_id}/applicants/{application_id}/hire", TransitionInput{}, Transition{}}
	bulk              = endpoint{http.MethodPost, "/tracks/{track_id}/applicants/bulk", BulkInput{}, BulkResult{}}
	recordResult      = endpoint{http.MethodPost, "/responses/{response_id}/result", ResultInput{}, RecordedResult{}}
	listApplicants    = endpoint{http.MethodGet, "/tracks/{track_id}/applicants", nil, ApplicantPage{}}
	getApplicant      = endpoint{http.MethodGet, "/tracks/{track_id}/applicants/{application_id}", nil, ApplicantDetail{}}
	createAPIKey      = endpoint{http.MethodPost, "/api-keys", APIKeyInput{}, CreatedAPIKey{}}
	listAPIKeys       = endpoint{http.MethodGet, "/api-keys", nil, listOf[APIKey]{}}
	revokeAPIKey      = endpoint{http.MethodDelete, "/api-keys/{key_id}", nil, nil}
)

// ids lists the path ids of a call, in the order of the template.
func ids(id ...int64) []int64 { return id }

// pathOf fills the template's {name} parts with ids, in order. Ids are
// numbers, so nothing needs escaping.
func (e endpoint) pathOf(ids ...int64) string {
	var b strings.Builder
	rest := e.path
	for _, id := range ids {
		open, end := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			panic("client: more ids than parameters in " + e.path)
		}
		b.WriteString(rest[:open])
		b.WriteString(strconv.FormatInt(id, 10))
		rest = rest[end+1:]
	}
	if strings.Contains(rest, "{") {
		panic("client: fewer ids than parameters in " + e.path)
	}
	b.WriteString(rest)
	return b.String()
}

// call sends one request to ep with the path ids filled in.
func (c *Client) call(ctx context.Context, ep endpoint, pathIDs []int64, in, out any, opts []CallOption) (result, error) {
	return c.do(ctx, ep.method, ep.pathOf(pathIDs...), in, out, opts)
}
