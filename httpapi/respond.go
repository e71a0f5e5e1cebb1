package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// statusOf maps an error kind to its HTTP status. It is the only place
// that makes this choice.
func statusOf(kind hiretrack.Kind) int {
	switch kind {
	case hiretrack.KindInvalid:
		return http.StatusBadRequest
	case hiretrack.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case hiretrack.KindUnauthorized:
		return http.StatusUnauthorized
	case hiretrack.KindForbidden:
		return http.StatusForbidden
	case hiretrack.KindNotFound:
		return http.StatusNotFound
	case hiretrack.KindConflict:
		return http.StatusConflict
	case hiretrack.KindGone:
		return http.StatusGone
	case hiretrack.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case hiretrack.KindRateLimited:
		return http.StatusTooManyRequests
	case hiretrack.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError writes the JSON error envelope. Internal errors are logged
// with their cause and reach the client only as "internal error" plus the
// request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorBody(r, err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterUnavailable)
	}
	writeJSON(w, status, body)
}

// errorBody returns the status and JSON envelope of err.
func (s *Server) errorBody(r *http.Request, err error) (int, map[string]any) {
	info := infoFrom(r.Context())
	var e *hiretrack.Error
	if !errors.As(err, &e) {
		e = hiretrack.Internal("unexpected error", err)
	}
	e = s.unavailable(r, e)

	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = v
	}
	detail := map[string]any{"code": e.Code, "message": e.Message, "request_id": info.id}
	if e.Field != "" {
		detail["field"] = e.Field
	}
	if e.Kind == hiretrack.KindInternal {
		s.logger.ErrorContext(r.Context(), "request failed", "error", err, "request_id", info.id, "route", routeOf(r))
		detail["message"] = "internal error; quote the request_id when reporting it"
	}
	body["error"] = detail
	return statusOf(e.Kind), body
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// An encoding error here means the client went away; there is no one left to tell.
	_ = enc.Encode(v)
}

// list wraps list results in the {"data": [...]} envelope.
func list[T any](items []T) map[string]any {
	if items == nil {
		items = []T{}
	}
	return map[string]any{"data": items}
}
