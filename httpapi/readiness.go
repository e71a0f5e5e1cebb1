package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// ReadinessTimeout bounds the checks of one GET /readyz together. A check
// still running then fails with the context's deadline error.
const ReadinessTimeout = 2 * time.Second

// ReadinessCheck is one condition that GET /readyz tests, such as
// "database". Check returns nil when the condition holds. Its error is
// logged but not sent, because /readyz needs no API key and an error can
// name hosts, users or paths.
//
// Probes repeat every few seconds, so a check is logged only when it starts
// failing and when it passes again, not on every failed probe.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// checkState is one check's entry in the /readyz body.
type checkState struct {
	Name   string `json:"name"`
	Status string `json:"status"` // "ok" or "failed"
}

// readyz runs every readiness check at once and returns 200 with each
// check's state when all pass, or 503 that also names the failed checks.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), ReadinessTimeout)
	defer cancel()

	errs := make([]error, len(s.readinessChecks))
	var wg sync.WaitGroup
	for i, c := range s.readinessChecks {
		wg.Go(func() { errs[i] = c.Check(ctx) })
	}
	wg.Wait()

	states := make([]checkState, len(s.readinessChecks))
	failed := []string{}
	for i, c := range s.readinessChecks {
		states[i] = checkState{Name: c.Name, Status: "ok"}
		if errs[i] != nil {
			states[i].Status = "failed"
			failed = append(failed, c.Name)
		}
		s.readiness.logChange(r, s.logger, c.Name, errs[i])
	}

	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"status": "not_ready", "failed": failed, "checks": states, "request_id": infoFrom(r.Context()).id,
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": states})
}

// readinessLog remembers which readiness checks failed on their last run,
// so that only changes are logged. It is safe for concurrent use.
type readinessLog struct {
	mu      sync.Mutex
	failing map[string]bool
}

// logChange logs a check that starts failing as a warning with its error,
// and a check that passes again as information.
func (l *readinessLog) logChange(r *http.Request, logger *slog.Logger, name string, err error) {
	l.mu.Lock()
	wasFailing := l.failing[name]
	if l.failing == nil {
		l.failing = map[string]bool{}
	}
	l.failing[name] = err != nil
	l.mu.Unlock()

	requestID := infoFrom(r.Context()).id
	switch {
	case err != nil && !wasFailing:
		logger.WarnContext(r.Context(), "readiness check failed", "check", name, "error", err, "request_id", requestID)
	case err == nil && wasFailing:
		logger.InfoContext(r.Context(), "readiness check passes again", "check", name, "request_id", requestID)
	}
}
