package app

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/webhook"
)

// webhookWorkers is how many webhooks one server sends at once. A slow
// receiver holds one worker for at most the webhook timeout, so 20 keep
// other receivers and applications moving.
const webhookWorkers = 20

// DefaultWebhookTimeout is the default time a receiver has to respond.
const DefaultWebhookTimeout = 10 * time.Second

// webhookSchedule returns the configured retry schedule, or the default.
func (s *Server) webhookSchedule() webhook.Schedule {
	if s.cfg.WebhookSchedule != nil {
		return *s.cfg.WebhookSchedule
	}
	return webhook.DefaultSchedule
}

// webhookPolicy returns the address policy of webhook URLs.
func (s *Server) webhookPolicy() webhook.Policy {
	return webhook.Policy{AllowPrivate: s.cfg.WebhookAllowPrivate}
}

// wireWebhookJobs makes the store queue each delivery as a River job in the
// transaction of its event.
func (s *Server) wireWebhookJobs() {
	opts := s.webhookSchedule().InsertOpts()
	s.store.SetDeliveryInserter(func(ctx context.Context, tx *sql.Tx, deliveryID int64) error {
		_, err := s.queue.InsertTx(ctx, tx, webhook.DeliveryArgs{DeliveryID: deliveryID}, opts)
		return err
	})
}

// addWebhookWorker registers the delivery worker and its queue.
func (s *Server) addWebhookWorker(workers *river.Workers, queues map[string]river.QueueConfig, sealer *secret.Sealer) {
	timeout := s.cfg.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	river.AddWorker(workers, webhook.NewWorker(webhook.WorkerConfig{
		Store: s.store, Sealer: sealer, Policy: s.webhookPolicy(), Schedule: s.webhookSchedule(),
		Timeout: timeout, Now: s.cfg.Now, Logger: s.logger.With("component", "webhooks"),
	}))
	queues[webhook.Queue] = river.QueueConfig{MaxWorkers: webhookWorkers}
}

// webhookConfig is the handlers' part of the webhook wiring.
func (s *Server) webhookConfig() httpapi.WebhookConfig {
	return httpapi.WebhookConfig{Store: s.store, CheckURL: s.webhookPolicy().CheckURL}
}
