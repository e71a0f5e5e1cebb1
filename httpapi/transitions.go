package httpapi

import (
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// maxEmailMessageLen bounds a custom rejection email text.
const maxEmailMessageLen = 5000

// transitionRequest is the parsed request of a transition handler.
type transitionRequest struct {
	params hiretrack.TransitionParams
	body   *object
}

// readTransition reads the fields that every transition accepts; the
// track and application come from the path unless fromBody is set.
func readTransition(r *http.Request, p hiretrack.Principal, kind hiretrack.TransitionKind, fromBody bool) (transitionRequest, error) {
	req := transitionRequest{params: hiretrack.TransitionParams{Principal: p, Kind: kind}}
	decode := decodeOptionalObject
	if fromBody {
		decode = decodeObject
	}
	body, err := decode(r)
	if err != nil {
		return req, err
	}
	req.body = body

	if fromBody {
		req.params.TrackID = body.ID("track_id")
		req.params.ApplicationID = body.ID("application_id")
	} else if req.params.TrackID, req.params.ApplicationID, err = applicantPath(r); err != nil {
		return req, err
	}
	req.params.SourceStageID, _ = body.OptionalString("source_stage_id", 100)
	req.params.DryRun = body.Bool("dry_run")
	return req, nil
}

// applicantPath reads {track_id} and {application_id}.
func applicantPath(r *http.Request) (trackID, applicationID int64, err error) {
	if trackID, err = pathID(r, "track_id"); err != nil {
		return 0, 0, err
	}
	applicationID, err = pathID(r, "application_id")
	return trackID, applicationID, err
}

// optionalFormat reads invite_format when present.
func optionalFormat(body *object) hiretrack.InviteFormat {
	if body.raw("invite_format") == nil {
		return ""
	}
	return readInviteFormat(body)
}

// run issues the invite token the new response may need, runs the
// transition and counts it in the metrics.
func (s *Server) run(r *http.Request, params hiretrack.TransitionParams) (hiretrack.Transition, string, error) {
	token, stored, err := s.sealer.NewInviteToken()
	if err != nil {
		return hiretrack.Transition{}, "", hiretrack.Internal("create invite token", err)
	}
	params.Token = stored
	t, err := s.store.Transition(r.Context(), params)
	if err != nil {
		return t, "", err
	}

	s.metrics.countTransition(string(params.Kind), t)
	return t, token, nil
}

func (s *Server) advance(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	req, err := readTransition(r, p, hiretrack.TransitionAdvance, true)
	if err != nil {
		return err
	}
	req.params.Format = readInviteFormat(req.body)
	req.params.Window = s.readWindow(req.body)
	if err := req.body.Err(); err != nil {
		return err
	}

	t, token, err := s.run(r, req.params)
	if err != nil {
		return err
	}
	out := s.advanceJSON(t, token)
	if !t.DryRun {
		addWindow(out, req.params.Window, req.params.Window.StartsAt, t.ExpiresAt)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// advanceJSON is the body of an advance, whose field names differ from the
// other transitions, or the transition body of a dry run.
func (s *Server) advanceJSON(t hiretrack.Transition, token string) map[string]any {
	if t.DryRun {
		return s.transitionJSON(t, "")
	}
	return map[string]any{
		"name": t.Name, "email": t.Email, "stage_moved": t.To.Name, "candidate_id": t.CandidateID,
		"application_id": t.ApplicationID, "module_id": t.To.ModuleID, "response_id": t.ResponseID,
		"invite_link": s.inviteLink(token), "status": sentStatus(t.EmailQueued), "track_id": t.TrackID,
		"stage_id": t.To.ID, "expires_at": t.ExpiresAt.UTC(),
	}
}

func (s *Server) move(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	req, err := readTransition(r, p, hiretrack.TransitionMove, false)
	if err != nil {
		return err
	}
	req.params.SourceStageID = req.body.String("source_stage_id", 100)
	req.params.DestinationStageID = req.body.String("destination_stage_id", 100)
	req.params.Format = optionalFormat(req.body)
	return s.respondTransition(w, r, req)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	req, err := readTransition(r, p, hiretrack.TransitionReject, false)
	if err != nil {
		return err
	}
	readRejectEmail(&req)
	return s.respondTransition(w, r, req)
}

func readRejectEmail(req *transitionRequest) {
	req.params.SendEmail = req.body.Bool("send_email")
	message, hasMessage := req.body.OptionalString("email_message", maxEmailMessageLen)
	if hasMessage && !req.params.SendEmail && req.body.Err() == nil {
		req.body.fail(hiretrack.KindUnprocessable, "email_message", "invalid_value",
			"email_message is only used with \"send_email\": true")
	}
	req.params.EmailMessage = message
}

func (s *Server) hire(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	req, err := readTransition(r, p, hiretrack.TransitionHire, false)
	if err != nil {
		return err
	}
	return s.respondTransition(w, r, req)
}

func (s *Server) unreject(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	req, err := readTransition(r, p, hiretrack.TransitionUnreject, false)
	if err != nil {
		return err
	}
	req.params.Format = optionalFormat(req.body)
	return s.respondTransition(w, r, req)
}

// respondTransition runs a move, reject, hire or unreject and writes its outcome.
func (s *Server) respondTransition(w http.ResponseWriter, r *http.Request, req transitionRequest) error {
	if err := req.body.Err(); err != nil {
		return err
	}
	t, token, err := s.run(r, req.params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.transitionJSON(t, token))
	return nil
}

// transitionJSON is the body of move, reject, hire and unreject, and of
// every dry run.
func (s *Server) transitionJSON(t hiretrack.Transition, token string) map[string]any {
	out := map[string]any{
		"track_id": t.TrackID, "application_id": t.ApplicationID, "candidate_id": t.CandidateID,
		"name": t.Name, "email": t.Email, "from_stage": t.From.Ref(), "to_stage": t.To.Ref(),
		"application_status": t.Status,
	}
	if t.Kind == hiretrack.TransitionReject {
		// A dry run queues nothing, and queues_email reports whether the real call would.
		out["email_sent"] = t.EmailQueued && !t.DryRun
	}
	if t.DryRun {
		out["dry_run"] = true
		out["module_id"] = t.To.ModuleID
		out["creates_invite_link"] = t.LinkCreated
		out["queues_email"] = t.EmailQueued
		return out
	}

	if t.ResponseID != 0 {
		out["response_id"] = t.ResponseID
		out["expires_at"] = t.ExpiresAt.UTC()
	}
	if t.LinkCreated {
		out["invite_link"] = s.inviteLink(token)
		out["status"] = sentStatus(t.EmailQueued)
	}
	return out
}

// rejectCandidate is the older reject form: PATCH /tracks/candidate/reject/{candidate_id}.
func (s *Server) rejectCandidate(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	candidateID, err := pathID(r, "candidate_id")
	if err != nil {
		return err
	}
	req, err := readTransition(r, p, hiretrack.TransitionReject, true)
	if err != nil {
		return err
	}
	req.params.CandidateID = candidateID
	readRejectEmail(&req)
	if err := req.body.Err(); err != nil {
		return err
	}

	t, _, err := s.run(r, req.params)
	if err != nil {
		return err
	}
	message := "candidate rejected"
	if t.DryRun {
		message = "dry run: the candidate would be rejected"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"application_id": t.ApplicationID, "candidate_id": t.CandidateID, "track_id": t.TrackID, "message": message,
	})
	return nil
}

// importApplication is POST /tracks/application.
func (s *Server) importApplication(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	params := hiretrack.ImportParams{
		Principal:     p,
		TrackID:       body.ID("track_id"),
		CandidateName: body.String("candidate_name", maxNameLen),
		Email:         body.String("candidate_email", 254),
		Fields:        body.StringMap("fields", maxQuestions),
	}
	if err := body.Err(); err != nil {
		return err
	}
	if err := checkEmail(params.Email); err != nil {
		return err
	}

	_, params.Token, err = s.sealer.NewInviteToken()
	if err != nil {
		return hiretrack.Internal("create invite token", err)
	}
	t, err := s.store.ImportApplication(r.Context(), params)
	if err != nil {
		return err
	}
	s.metrics.countTransition(transitionImport, t)

	writeJSON(w, http.StatusCreated, map[string]any{
		"application_id": t.ApplicationID, "candidate_id": t.CandidateID, "track_id": t.TrackID,
		"name": t.Name, "email": t.Email, "current_stage": t.To.Ref(), "response_id": t.ResponseID,
		"invite_status": hiretrack.InviteCompleted, "application_status": t.Status,
	})
	return nil
}
