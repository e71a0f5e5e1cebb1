package httpapi

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

//go:embed templates/page.html
var templateFS embed.FS

var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/page.html"))

// pageView is the data of the candidate page template.
type pageView struct {
	TrackTitle  string
	Heading     string
	Greeting    string
	Message     string
	Error       string
	Questions   []questionView
	StartAction string
	FormToken   string // the hidden field of both forms; see formToken

	// Identity adds name and email fields above the questions, on the
	// page of an open application link.
	Identity *identityView
}

// identityView is the name and email fields of the public application form.
type identityView struct {
	Name  string
	Email string
}

type questionView struct {
	Name     string
	Label    string
	Kind     hiretrack.QuestionKind
	Options  []string
	Required bool
	Value    string
}

func (s *Server) showInvite(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	page, err := s.store.OpenInvite(r.Context(), secret.Hash(token))
	if err != nil {
		s.renderInviteError(w, r, page, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, s.stageView(page, token, nil, ""), page.Module.LaunchURL)
}

// stageView shows the form of a form stage, or the start button otherwise.
func (s *Server) stageView(page hiretrack.InvitePage, token string, values []string, formError string) pageView {
	v := pageView{
		TrackTitle: page.TrackTitle, Heading: page.Stage.Name, Error: formError,
		Greeting:  fmt.Sprintf("Hello %s,", page.CandidateName),
		FormToken: s.formToken(InviteFormBinding(token)),
	}
	if page.Module.Type != hiretrack.ModuleForm {
		v.Message = fmt.Sprintf("Press Start when you are ready to begin %s.", page.Module.Name)
		v.StartAction = url.PathEscape(token) + "/start"
		return v
	}

	v.Message = "Please answer the questions below. Questions marked * are required."
	v.Questions = questionViews(page.Module.Questions, values)
	return v
}

// questionViews returns the form fields q1, q2, … with the values entered.
func questionViews(questions []hiretrack.Question, values []string) []questionView {
	views := make([]questionView, 0, len(questions))
	for i, q := range questions {
		qv := questionView{Name: fmt.Sprintf("q%d", i+1), Label: q.Label, Kind: q.Kind, Options: q.Options, Required: q.Required}
		if i < len(values) {
			qv.Value = values[i]
		}
		views = append(views, qv)
	}
	return views
}

func (s *Server) submitInvite(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if err := r.ParseForm(); err != nil {
		s.renderInviteError(w, r, hiretrack.InvitePage{}, formParseError(err))
		return
	}
	if err := s.checkFormPost(r, InviteFormBinding(token)); err != nil {
		s.renderInviteError(w, r, hiretrack.InvitePage{}, err)
		return
	}
	values := formValues(r)

	page, err := s.store.SubmitForm(r.Context(), secret.Hash(token), values)
	if hiretrack.ErrorKind(err) == hiretrack.KindInvalid {
		var e *hiretrack.Error
		errors.As(err, &e)
		s.renderPage(w, r, http.StatusBadRequest, s.stageView(page, token, values, e.Message), "")
		return
	}
	if err != nil {
		s.renderInviteError(w, r, page, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, pageView{
		TrackTitle: page.TrackTitle, Heading: "Thank you",
		Message: "Your answers were received. We will be in touch about the next step.",
	}, "")
}

// formValues returns the answers q1 … q100 of a parsed form.
func formValues(r *http.Request) []string {
	values := make([]string, 0, maxQuestions)
	for i := 1; i <= maxQuestions; i++ {
		values = append(values, r.PostForm.Get(fmt.Sprintf("q%d", i)))
	}
	return values
}

func formParseError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return hiretrack.Errorf(hiretrack.KindTooLarge, "body_too_large", "the form is larger than %d bytes", tooLarge.Limit)
	}
	return hiretrack.Errorf(hiretrack.KindInvalid, "invalid_form", "the form could not be read")
}

func (s *Server) startInvite(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if err := r.ParseForm(); err != nil {
		s.renderInviteError(w, r, hiretrack.InvitePage{}, formParseError(err))
		return
	}
	if err := s.checkFormPost(r, InviteFormBinding(token)); err != nil {
		s.renderInviteError(w, r, hiretrack.InvitePage{}, err)
		return
	}

	page, err := s.store.StartInvite(r.Context(), secret.Hash(token))
	if err != nil {
		s.renderInviteError(w, r, page, err)
		return
	}
	if page.Module.LaunchURL != "" {
		http.Redirect(w, r, launchURL(page), http.StatusSeeOther)
		return
	}
	s.renderPage(w, r, http.StatusOK, pageView{
		TrackTitle: page.TrackTitle, Heading: page.Stage.Name,
		Message: "You have started this step. You will receive instructions to continue it.",
	}, "")
}

// launchURL adds the response id to the module's launch URL, so the engine
// can tell which response to report its result for.
func launchURL(page hiretrack.InvitePage) string {
	u, err := url.Parse(page.Module.LaunchURL)
	if err != nil {
		return page.Module.LaunchURL
	}
	q := u.Query()
	q.Set("hiretrack_response_id", strconv.FormatInt(page.ResponseID, 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// renderInviteError shows a clear page for an unusable link; faults are
// logged and shown without detail.
func (s *Server) renderInviteError(w http.ResponseWriter, r *http.Request, page hiretrack.InvitePage, err error) {
	var e *hiretrack.Error
	if errors.As(err, &e) && s.unavailable(r, e).Kind == hiretrack.KindUnavailable {
		w.Header().Set("Retry-After", retryAfterUnavailable)
		s.renderPage(w, r, http.StatusServiceUnavailable, pageView{
			Heading: "Temporarily unavailable", Message: "Please try again in a few minutes.",
		}, "")
		return
	}
	if e == nil || e.Kind == hiretrack.KindInternal {
		s.logger.ErrorContext(r.Context(), "candidate page failed", "error", err, "request_id", infoFrom(r.Context()).id)
		s.renderPage(w, r, http.StatusInternalServerError, pageView{
			Heading: "Something went wrong", Message: "Please try again in a few minutes.",
		}, "")
		return
	}

	headings := map[string]string{
		"invite_not_found": "Link not found", "invite_completed": "Already completed",
		"invite_closed": "Step closed", "invite_expired": "Link expired",
		"invite_revoked": "Link withdrawn", "invite_not_started": "Not open yet",
		"form_token_invalid": "Form not accepted",
	}
	heading, ok := headings[e.Code]
	if !ok {
		heading = "This request could not be completed"
	}
	advice := " If you think this is a mistake, contact the recruiter who invited you."
	if e.Code == "form_token_invalid" {
		advice = " Open your invite link again to reload the form, then send it once more."
	}
	s.renderPage(w, r, statusOf(e.Kind), pageView{
		TrackTitle: page.TrackTitle, Heading: heading, Message: upperFirst(e.Message) + "." + advice,
	}, "")
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// renderPage writes a candidate page with headers that forbid framing,
// keep the token out of Referer headers and allow no scripts.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, v pageView, launchURL string) {
	formAction := "'self'"
	if u, err := url.Parse(launchURL); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction+
		"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)

	if err := pageTemplate.Execute(w, v); err != nil {
		s.logger.WarnContext(r.Context(), "render candidate page", "error", err, "request_id", infoFrom(r.Context()).id)
	}
}
