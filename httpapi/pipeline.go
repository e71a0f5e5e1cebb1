package httpapi

import (
	"net/http"
	"net/mail"

	"github.com/hiretrack/hiretrack"
)

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
	writeJSON(w, http.StatusOK, applicantJSON(d))
	return nil
}

// applicantJSON is the body of the applicant detail, which the candidate
// export repeats for each application.
func applicantJSON(d hiretrack.ApplicantDetail) map[string]any {
	responses := make([]map[string]any, len(d.Responses))
	for i, resp := range d.Responses {
		responses[i] = responseJSON(resp)
	}
	report := make([]map[string]any, len(d.Report))
	for i, entry := range d.Report {
		report[i] = reportJSON(entry)
	}
	return map[string]any{
		"track_id": d.TrackID, "track_title": d.TrackTitle, "applicant": d.Applicant,
		"current_stage": d.CurrentStage, "stages": d.Stages, "responses": responses, "timeline": d.Timeline,
		"stage_wise_report": report, "submitted_response": d.SubmittedResponse,
	}
}
