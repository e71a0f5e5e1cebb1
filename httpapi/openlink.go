package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// setOpenLink is POST /tracks/{track_id}/open-link. Each call issues a new
// token, so the previous link of the track stops working.
func (s *Server) setOpenLink(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	body, err := decodeOptionalObject(r)
	if err != nil {
		return err
	}
	window := s.readWindow(body)
	if err := body.Err(); err != nil {
		return err
	}

	token, err := secret.NewToken()
	if err != nil {
		return hiretrack.Internal("create open link token", err)
	}
	link, err := s.store.SetOpenLink(r.Context(), hiretrack.OpenLinkParams{
		CompanyID: p.CompanyID, TrackID: trackID, TokenHash: secret.Hash(token), Window: window,
	})
	if err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "open link created", "track_id", trackID, "company_id", p.CompanyID,
		"key_prefix", p.KeyPrefix, "request_id", infoFrom(r.Context()).id)
	writeJSON(w, http.StatusCreated, map[string]any{
		"track_id": link.TrackID, "open_link": s.publicURL + "/apply/" + token,
		"start_date": utcOrNil(link.StartsAt), "expiry_date": utcOrNil(link.ExpiresAt), "created_at": link.CreatedAt,
	})
	return nil
}

// disableOpenLink is DELETE /tracks/{track_id}/open-link.
func (s *Server) disableOpenLink(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	trackID, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	if err := s.store.DisableOpenLink(r.Context(), p.CompanyID, trackID); err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "open link disabled", "track_id", trackID, "company_id", p.CompanyID,
		"key_prefix", p.KeyPrefix, "request_id", infoFrom(r.Context()).id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// showApply is GET /apply/{token}: the first stage's form with name and
// email fields.
func (s *Server) showApply(w http.ResponseWriter, r *http.Request) {
	page, err := s.store.OpenApplyPage(r.Context(), secret.Hash(r.PathValue("token")))
	if err != nil {
		s.renderApplyError(w, r, page, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, s.applyView(r, page, identityView{}, nil, ""), "")
}

// ApplyFormBinding returns what the form token of an open link's page is
// bound to: the hash of the link's token, so a token from one open link
// does not work on another.
func ApplyFormBinding(linkToken string) string {
	return "apply:" + string(secret.Hash(linkToken))
}

// applyView shows the public application form with the values entered.
func (s *Server) applyView(r *http.Request, page hiretrack.ApplyPage, identity identityView, values []string, formError string) pageView {
	return pageView{
		TrackTitle: page.TrackTitle, Heading: "Apply: " + page.TrackTitle, Error: formError,
		Message:   "Please enter your name and email address and answer the questions below. Fields marked * are required.",
		Identity:  &identity,
		Questions: questionViews(page.Module.Questions, values),
		FormToken: s.formToken(ApplyFormBinding(r.PathValue("token"))),
	}
}

// submitApply is POST /apply/{token}: it creates the candidate and the
// application with the answers.
func (s *Server) submitApply(w http.ResponseWriter, r *http.Request) {
	if wait := s.takeApply(r); wait > 0 {
		retryAfter := max(ceilSeconds(wait), 1)
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfter, 10))
		s.renderApplyError(w, r, hiretrack.ApplyPage{}, hiretrack.Errorf(hiretrack.KindRateLimited, "apply_rate_limited",
			"too many applications were sent from your network; please try again in %s", waitText(retryAfter)))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderApplyError(w, r, hiretrack.ApplyPage{}, formParseError(err))
		return
	}
	if err := s.checkFormPost(r, ApplyFormBinding(r.PathValue("token"))); err != nil {
		s.renderApplyError(w, r, hiretrack.ApplyPage{}, err)
		return
	}

	hash := secret.Hash(r.PathValue("token"))
	identity := identityView{Name: strings.TrimSpace(r.PostForm.Get("name")), Email: strings.TrimSpace(r.PostForm.Get("email"))}
	values := formValues(r)
	if problem := checkIdentity(identity); problem != "" {
		page, err := s.store.OpenApplyPage(r.Context(), hash)
		if err != nil {
			s.renderApplyError(w, r, page, err)
			return
		}
		s.renderPage(w, r, http.StatusBadRequest, s.applyView(r, page, identity, values, problem), "")
		return
	}

	s.apply(w, r, hash, identity, values)
}

// apply stores a submission whose name and email passed their checks.
func (s *Server) apply(w http.ResponseWriter, r *http.Request, hash hiretrack.SecretHash, identity identityView, values []string) {
	_, stored, err := s.sealer.NewInviteToken()
	if err != nil {
		s.renderApplyError(w, r, hiretrack.ApplyPage{}, hiretrack.Internal("create invite token", err))
		return
	}
	t, page, err := s.store.Apply(r.Context(), hiretrack.ApplyParams{
		TokenHash: hash, CandidateName: identity.Name, Email: identity.Email, Values: values, Token: stored,
	})
	var e *hiretrack.Error
	switch {
	case errors.As(err, &e) && e.Kind == hiretrack.KindInvalid:
		s.renderPage(w, r, http.StatusBadRequest, s.applyView(r, page, identity, values, e.Message), "")
		return
	case err != nil:
		s.renderApplyError(w, r, page, err)
		return
	}

	s.metrics.countTransition(transitionApply, t)
	s.logger.InfoContext(r.Context(), "application received through open link",
		"track_id", t.TrackID, "application_id", t.ApplicationID, "request_id", infoFrom(r.Context()).id)
	s.renderPage(w, r, http.StatusCreated, pageView{
		TrackTitle: page.TrackTitle, Heading: "Thank you",
		Message: "Your application was received. We will be in touch about the next step.",
	}, "")
}

// transitionApply is the metrics kind of an application through an open link.
const transitionApply = "apply"

// takeApply spends one submission of the client's address and returns how
// long to wait when none is left; 0 when the submission may go ahead.
func (s *Server) takeApply(r *http.Request) time.Duration {
	if s.applyLimiter == nil {
		return 0
	}
	wait := s.applyLimiter.take(s.clientAddr(r))
	if wait > 0 {
		s.logger.WarnContext(r.Context(), "open link submission rate limited",
			"client_addr", s.clientAddr(r), "request_id", infoFrom(r.Context()).id)
	}
	return wait
}

// waitText returns a number of seconds as minutes when it is at least one minute.
func waitText(seconds int64) string {
	if seconds < 60 {
		return fmt.Sprintf("%d seconds", seconds)
	}
	minutes := (seconds + 59) / 60
	if minutes == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", minutes)
}

// checkIdentity returns what is wrong with the name or email, or "".
func checkIdentity(id identityView) string {
	switch {
	case id.Name == "":
		return "Your name is required"
	case utf8.RuneCountInString(id.Name) > maxNameLen:
		return fmt.Sprintf("Your name is %d characters long; the maximum is %d", utf8.RuneCountInString(id.Name), maxNameLen)
	case strings.ContainsFunc(id.Name, isForbiddenControl):
		return "Your name must not contain control characters"
	case id.Email == "":
		return "Your email address is required"
	case len(id.Email) > 254 || checkEmail(id.Email) != nil:
		return fmt.Sprintf("%q is not an email address; enter one such as jane@example.com", id.Email)
	}
	return ""
}

// renderApplyError shows a clear page for a submission or link that
// cannot be used; faults are logged and shown without detail.
func (s *Server) renderApplyError(w http.ResponseWriter, r *http.Request, page hiretrack.ApplyPage, err error) {
	var e *hiretrack.Error
	if !errors.As(err, &e) || e.Kind == hiretrack.KindInternal {
		s.renderInviteError(w, r, hiretrack.InvitePage{}, err)
		return
	}

	headings := map[string]string{
		"apply_not_found": "Link not found", "apply_closed": "Applications closed",
		"apply_not_started": "Not open yet", "apply_expired": "Applications closed",
		"already_applied": "Already applied", "apply_rate_limited": "Too many applications",
		"form_token_invalid": "Form not accepted",
	}
	heading, ok := headings[e.Code]
	if !ok {
		heading = "This request could not be completed"
	}
	message := upperFirst(e.Message) + "."
	if e.Code == "already_applied" {
		message = "An application with this email address was already received for " + page.TrackTitle +
			". It is stored once, and we will be in touch about the next step."
	}
	s.renderPage(w, r, statusOf(e.Kind), pageView{TrackTitle: page.TrackTitle, Heading: heading, Message: message}, "")
}
