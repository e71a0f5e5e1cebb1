// Package httpapi serves hiretrack's JSON API and the candidate pages over
// HTTP, on Go's standard router.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// DefaultMaxBodyBytes is the request body limit when Config leaves it zero.
// The largest legitimate body, a track of many stages or a form module of
// many questions, stays far below it.
const DefaultMaxBodyBytes = 1 << 20

// Config is the set of dependencies and settings of the handlers.
type Config struct {
	Store        hiretrack.Store
	Sealer       *secret.Sealer
	PublicURL    string // base of invite links, such as https://jobs.example.com
	Logger       *slog.Logger
	MaxBodyBytes int64

	// Metrics is the registry that New registers the HTTP metrics in and
	// that GET /metrics serves. New panics when it already contains them, so
	// each Server needs a registry of its own. When it is nil, New creates one.
	Metrics Registry

	// ReadinessChecks are the conditions that GET /readyz tests, in the
	// order its body lists them.
	ReadinessChecks []ReadinessCheck

	// RateLimit is how many requests per second each API key may send after
	// its first RateBurst. Either being 0 disables rate limiting. Now is the
	// clock of the limiter and of form tokens, time.Now when nil.
	RateLimit float64
	RateBurst int
	Now       func() time.Time

	// Unavailable reports whether an internal error means that the
	// database cannot be reached for now. Such errors return 503
	// database_unavailable instead of 500. When it is nil, none do.
	Unavailable func(error) bool

	// ApplyRateLimit is how many open-link submissions each client address
	// may send per hour, all at once or spread out; 0 disables the limit.
	// ClientIPHeader, when not empty, is the header whose last address is
	// the client's, as a trusted reverse proxy sets it.
	ApplyRateLimit int
	ClientIPHeader string

	// Webhooks serves the webhook endpoints and GET /events; they are not
	// routed when its Store is nil.
	Webhooks WebhookConfig

	// AfterErase, when not nil, runs after a candidate erasure committed,
	// to erase copies that the database does not hold, such as emails
	// written to files. It logs its own failures.
	AfterErase func(ctx context.Context, erasure hiretrack.Erasure)
}

// Server holds the handlers' dependencies.
type Server struct {
	store     hiretrack.Store
	sealer    *secret.Sealer
	publicURL string
	logger    *slog.Logger
	maxBody   int64

	registry        Registry
	metrics         *metrics
	readinessChecks []ReadinessCheck
	readiness       readinessLog
	limiter         *keyLimiter // nil when rate limiting is off
	isUnavailable   func(error) bool

	now            func() time.Time
	applyLimiter   *addrLimiter // nil when the open-link limit is off
	clientIPHeader string
	webhooks       WebhookConfig
	listAllRoutes  bool // Routes sets it to list the webhook routes too
	afterErase     func(ctx context.Context, erasure hiretrack.Erasure)
	routes         []Route // the routes that Handler registered, in order
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	s := &Server{
		store: cfg.Store, sealer: cfg.Sealer, logger: cfg.Logger, maxBody: cfg.MaxBodyBytes,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"), webhooks: cfg.Webhooks,
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}

	s.registry = cfg.Metrics
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.registry)
	s.readinessChecks = cfg.ReadinessChecks
	s.limiter = newKeyLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now)
	s.isUnavailable = cfg.Unavailable
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.applyLimiter = newAddrLimiter(cfg.ApplyRateLimit, s.now)
	s.clientIPHeader = cfg.ClientIPHeader
	s.afterErase = cfg.AfterErase
	return s
}

// Handler returns the routes wrapped in request id, logging and body limit middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	page := func(pattern string, h http.HandlerFunc) {
		s.routes = append(s.routes, Route{Pattern: pattern})
		mux.Handle(pattern, withRoute(h))
	}
	api := func(pattern string, h apiHandler) {
		if isWriteRoute(pattern) {
			h = s.withIdempotencyKey(h)
		}
		s.routes = append(s.routes, Route{Pattern: pattern, APIKey: true})
		mux.Handle(pattern, withRoute(s.authenticate(withScope(requiredScope(pattern), s.withAudit(pattern, h)))))
	}
	// The key endpoints skip idempotency keys, because a replay would show
	// a created key a second time.
	keys := func(pattern string, h apiHandler) {
		s.routes = append(s.routes, Route{Pattern: pattern, APIKey: true})
		mux.Handle(pattern, withRoute(s.authenticate(withScope(requiredScope(pattern), s.withAudit(pattern, h)))))
	}

	api("POST /modules", s.createModule)
	api("GET /modules", s.listModules)
	api("GET /modules/{module_id}", s.getModule)
	api("POST /tracks", s.createTrack)
	api("GET /tracks", s.listTracks)
	api("GET /tracks/{track_id}", s.getTrack)
	api("POST /tracks/invite", s.invite)
	api("PUT /tracks/candidate/advance", s.advance)
	api("PATCH /tracks/candidate/reject/{candidate_id}", s.rejectCandidate)
	api("POST /tracks/application", s.importApplication)
	api("PATCH /tracks/{track_id}/applicants/{application_id}/move", s.move)
	api("PATCH /tracks/{track_id}/applicants/{application_id}/reject", s.reject)
	api("PATCH /tracks/{track_id}/applicants/{application_id}/unreject", s.unreject)
	api("PATCH /tracks/{track_id}/applicants/{application_id}/hire", s.hire)
	api("POST /tracks/{track_id}/applicants/bulk", s.bulk)
	api("POST /responses/{response_id}/result", s.recordResult)
	api("GET /responses/{response_id}", s.getResponse)
	api("PATCH /tracks/{track_id}/stages/{stage_id}", s.updateStage)
	api("GET /tracks/{track_id}/applicants", s.listApplicants)
	api("GET /tracks/{track_id}/applicants/{application_id}", s.getApplicant)
	api("POST /responses/{response_id}/invite", s.reissueInvite)
	api("POST /responses/{response_id}/invite/revoke", s.revokeInvite)
	api("POST /tracks/{track_id}/open-link", s.setOpenLink)
	api("DELETE /tracks/{track_id}/open-link", s.disableOpenLink)
	keys("POST /api-keys", s.createAPIKey)
	keys("GET /api-keys", s.listAPIKeys)
	keys("DELETE /api-keys/{key_id}", s.revokeAPIKey)
	if s.webhooks.Store != nil || s.listAllRoutes {
		s.routeWebhooks(api, keys)
	}
	api("DELETE /candidates/{candidate_id}", s.eraseCandidate)
	api("GET /candidates/{candidate_id}/export", s.exportCandidate)
	api("GET /audit", s.listAudit)

	page("GET /invite/{token}", s.showInvite)
	page("POST /invite/{token}", s.submitInvite)
	page("POST /invite/{token}/start", s.startInvite)
	page("GET /apply/{token}", s.showApply)
	page("POST /apply/{token}", s.submitApply)
	page("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	page("GET /readyz", s.readyz)
	page("GET /metrics", metricsHandler(s.registry, s.logger).ServeHTTP)
	page("GET /openapi.yaml", serveOpenAPI)
	page("GET /docs", s.serveDocs)
	page("GET /docs/assets/{file}", s.serveDocsAsset)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, hiretrack.NotFoundf("no endpoint %s %s", r.Method, r.URL.Path))
	})

	return s.withRequestLog(s.limitBody(mux))
}

// limitBody cuts request bodies at the configured size.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next.ServeHTTP(w, r)
	})
}

// Route is one route of the server.
type Route struct {
	Pattern string // such as "GET /modules/{module_id}"
	APIKey  bool   // the route needs an API key and acts for its company
}

// Routes returns the routes of the server in the order they are
// registered. Tests walk it so that a new route cannot miss their checks.
func Routes() []Route {
	s := New(Config{Logger: slog.Default()})
	s.listAllRoutes = true
	s.Handler()
	return s.routes
}
