package httpapi

import (
	"errors"
	"net/http"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// formTokenField is the name of the hidden form field that carries the
// form token of a candidate page.
const formTokenField = "form_token"

// InviteFormBinding returns what the form token of an invite page is bound
// to: the hash of the invite token, so a token from one invite page does
// not work on another.
func InviteFormBinding(inviteToken string) string {
	return "invite:" + string(secret.Hash(inviteToken))
}

// formToken returns the value of the hidden formTokenField for a page whose
// form posts are checked with checkFormPost and the same binding. Any page
// that posts a form without an API key uses this pair: the invite pages
// bind to InviteFormBinding, and another form binds to a string that names
// it, such as "apply:" and the form's id.
func (s *Server) formToken(binding string) string {
	return s.sealer.FormToken(binding, s.now())
}

// checkFormPost rejects a form post that did not come from a page that this
// server served for binding. The formTokenField must hold an unexpired
// token of formToken(binding). The browser must not mark the request as sent
// from another site in Sec-Fetch-Site. Call it after ParseForm and before
// any write. It returns KindForbidden with code form_token_invalid.
func (s *Server) checkFormPost(r *http.Request, binding string) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return formTokenError("the form was sent from another site")
	}

	err := s.sealer.CheckFormToken(r.PostForm.Get(formTokenField), binding, s.now())
	switch {
	case errors.Is(err, secret.ErrFormTokenExpired):
		return formTokenError("the form was open for more than 12 hours")
	case err != nil:
		return formTokenError("the form did not come from this page")
	}
	return nil
}

func formTokenError(reason string) error {
	return hiretrack.Errorf(hiretrack.KindForbidden, "form_token_invalid", "%s, so nothing was saved", reason)
}
