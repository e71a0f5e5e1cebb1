package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hiretrack/hiretrack"
)

// reissueInvite is POST /responses/{response_id}/invite.
func (s *Server) reissueInvite(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "response_id")
	if err != nil {
		return err
	}
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	params := hiretrack.ReissueParams{Principal: p, ResponseID: id, Format: readInviteFormat(body), Regenerate: body.Bool("regenerate")}
	params.Window = s.readWindow(body)
	if err := body.Err(); err != nil {
		return err
	}

	token, stored, err := s.sealer.NewInviteToken()
	if err != nil {
		return hiretrack.Internal("create invite token", err)
	}
	params.Token = stored
	out, err := s.store.ReissueInvite(r.Context(), params)
	if err != nil {
		setRetryAfter(w, err)
		return err
	}
	if out.EmailQueued {
		s.metrics.countEmailQueued(hiretrack.EmailInvite)
	}

	// A link that stays valid is rebuilt from its sealed copy, so the
	// response body carries the link the candidate already has.
	if !out.Regenerated {
		if token, err = s.sealer.Open(out.TokenSealed); err != nil {
			return hiretrack.Internal("open sealed invite token", err)
		}
	}
	reply := responseJSON(out.Response)
	reply["invite_link"] = s.inviteLink(token)
	reply["status"] = sentStatus(out.EmailQueued)
	reply["regenerated"] = out.Regenerated
	reply["start_date"] = utcOrNil(out.StartsAt)
	reply["expiry_date"] = out.Response.ExpiresAt.UTC()
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// setRetryAfter sets Retry-After from the retry_after of a rate limit error.
func setRetryAfter(w http.ResponseWriter, err error) {
	var e *hiretrack.Error
	if !errors.As(err, &e) || e.Kind != hiretrack.KindRateLimited {
		return
	}
	if seconds, ok := e.Extra["retry_after"].(int64); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(seconds, 10))
	}
}

// revokeInvite is POST /responses/{response_id}/invite/revoke.
func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "response_id")
	if err != nil {
		return err
	}
	resp, err := s.store.RevokeInvite(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, responseJSON(resp))
	return nil
}
