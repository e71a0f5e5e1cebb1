package httpapi

import (
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// retryAfterUnavailable is the Retry-After of a 503, in seconds: about the
// time a PostgreSQL restart or failover takes.
const retryAfterUnavailable = "5"

// unavailable returns a database_unavailable error in place of an internal
// error that Config.Unavailable recognizes, and e itself otherwise. The
// cause is logged as a warning, because the client is asked to retry and
// the fault lies outside this server.
func (s *Server) unavailable(r *http.Request, e *hiretrack.Error) *hiretrack.Error {
	if e.Kind != hiretrack.KindInternal || s.isUnavailable == nil || !s.isUnavailable(e) {
		return e
	}

	s.logger.WarnContext(r.Context(), "request failed because the database is unavailable",
		"error", e, "request_id", infoFrom(r.Context()).id, "route", routeOf(r))
	return &hiretrack.Error{
		Kind: hiretrack.KindUnavailable, Code: "database_unavailable", Err: e,
		Message: "the database is not reachable at the moment; retry the request in a few seconds",
	}
}
