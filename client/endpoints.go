package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CreateModule creates a module: POST /modules.
func (c *Client) CreateModule(ctx context.Context, in ModuleInput, opts ...CallOption) (Module, error) {
	var m Module
	_, err := c.call(ctx, createModule, nil, in, &m, opts)
	return m, err
}

// ListModules lists the company's modules, oldest first: GET /modules.
func (c *Client) ListModules(ctx context.Context, opts ...CallOption) ([]Module, error) {
	var l listOf[Module]
	_, err := c.call(ctx, listModules, nil, nil, &l, opts)
	return l.Data, err
}

// GetModule returns one module: GET /modules/{module_id}.
func (c *Client) GetModule(ctx context.Context, moduleID int64, opts ...CallOption) (Module, error) {
	var m Module
	_, err := c.call(ctx, getModule, ids(moduleID), nil, &m, opts)
	return m, err
}

// CreateTrack creates a track: POST /tracks.
func (c *Client) CreateTrack(ctx context.Context, in TrackInput, opts ...CallOption) (Track, error) {
	var t Track
	_, err := c.call(ctx, createTrack, nil, in, &t, opts)
	return t, err
}

// ListTracks lists the company's tracks with their stages: GET /tracks.
func (c *Client) ListTracks(ctx context.Context, opts ...CallOption) ([]Track, error) {
	var l listOf[Track]
	_, err := c.call(ctx, listTracks, nil, nil, &l, opts)
	return l.Data, err
}

// GetTrack returns one track: GET /tracks/{track_id}.
func (c *Client) GetTrack(ctx context.Context, trackID int64, opts ...CallOption) (Track, error) {
	var t Track
	_, err := c.call(ctx, getTrack, ids(trackID), nil, &t, opts)
	return t, err
}

// Invite invites a candidate to a track: POST /tracks/invite.
func (c *Client) Invite(ctx context.Context, in InviteInput, opts ...CallOption) (Invitation, error) {
	var inv Invitation
	res, err := c.call(ctx, invite, nil, in, &inv, opts)
	inv.Created = res.status == http.StatusCreated
	return inv, err
}

// Advance moves an application to the next regular stage:
// PUT /tracks/candidate/advance.
func (c *Client) Advance(ctx context.Context, in AdvanceInput, opts ...CallOption) (Advancement, error) {
	var a Advancement
	_, err := c.call(ctx, advance, nil, in, &a, opts)
	return a, err
}

// Move moves an application to another stage of its track.
func (c *Client) Move(ctx context.Context, trackID, applicationID int64, in TransitionInput, opts ...CallOption) (Transition, error) {
	return c.transition(ctx, move, trackID, applicationID, in, opts)
}

// Reject moves an application to the Rejected stage.
func (c *Client) Reject(ctx context.Context, trackID, applicationID int64, in TransitionInput, opts ...CallOption) (Transition, error) {
	return c.transition(ctx, reject, trackID, applicationID, in, opts)
}

// Unreject returns a rejected application to the stage it was rejected from.
func (c *Client) Unreject(ctx context.Context, trackID, applicationID int64, in TransitionInput, opts ...CallOption) (Transition, error) {
	return c.transition(ctx, unreject, trackID, applicationID, in, opts)
}

// Hire moves an application to the Hired stage.
func (c *Client) Hire(ctx context.Context, trackID, applicationID int64, in TransitionInput, opts ...CallOption) (Transition, error) {
	return c.transition(ctx, hire, trackID, applicationID, in, opts)
}

// transition sends one of the transition endpoints, which share their body
// and response types.
func (c *Client) transition(ctx context.Context, ep endpoint, trackID, applicationID int64, in TransitionInput, opts []CallOption) (Transition, error) {
	var t Transition
	_, err := c.call(ctx, ep, ids(trackID, applicationID), in, &t, opts)
	return t, err
}

// RejectCandidate is the older reject form:
// PATCH /tracks/candidate/reject/{candidate_id}.
func (c *Client) RejectCandidate(ctx context.Context, candidateID int64, in RejectCandidateInput, opts ...CallOption) (CandidateRejection, error) {
	var r CandidateRejection
	_, err := c.call(ctx, rejectCandidate, ids(candidateID), in, &r, opts)
	return r, err
}

// Import creates an application whose form was answered elsewhere:
// POST /tracks/application.
func (c *Client) Import(ctx context.Context, in ImportInput, opts ...CallOption) (Imported, error) {
	var i Imported
	_, err := c.call(ctx, importApplication, nil, in, &i, opts)
	return i, err
}

// Bulk applies one action to many applications of a track:
// POST /tracks/{track_id}/applicants/bulk. A failed entry does not make
// the call fail; see BulkEntry.Err.
func (c *Client) Bulk(ctx context.Context, trackID int64, in BulkInput, opts ...CallOption) (BulkResult, error) {
	var b BulkResult
	_, err := c.call(ctx, bulk, ids(trackID), in, &b, opts)
	return b, err
}

// Err returns the entry's error as an *Error, or nil when the entry
// succeeded.
func (e BulkEntry) Err() error {
	if e.OK {
		return nil
	}
	var env errorEnvelope
	_ = json.Unmarshal(e.Body, &env) // a body that is not an envelope leaves the code empty
	return &Error{Status: e.Status, Code: env.Error.Code, Field: env.Error.Field,
		Message: env.Error.Message, RequestID: env.Error.RequestID, Body: e.Body}
}

// RecordResult reports that a response started or its result:
// POST /responses/{response_id}/result.
func (c *Client) RecordResult(ctx context.Context, responseID int64, in ResultInput, opts ...CallOption) (RecordedResult, error) {
	var r RecordedResult
	_, err := c.call(ctx, recordResult, ids(responseID), in, &r, opts)
	return r, err
}

// ListApplicants returns one page of a track's applicants:
// GET /tracks/{track_id}/applicants.
func (c *Client) ListApplicants(ctx context.Context, trackID int64, q ApplicantQuery, opts ...CallOption) (ApplicantPage, error) {
	return c.NextApplicants(ctx, listApplicants.pathOf(trackID)+query(q.values()), opts...)
}

// NextApplicants follows the Next link of an ApplicantPage, which is a path
// and query on the same server.
func (c *Client) NextApplicants(ctx context.Context, next string, opts ...CallOption) (ApplicantPage, error) {
	var p ApplicantPage
	_, err := c.do(ctx, listApplicants.method, next, nil, &p, opts)
	return p, err
}

// values returns the query parameters of q that are set.
func (q ApplicantQuery) values() url.Values {
	v := url.Values{}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PerPage > 0 {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	set("sort", q.Sort)
	set("after", q.After)
	set("name", q.Name)
	set("email", q.Email)
	set("stage_id", q.StageID)
	set("status", q.Status)
	set("invite_status", q.InviteStatus)
	if !q.UpdatedSince.IsZero() {
		v.Set("updated_since", q.UpdatedSince.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// GetApplicant returns one application with its responses and timeline:
// GET /tracks/{track_id}/applicants/{application_id}.
func (c *Client) GetApplicant(ctx context.Context, trackID, applicationID int64, opts ...CallOption) (ApplicantDetail, error) {
	var d ApplicantDetail
	_, err := c.call(ctx, getApplicant, ids(trackID, applicationID), nil, &d, opts)
	return d, err
}

// CreateAPIKey creates a key of the company: POST /api-keys. It needs a
// key with the admin scope.
func (c *Client) CreateAPIKey(ctx context.Context, in APIKeyInput, opts ...CallOption) (CreatedAPIKey, error) {
	var k CreatedAPIKey
	_, err := c.call(ctx, createAPIKey, nil, in, &k, opts)
	return k, err
}

// ListAPIKeys lists the company's keys, revoked ones included: GET /api-keys.
func (c *Client) ListAPIKeys(ctx context.Context, opts ...CallOption) ([]APIKey, error) {
	var l listOf[APIKey]
	_, err := c.call(ctx, listAPIKeys, nil, nil, &l, opts)
	return l.Data, err
}

// RevokeAPIKey revokes a key of the company: DELETE /api-keys/{id}.
func (c *Client) RevokeAPIKey(ctx context.Context, keyID int64, opts ...CallOption) error {
	_, err := c.call(ctx, revokeAPIKey, ids(keyID), nil, nil, opts)
	return err
}
