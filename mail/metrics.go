package mail

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hiretrack/hiretrack"
)

// metrics are the counters of email outcomes. Worker and RejectionWorker
// share one set when they are given the same registry.
type metrics struct {
	sent         *prometheus.CounterVec
	failed       *prometheus.CounterVec
	attemptsFail *prometheus.CounterVec
}

// newMetrics returns the email counters registered with registry, or the
// ones already registered there by another worker. A nil registry gives
// counters that nothing reads.
func newMetrics(registry prometheus.Registerer) *metrics {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_emails_sent_total",
			Help: "Emails accepted by the SMTP server or written as .eml files, by kind: invite or rejection.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_emails_failed_total",
			Help: "Emails given up and recorded as email_failed, because the last attempt failed or the address is invalid, by kind.",
		}, []string{"kind"}),
		attemptsFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiretrack_email_attempts_failed_total",
			Help: "Failed attempts to send an email, including those that River retries, by kind.",
		}, []string{"kind"}),
	}
	if registry != nil {
		m.sent = register(registry, m.sent)
		m.failed = register(registry, m.failed)
		m.attemptsFail = register(registry, m.attemptsFail)
	}

	for _, kind := range []hiretrack.EmailKind{hiretrack.EmailInvite, hiretrack.EmailRejection} {
		m.sent.WithLabelValues(string(kind))
		m.failed.WithLabelValues(string(kind))
		m.attemptsFail.WithLabelValues(string(kind))
	}
	return m
}

// register registers c with registry and returns it, or returns the equal
// collector that registry already has. It panics on any other registration
// error, which only a programming error causes.
func register(registry prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	err := registry.Register(c)
	if err == nil {
		return c
	}

	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing
		}
	}
	panic(err)
}
