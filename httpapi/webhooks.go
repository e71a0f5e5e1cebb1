package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/hiretrack/hiretrack"
)

// Limits of the webhook endpoints.
const (
	maxWebhookURLLen         = 2000
	maxWebhookDescriptionLen = 500
	defaultDeliveries        = 50
	maxDeliveries            = 100
	defaultEventsLimit       = 100
	maxEventsLimit           = 1000
)

// WebhookConfig is the configuration of the webhook endpoints beyond the
// Server's other dependencies.
type WebhookConfig struct {
	Store hiretrack.WebhookStore

	// CheckURL checks a URL against the server's allow-list and returns
	// KindUnprocessable naming the field url when it is not allowed.
	CheckURL func(ctx context.Context, url string) error
}

// routeWebhooks adds the webhook endpoints and the feed. Creating an
// endpoint and rotating its secret skip idempotency keys, because a replay
// would show the secret a second time.
func (s *Server) routeWebhooks(api, noReplay func(string, apiHandler)) {
	noReplay("POST /webhooks", s.createWebhook)
	api("GET /webhooks", s.listWebhooks)
	api("PATCH /webhooks/{webhook_id}", s.updateWebhook)
	api("DELETE /webhooks/{webhook_id}", s.deleteWebhook)
	noReplay("POST /webhooks/{webhook_id}/rotate-secret", s.rotateWebhookSecret)
	api("GET /webhooks/{webhook_id}/deliveries", s.listDeliveries)
	api("POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", s.redeliver)
	api("POST /webhooks/{webhook_id}/test", s.testWebhook)
	api("GET /events", s.listEvents)
}

// webhookWithSecret is the body of POST /webhooks and of a rotation: the
// endpoint and, this one time only, its signing secret.
type webhookWithSecret struct {
	hiretrack.Webhook
	Secret string `json:"secret"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	url := body.String("url", maxWebhookURLLen)
	events := readEventTypes(body, true)
	description, _ := body.OptionalString("description", maxWebhookDescriptionLen)
	if err := body.Err(); err != nil {
		return err
	}
	if err := s.webhooks.CheckURL(r.Context(), url); err != nil {
		return err
	}

	plain, sealed, err := s.sealer.NewWebhookSecret()
	if err != nil {
		return hiretrack.Internal("generate webhook secret", err)
	}
	created, err := s.webhooks.Store.CreateWebhook(r.Context(), p.CompanyID, hiretrack.NewWebhook{
		URL: url, Description: description, Events: events, SecretSealed: sealed,
	})
	if err != nil {
		return err
	}

	s.logger.InfoContext(r.Context(), "webhook created", "webhook_id", created.ID, "company_id", p.CompanyID,
		"events", len(created.Events), "by_key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusCreated, webhookWithSecret{Webhook: created, Secret: plain})
	return nil
}

// readEventTypes reads the events field: a non-empty array of distinct
// event types, in the order of hiretrack.WebhookEventTypes.
func readEventTypes(body *object, required bool) []string {
	v := body.raw("events")
	if v == nil {
		if required {
			body.missing("events")
		}
		return nil
	}
	var names []string
	if err := json.Unmarshal(v, &names); err != nil || len(names) == 0 {
		body.fail(hiretrack.KindInvalid, "events", "invalid_field",
			"events is %s; it must be a non-empty array of event types such as [\"application.hired\"]", clip(v))
		return nil
	}
	for _, name := range names {
		if !slices.Contains(hiretrack.WebhookEventTypes, name) {
			body.fail(hiretrack.KindUnprocessable, "events", "invalid_value",
				"events contains %q; allowed values are %s", name, quoteList(hiretrack.WebhookEventTypes))
			return nil
		}
	}

	var events []string
	for _, t := range hiretrack.WebhookEventTypes {
		if slices.Contains(names, t) {
			events = append(events, t)
		}
	}
	return events
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	hooks, err := s.webhooks.Store.Webhooks(r.Context(), p.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(hooks))
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	var u hiretrack.WebhookUpdate
	if url, ok := body.OptionalString("url", maxWebhookURLLen); ok {
		u.URL = &url
	}
	if description, ok := body.OptionalString("description", maxWebhookDescriptionLen); ok {
		u.Description = &description
	}
	u.Events = readEventTypes(body, false)
	if body.raw("enabled") != nil {
		enabled := body.Bool("enabled")
		u.Enabled = &enabled
	}
	if err := body.Err(); err != nil {
		return err
	}
	if u.URL != nil {
		if err := s.webhooks.CheckURL(r.Context(), *u.URL); err != nil {
			return err
		}
	}

	updated, err := s.webhooks.Store.UpdateWebhook(r.Context(), p.CompanyID, id, u)
	if err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "webhook updated", "webhook_id", id, "company_id", p.CompanyID,
		"enabled", updated.Enabled, "by_key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusOK, updated)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	if err := s.webhooks.Store.DeleteWebhook(r.Context(), p.CompanyID, id); err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "webhook deleted", "webhook_id", id, "company_id", p.CompanyID, "by_key_prefix", p.KeyPrefix)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	plain, sealed, err := s.sealer.NewWebhookSecret()
	if err != nil {
		return hiretrack.Internal("generate webhook secret", err)
	}
	rotated, err := s.webhooks.Store.RotateWebhookSecret(r.Context(), p.CompanyID, id, sealed, hiretrack.WebhookSecretGrace)
	if err != nil {
		return err
	}

	s.logger.InfoContext(r.Context(), "webhook secret rotated", "webhook_id", id, "company_id", p.CompanyID,
		"by_key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusOK, webhookWithSecret{Webhook: rotated, Secret: plain})
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	params := &queryParams{values: r.URL.Query()}
	limit := params.Int("limit", 1, maxDeliveries, defaultDeliveries)
	if err := params.Err(); err != nil {
		return err
	}

	deliveries, err := s.webhooks.Store.WebhookDeliveries(r.Context(), p.CompanyID, id, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(deliveries))
	return nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	deliveryID, err := pathID(r, "delivery_id")
	if err != nil {
		return err
	}
	delivery, err := s.webhooks.Store.Redeliver(r.Context(), p.CompanyID, id, deliveryID)
	if err != nil {
		return err
	}

	s.logger.InfoContext(r.Context(), "webhook redelivery queued", "webhook_id", id, "delivery_id", delivery.ID,
		"event_id", delivery.EventID, "company_id", p.CompanyID, "by_key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusAccepted, delivery)
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "webhook_id")
	if err != nil {
		return err
	}
	delivery, err := s.webhooks.Store.SendTestEvent(r.Context(), p.CompanyID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, delivery)
	return nil
}

// listEvents serves the company change feed: the events after a seq, in
// seq order, and the seq to ask after next.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	params := &queryParams{values: r.URL.Query()}
	after := params.Int("after", 0, 1<<62, 0)
	limit := params.Int("limit", 1, maxEventsLimit, defaultEventsLimit)
	if err := params.Err(); err != nil {
		return err
	}

	events, err := s.webhooks.Store.Events(r.Context(), p.CompanyID, after, int(limit))
	if err != nil {
		return err
	}
	payloads := make([]json.RawMessage, len(events))
	next := after
	for i, e := range events {
		payloads[i], next = e.Payload, e.Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": payloads, "next_after": next})
	return nil
}
