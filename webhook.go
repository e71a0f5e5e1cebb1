package hiretrack

import (
	"context"
	"encoding/json"
	"time"
)

// The webhook event types. Each is the feed name of one timeline event type.
const (
	WebhookApplicationInvited    = "application.invited"
	WebhookResponseStarted       = "response.started"
	WebhookResponseCompleted     = "response.completed"
	WebhookApplicationAdvanced   = "application.advanced"
	WebhookApplicationMoved      = "application.moved"
	WebhookApplicationRejected   = "application.rejected"
	WebhookApplicationUnrejected = "application.unrejected"
	WebhookApplicationHired      = "application.hired"
	WebhookEmailSent             = "email.sent"
	WebhookEmailFailed           = "email.failed"

	// WebhookSecretGrace is how long the previous secret keeps signing
	// after a rotation, so receivers can switch secrets without losing events.
	WebhookSecretGrace = 24 * time.Hour

	// WebhookTest is sent by POST /webhooks/{id}/test only; it never
	// enters the feed.
	WebhookTest = "webhook.test"
)

// WebhookEventTypes lists the event types an endpoint can subscribe to, in
// the order error messages name them.
var WebhookEventTypes = []string{
	WebhookApplicationInvited, WebhookResponseStarted, WebhookResponseCompleted,
	WebhookApplicationAdvanced, WebhookApplicationMoved, WebhookApplicationRejected,
	WebhookApplicationUnrejected, WebhookApplicationHired, WebhookEmailSent, WebhookEmailFailed,
}

// FeedEventType returns the feed type of a timeline event type, or "" for
// timeline events that the feed leaves out, such as opened.
func FeedEventType(timelineType string) string {
	switch timelineType {
	case EventInvited:
		return WebhookApplicationInvited
	case EventStarted:
		return WebhookResponseStarted
	case EventCompleted:
		return WebhookResponseCompleted
	case EventAdvanced:
		return WebhookApplicationAdvanced
	case EventMoved:
		return WebhookApplicationMoved
	case EventRejected:
		return WebhookApplicationRejected
	case EventUnrejected:
		return WebhookApplicationUnrejected
	case EventHired:
		return WebhookApplicationHired
	case EventEmailSent:
		return WebhookEmailSent
	case EventEmailFailed:
		return WebhookEmailFailed
	}
	return ""
}

// Webhook is a registered endpoint as the API shows it. It never contains
// the signing secret.
type Webhook struct {
	ID             int64      `json:"webhook_id"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	Events         []string   `json:"events"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at"`

	// PreviousSecretExpiresAt is when the secret replaced by the last
	// rotation stops signing, or nil when only one secret signs.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// NewWebhook is an endpoint to register. SecretSealed is the signing
// secret sealed with the server key.
type NewWebhook struct {
	URL          string
	Description  string
	Events       []string
	SecretSealed []byte
}

// WebhookUpdate changes an endpoint; nil fields stay as they are. Enabling
// an endpoint clears its disabled reason.
type WebhookUpdate struct {
	URL         *string
	Description *string
	Events      []string
	Enabled     *bool
}

// The delivery statuses. A pending delivery is queued or being retried; a
// skipped one was not sent because its endpoint was disabled first.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliverySkipped   = "skipped"
)

// WebhookDelivery is one event sent, or to be sent, to one endpoint.
type WebhookDelivery struct {
	ID            int64            `json:"delivery_id"`
	WebhookID     int64            `json:"webhook_id"`
	EventID       string           `json:"event_id"`
	EventType     string           `json:"event_type"`
	Seq           *int64           `json:"seq"`
	ApplicationID *int64           `json:"application_id"`
	Status        string           `json:"status"`
	CreatedAt     time.Time        `json:"created_at"`
	FinishedAt    *time.Time       `json:"finished_at"`
	Attempts      []WebhookAttempt `json:"attempts"`
}

// WebhookAttempt is one HTTP request of a delivery. StatusCode is nil when
// no response arrived, and Error then explains why.
type WebhookAttempt struct {
	Attempt    int       `json:"attempt"`
	StatusCode *int      `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error"`
	At         time.Time `json:"at"`
}

// FeedEvent is one entry of the company change feed. Payload is the JSON
// body that webhooks send for it.
type FeedEvent struct {
	Seq     int64
	Payload json.RawMessage
}

// DeliveryWork is the data of one delivery attempt: the delivery, its
// payload and its endpoint.
type DeliveryWork struct {
	DeliveryID int64
	CompanyID  int64
	WebhookID  int64
	Status     string
	EventID    string
	Payload    []byte

	URL             string
	Enabled         bool
	SecretSealed    []byte
	PreviousSealed  []byte     // nil when no previous secret signs
	PreviousExpires *time.Time // when PreviousSealed stops signing

	// Blocked is set when an earlier event of the same application still
	// waits for delivery to this endpoint.
	Blocked bool
}

// The outcomes of a delivery attempt.
const (
	AttemptDelivered = "delivered" // 2xx: the delivery is done
	AttemptRetry     = "retry"     // a retryable failure; the queue tries again
	AttemptFailed    = "failed"    // a failure that no retry can fix, such as a 400
	AttemptExhausted = "exhausted" // the last attempt failed: the endpoint is disabled
)

// DeliveryResult is the record of one attempt for RecordDeliveryAttempt.
type DeliveryResult struct {
	DeliveryID int64
	Attempt    int
	StatusCode int // 0 when no response arrived
	Latency    time.Duration
	Error      string
	Outcome    string
}

// WebhookStore keeps webhook endpoints, the company change feed and
// deliveries. Every method that takes a company id returns KindNotFound for
// the records of other companies.
type WebhookStore interface {
	// CreateWebhook registers an endpoint, enabled.
	CreateWebhook(ctx context.Context, companyID int64, w NewWebhook) (Webhook, error)

	// Webhooks returns the company's endpoints, oldest first.
	Webhooks(ctx context.Context, companyID int64) ([]Webhook, error)

	// UpdateWebhook changes an endpoint. Disabling it marks its pending
	// deliveries skipped. KindNotFound for an unknown endpoint.
	UpdateWebhook(ctx context.Context, companyID, webhookID int64, u WebhookUpdate) (Webhook, error)

	// DeleteWebhook deletes an endpoint with its deliveries. KindNotFound
	// for an unknown endpoint.
	DeleteWebhook(ctx context.Context, companyID, webhookID int64) error

	// RotateWebhookSecret makes sealed the signing secret and keeps the old
	// one signing for the grace period. KindNotFound for an unknown endpoint.
	RotateWebhookSecret(ctx context.Context, companyID, webhookID int64, sealed []byte, grace time.Duration) (Webhook, error)

	// WebhookDeliveries returns the newest deliveries of an endpoint, at
	// most limit, newest first, each with its attempts.
	WebhookDeliveries(ctx context.Context, companyID, webhookID int64, limit int) ([]WebhookDelivery, error)

	// Redeliver queues the event of a delivery again, as a new delivery with
	// the same event_id. KindNotFound for an unknown endpoint or delivery;
	// KindConflict with code webhook_disabled for a disabled endpoint.
	Redeliver(ctx context.Context, companyID, webhookID, deliveryID int64) (WebhookDelivery, error)

	// SendTestEvent queues a webhook.test event to one endpoint. Errors as Redeliver.
	SendTestEvent(ctx context.Context, companyID, webhookID int64) (WebhookDelivery, error)

	// Events returns up to limit feed events with a seq above after, in seq order.
	Events(ctx context.Context, companyID, after int64, limit int) ([]FeedEvent, error)

	// DeliveryWork loads one delivery for the webhook worker. KindNotFound
	// when it no longer exists. Called only by the webhook worker.
	DeliveryWork(ctx context.Context, deliveryID int64) (DeliveryWork, error)

	// RecordDeliveryAttempt stores an attempt and its outcome; for
	// AttemptExhausted it also disables the endpoint and skips its other
	// pending deliveries. Called only by the webhook worker.
	RecordDeliveryAttempt(ctx context.Context, r DeliveryResult) error

	// SkipDelivery marks a pending delivery skipped, for an endpoint that
	// was disabled before it was sent. Called only by the webhook worker.
	SkipDelivery(ctx context.Context, deliveryID int64) error
}
