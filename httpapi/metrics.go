package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hiretrack/hiretrack"
)

// Registry is a metrics registry that the server registers its metrics in
// and that GET /metrics serves, such as a *prometheus.Registry.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// unmatchedRoute is the route label of requests that matched no route, so
// that unknown paths cannot add label values without bound.
const unmatchedRoute = "unmatched"

// metrics are the counters and histograms that the handlers update.
type metrics struct {
	requests     *prometheus.CounterVec
	durations    *prometheus.HistogramVec
	transitions  *prometheus.CounterVec
	emailsQueued *prometheus.CounterVec
}

// newMetrics creates the HTTP metrics and registers them with registry.
// The label values that are known in advance start at 0, so that a rate
// over them is defined before the first event.
func newMetrics(registry prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hiretrack_http_request_duration_seconds",
			Help:    "Time from receiving an HTTP request to the end of its handler, by route pattern and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_transitions_total",
			Help: "Stage transitions that changed an application, by kind: advance, move, reject, unreject, hire or import.",
		}, []string{"kind"}),
		emailsQueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_emails_queued_total",
			Help: "Emails queued for sending by API requests, by kind: invite or rejection.",
		}, []string{"kind"}),
	}
	registry.MustRegister(m.requests, m.durations, m.transitions, m.emailsQueued)

	for _, kind := range []string{
		string(hiretrack.TransitionAdvance), string(hiretrack.TransitionMove), string(hiretrack.TransitionReject),
		string(hiretrack.TransitionUnreject), string(hiretrack.TransitionHire), transitionImport,
	} {
		m.transitions.WithLabelValues(kind)
	}
	m.emailsQueued.WithLabelValues(string(hiretrack.EmailInvite))
	m.emailsQueued.WithLabelValues(string(hiretrack.EmailRejection))
	return m
}

// transitionImport is the kind label of an application imported with its
// first stage completed, which is not one of the hiretrack.TransitionKind values.
const transitionImport = "import"

// observeRequest counts one served request and its duration.
func (m *metrics) observeRequest(route string, status int, duration time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.durations.WithLabelValues(route, code).Observe(duration.Seconds())
}

// countTransition counts a transition that changed an application, and the
// email it queued. A dry run changes nothing and is not counted.
func (m *metrics) countTransition(kind string, t hiretrack.Transition) {
	if t.DryRun {
		return
	}
	m.transitions.WithLabelValues(kind).Inc()
	if !t.EmailQueued {
		return
	}

	emailKind := hiretrack.EmailInvite
	if kind == string(hiretrack.TransitionReject) {
		emailKind = hiretrack.EmailRejection
	}
	m.countEmailQueued(emailKind)
}

// countEmailQueued counts one queued email of kind.
func (m *metrics) countEmailQueued(kind hiretrack.EmailKind) {
	m.emailsQueued.WithLabelValues(string(kind)).Inc()
}

// metricsHandler serves the registry in the Prometheus text format. A
// collector that fails is logged and left out, and the other metrics are
// still served.
func metricsHandler(registry Registry, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorLog:      scrapeErrorLog{logger},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// scrapeErrorLog logs the errors of GET /metrics as one record each, with
// the error as an attribute. It implements promhttp.Logger.
type scrapeErrorLog struct{ logger *slog.Logger }

func (l scrapeErrorLog) Println(v ...any) {
	l.logger.Error("serving metrics failed", "error", strings.TrimSpace(fmt.Sprintln(v...)))
}

// metricsRoute returns the route label of a request: the matched route
// pattern, which never contains an invite token, or unmatchedRoute.
func metricsRoute(r *http.Request) string {
	if route := infoFrom(r.Context()).route; route != "" {
		return route
	}
	return unmatchedRoute
}
