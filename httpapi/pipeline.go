package httpapi

import (
	"encoding/json"
	"net/http"
	"net/mail"

	"github.com/hiretrack/hiretrack"
)

// maxResultDataBytes bounds the free JSON data an engine attaches to a result.
const maxResultDataBytes = 64 << 10

// Status values of invite and advance responses.
const (
	statusLinkGenerated = "link_generated"
	statusEmailQueued   = "email_queued"
)

func (s *Server) invite(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	params := hiretrack.InviteParams{
		Principal:     p,
		CandidateName: body.String("candidate_name", maxNameLen),
		Email:         body.String("candidate_email", 254),
		TrackID:       body.ID("track_id"),
		Format:        readInviteFormat(body),
	}
	params.Window = s.readWindow(body)
	if err := body.Err(); err != nil {
		return err
	}
	if err := checkEmail(params.Email); err != nil {
		return err
	}

	token, stored, err := s.sealer.NewInviteToken()
	if err != nil {
		return hiretrack.Internal("create invite token", err)
	}
	params.Token = stored
	inv, err := s.store.Invite(r.Context(), params)
	if err != nil {
		return err
	}
	if inv.EmailQueued {
		s.metrics.countEmailQueued(hiretrack.EmailInvite)
	}

	status := http.StatusOK
	if inv.Created {
		status = http.StatusCreated
	}
	out := map[string]any{
		"application_id": inv.ApplicationID, "candidate_id": inv.CandidateID, "email": inv.Email,
		"invite_link": s.inviteLink(token), "invite_status": inv.InviteStatus, "name": inv.Name,
		"track_id": inv.TrackID, "response_id": inv.ResponseID, "status": sentStatus(inv.EmailQueued),
		"expires_at": inv.ExpiresAt.UTC(),
	}
	addWindow(out, params.Window, inv.StartsAt, inv.ExpiresAt)
	writeJSON(w, status, out)
	return nil
}

// checkEmail accepts a bare address such as jane@example.com.
func checkEmail(email string) error {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "candidate_email", "invalid_field",
			"candidate_email is %q; it must be a bare email address such as jane@example.com", email)
	}
	return nil
}

func readInviteFormat(body *object) hiretrack.InviteFormat {
	return hiretrack.InviteFormat(body.Enum("invite_format", string(hiretrack.InviteGetLink), string(hiretrack.InviteSendLink)))
}

func sentStatus(queued bool) string {
	if queued {
		return statusEmailQueued
	}
	return statusLinkGenerated
}

func (s *Server) inviteLink(token string) string {
	return s.publicURL + "/invite/" + token
}

func (s *Server) recordResult(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "response_id")
	if err != nil {
		return err
	}
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	params, err := readResult(body)
	if err != nil {
		return err
	}
	params.Principal, params.ResponseID = p, id

	resp, err := s.store.RecordResult(r.Context(), params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, responseJSON(resp))
	return nil
}

// readResult reads {status, score?, data?}. A score belongs to a completed result.
func readResult(body *object) (hiretrack.ResultParams, error) {
	var params hiretrack.ResultParams
	switch body.Enum("status", "started", "completed") {
	case "started":
		params.Status = hiretrack.InviteStarted
	case "completed":
		params.Status = hiretrack.InviteCompleted
	}
	params.Score = body.Number("score", 0, 100)
	data := body.raw("data")
	if err := body.Err(); err != nil {
		return params, err
	}

	if params.Score != nil && params.Status != hiretrack.InviteCompleted {
		return params, hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "score", "invalid_value",
			"score is only accepted with status \"completed\"")
	}
	if data != nil {
		if len(data) > maxResultDataBytes {
			return params, hiretrack.FieldErrorf(hiretrack.KindInvalid, "data", "invalid_field",
				"data is %d bytes; the maximum is %d", len(data), maxResultDataBytes)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return params, hiretrack.FieldErrorf(hiretrack.KindInvalid, "data", "invalid_field",
				"data is %s; it must be a JSON object", clip(data))
		}
		params.Data = data
	}
	return params, nil
}

// responseJSON adds the type-specific id name, such as report_id, to a response.
func responseJSON(r hiretrack.Response) map[string]any {
	out := map[string]any{
		"response_id": r.ID, r.ModuleType.ResponseIDName(): r.ID, "application_id": r.ApplicationID,
		"stage_id": r.StageID, "module_id": r.ModuleID, "module_type": r.ModuleType,
		"invite_status": r.InviteStatus, "score": r.Score, "data": r.Data,
		"invited_at": r.InvitedAt, "expires_at": r.ExpiresAt,
		"opened_at": r.OpenedAt, "started_at": r.StartedAt, "completed_at": r.CompletedAt,
	}
	if r.Data == nil {
		out["data"] = nil
	}
	return out
}

func (s *Server) getApplicant(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	applicationID, err := pathID(r, "application_id")
	if err != nil {
		return err
	}

	d, err := s.store.Applicant(r.Context(), p.CompanyID, trackID, applicationID)
	if err != nil {
		return err
	}
	responses := make([]map[string]any, len(d.Responses))
	for i, resp := range d.Responses {
		responses[i] = responseJSON(resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"track_id": d.TrackID, "track_title": d.TrackTitle, "applicant": d.Applicant,
		"current_stage": d.CurrentStage, "stages": d.Stages, "responses": responses, "timeline": d.Timeline,
	})
	return nil
}
