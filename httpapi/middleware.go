package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// requestInfo travels in the request context so the log line written after
// the handler can name the key that authenticated.
type requestInfo struct {
	id        string
	route     string
	keyPrefix string
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// statusWriter records the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// withRequestLog assigns the request id, writes one log line per request
// and counts the request in the HTTP metrics.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", info.id)

		// routeOf and metricsRoute below read the route that withRoute
		// stores in info, so r itself must carry info.
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)

		duration := time.Since(start)
		status := sw.status
		if status == 0 {
			// A handler that wrote nothing gets 200 from net/http.
			status = http.StatusOK
		}
		s.metrics.observeRequest(metricsRoute(r), status, duration)
		annotateSpan(r.Context(), metricsRoute(r), status, info)

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("route", routeOf(r)), slog.Int("status", status),
			slog.Float64("duration_ms", float64(duration.Microseconds())/1000),
			slog.String("request_id", info.id), slog.String("key_prefix", info.keyPrefix))
	})
}

// withRoute records the matched pattern, which the router sets only on the
// request it passes down, for the log line written after the handler.
func withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).route = r.Pattern
		next.ServeHTTP(w, r)
	})
}

// routeOf returns the matched route pattern; unmatched invite paths are
// reduced to the pattern so tokens never reach the log.
func routeOf(r *http.Request) string {
	if route := infoFrom(r.Context()).route; route != "" {
		return route
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	if strings.HasPrefix(r.URL.Path, "/invite/") {
		return "/invite/{token}"
	}
	if strings.HasPrefix(r.URL.Path, "/apply/") {
		return "/apply/{token}"
	}
	return r.URL.Path
}

// requestID keeps a client's id when it is short and printable, else makes one.
func requestID(given string) string {
	if given != "" && len(given) <= 128 && printable(given) {
		return given
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "unavailable"
	}
	return hex.EncodeToString(b)
}

func printable(s string) bool {
	for _, c := range s {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// apiHandler is a JSON endpoint: it returns the error it could not handle
// and the Server writes it once, in writeError.
type apiHandler func(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error

// authenticate reads the key from the apiKey header or a Bearer token,
// spends one request of the key's rate limit and passes the principal to h.
func (s *Server) authenticate(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("apiKey")
		if auth := r.Header.Get("Authorization"); key == "" && auth != "" {
			scheme, token, _ := strings.Cut(auth, " ")
			if strings.EqualFold(scheme, "Bearer") {
				key = strings.TrimSpace(token)
			}
		}
		if key == "" {
			s.writeError(w, r, hiretrack.Errorf(hiretrack.KindUnauthorized, "unauthorized",
				"missing API key: send it in the apiKey header or as Authorization: Bearer <key>"))
			return
		}

		p, err := s.store.Authenticate(r.Context(), secret.Hash(key))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		infoFrom(r.Context()).keyPrefix = p.KeyPrefix

		if err := s.checkRateLimit(w, p); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}
