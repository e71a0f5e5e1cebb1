// Package webhook sends the company's events to registered endpoints: the
// River worker that posts one delivery, the Standard Webhooks signature,
// the retry schedule and the policy of allowed addresses.
//
// Delivery is at least once. A process that dies after the receiver
// responded with 2xx, but before the delivery was recorded, sends it again.
// The webhook-id header stays the same, so receivers can drop the duplicate.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// Queue is the River queue of webhook jobs, apart from the email queue so
// that slow receivers never hold up emails.
const Queue = "webhooks"

// maxErrorText is the maximum length in bytes of an attempt's stored error.
const maxErrorText = 300

// DeliveryArgs is the job of one delivery.
type DeliveryArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind returns the River job kind.
func (DeliveryArgs) Kind() string { return "webhook_delivery" }

// Schedule is the retry schedule of deliveries: the wait before retry n
// (counted from 1) is Base × Factor^(n−1), at most Max, times a random
// factor between 0.8 and 1.2. MaxAttempts counts the first attempt.
// Blocked is the first wait of a delivery while an earlier event of the
// same application is still pending. Each further wait doubles, up to
// BlockedMax.
type Schedule struct {
	Base        time.Duration
	Factor      float64
	Max         time.Duration
	MaxAttempts int
	Blocked     time.Duration
	BlockedMax  time.Duration
}

// DefaultSchedule retries after about 1, 3, 9, 27 and 81 minutes, 4 hours
// and then 6 hours three times: 10 attempts over about 24 hours.
var DefaultSchedule = Schedule{
	Base: time.Minute, Factor: 3, Max: 6 * time.Hour, MaxAttempts: 10,
	Blocked: 5 * time.Second, BlockedMax: time.Minute,
}

// Wait returns the wait before retry n, with jitter.
func (s Schedule) Wait(n int) time.Duration {
	wait := float64(s.Base)
	for i := 1; i < n && wait < float64(s.Max); i++ {
		wait *= s.Factor
	}
	wait = min(wait, float64(s.Max))
	return time.Duration(wait * (0.8 + 0.4*rand.Float64()))
}

// InsertOpts returns the options of a delivery job.
func (s Schedule) InsertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: Queue, MaxAttempts: s.MaxAttempts}
}

// Store is the part of the store that the worker uses.
type Store interface {
	DeliveryWork(ctx context.Context, deliveryID int64) (hiretrack.DeliveryWork, error)
	RecordDeliveryAttempt(ctx context.Context, r hiretrack.DeliveryResult) error
	SkipDelivery(ctx context.Context, deliveryID int64) error
}

// WorkerConfig is the configuration of a Worker.
type WorkerConfig struct {
	Store    Store
	Sealer   *secret.Sealer
	Policy   Policy
	Schedule Schedule
	Timeout  time.Duration    // of one HTTP request
	Now      func() time.Time // the clock of signatures and secret expiry; time.Now when nil
	Logger   *slog.Logger
}

// Worker posts deliveries.
type Worker struct {
	river.WorkerDefaults[DeliveryArgs]

	cfg    WorkerConfig
	client *http.Client
}

// NewWorker returns a worker that sends with a client bound to cfg.Policy.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{cfg: cfg, client: cfg.Policy.Client(cfg.Timeout)}
}

// NextRetry returns when River runs the job again after a failed attempt.
func (w *Worker) NextRetry(job *river.Job[DeliveryArgs]) time.Time {
	return time.Now().Add(w.cfg.Schedule.Wait(job.Attempt))
}

// Timeout gives one attempt the HTTP timeout and time to record it.
func (w *Worker) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return w.cfg.Timeout + 30*time.Second
}

// Work sends one delivery. It sends nothing for a delivery that is no
// longer pending or whose endpoint is disabled, and snoozes while an
// earlier event of the same application waits for the same endpoint.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	work, err := w.cfg.Store.DeliveryWork(ctx, job.Args.DeliveryID)
	if hiretrack.ErrorKind(err) == hiretrack.KindNotFound {
		return river.JobCancel(err) // the endpoint was deleted
	}
	if err != nil {
		// NOTE: when River discards the job after MaxAttempts such errors,
		// the delivery stays pending and holds up the later events of its
		// application to this endpoint until the endpoint is disabled, which
		// skips it, and enabled again.
		w.cfg.Logger.ErrorContext(ctx, "loading a webhook delivery failed", "delivery_id", job.Args.DeliveryID,
			"attempt", job.Attempt, "error", err)
		return err
	}

	switch {
	case work.Status != hiretrack.DeliveryPending:
		return nil
	case !work.Enabled:
		w.cfg.Logger.InfoContext(ctx, "webhook skipped; endpoint disabled", w.attrs(work, job)...)
		return w.cfg.Store.SkipDelivery(ctx, work.DeliveryID)
	case work.Blocked:
		return river.JobSnooze(w.blockedWait(job))
	}

	result := w.send(ctx, work, job.Attempt)
	if result.Outcome == hiretrack.AttemptRetry && job.Attempt >= job.MaxAttempts {
		result.Outcome = hiretrack.AttemptExhausted
	}
	if err := w.cfg.Store.RecordDeliveryAttempt(ctx, result); err != nil {
		w.cfg.Logger.ErrorContext(ctx, "recording a webhook attempt failed", w.attrs(work, job, "error", err)...)
		return err
	}
	return w.finish(ctx, work, job, result)
}

// blockedWait doubles the snooze of a blocked delivery on each snooze.
func (w *Worker) blockedWait(job *river.Job[DeliveryArgs]) time.Duration {
	wait := w.cfg.Schedule.Blocked
	for i := 0; i < snoozes(job) && wait < w.cfg.Schedule.BlockedMax; i++ {
		wait *= 2
	}
	return min(wait, w.cfg.Schedule.BlockedMax)
}

// finish logs the outcome and returns what River needs: nil when done, an
// error to retry, and a cancel when no retry is left.
func (w *Worker) finish(ctx context.Context, work hiretrack.DeliveryWork, job *river.Job[DeliveryArgs], r hiretrack.DeliveryResult) error {
	attrs := w.attrs(work, job, "status_code", r.StatusCode, "latency_ms", r.Latency.Milliseconds())
	switch r.Outcome {
	case hiretrack.AttemptDelivered:
		w.cfg.Logger.InfoContext(ctx, "webhook delivered", attrs...)
		return nil
	case hiretrack.AttemptFailed:
		w.cfg.Logger.WarnContext(ctx, "webhook rejected by the receiver; not retrying", append(attrs, "error", r.Error)...)
		return nil
	case hiretrack.AttemptExhausted:
		w.cfg.Logger.ErrorContext(ctx, "webhook failed its last attempt; endpoint disabled", append(attrs, "error", r.Error)...)
		return river.JobCancel(errors.New(r.Error))
	}
	w.cfg.Logger.WarnContext(ctx, "webhook attempt failed; retrying", append(attrs, "error", r.Error)...)
	return errors.New(r.Error)
}

func (w *Worker) attrs(work hiretrack.DeliveryWork, job *river.Job[DeliveryArgs], more ...any) []any {
	return append([]any{"delivery_id", work.DeliveryID, "webhook_id", work.WebhookID, "company_id", work.CompanyID,
		"event_id", work.EventID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts}, more...)
}

// send posts the payload once and classifies the response.
func (w *Worker) send(ctx context.Context, work hiretrack.DeliveryWork, attempt int) hiretrack.DeliveryResult {
	r := hiretrack.DeliveryResult{DeliveryID: work.DeliveryID, Attempt: attempt, Outcome: hiretrack.AttemptRetry}
	req, err := w.request(ctx, work)
	if err != nil {
		r.Error = clipError(err.Error())
		return r
	}

	start := time.Now()
	resp, err := w.client.Do(req)
	r.Latency = time.Since(start)
	if err != nil {
		r.Error = clipError(err.Error())
		return r
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	r.StatusCode = resp.StatusCode
	r.Outcome = classify(resp.StatusCode)
	if r.Outcome != hiretrack.AttemptDelivered {
		r.Error = "receiver responded with " + resp.Status
	}
	return r
}

// classify returns the outcome of an HTTP status. A 2xx is delivered, and
// 408, 429 and 5xx are retried. Any other status is a failure that no
// retry fixes.
func classify(status int) string {
	switch {
	case status >= 200 && status < 300:
		return hiretrack.AttemptDelivered
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return hiretrack.AttemptRetry
	}
	return hiretrack.AttemptFailed
}

// request builds the signed POST of one delivery.
func (w *Worker) request(ctx context.Context, work hiretrack.DeliveryWork) (*http.Request, error) {
	now := w.cfg.Now()
	signature, err := w.signature(work, now)
	if err != nil {
		return nil, err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, work.URL, bytes.NewReader(work.Payload))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hiretrack-webhooks/1")
	req.Header.Set(HeaderID, work.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, signature)
	return req, nil
}

// signature signs with the current secret and, during the grace period
// after a rotation, with the previous one too, space-separated as the
// Standard Webhooks scheme allows.
func (w *Worker) signature(work hiretrack.DeliveryWork, now time.Time) (string, error) {
	sealed := [][]byte{work.SecretSealed}
	if work.PreviousSealed != nil && work.PreviousExpires != nil && now.Before(*work.PreviousExpires) {
		sealed = append(sealed, work.PreviousSealed)
	}

	var signatures []string
	for _, s := range sealed {
		whsec, err := w.cfg.Sealer.Open(s)
		if err != nil {
			return "", fmt.Errorf("open webhook secret: %w", err)
		}
		sig, err := Sign(whsec, work.EventID, now, work.Payload)
		if err != nil {
			return "", err
		}
		signatures = append(signatures, sig)
	}
	return strings.Join(signatures, " "), nil
}

// snoozes returns how often River has snoozed the job, which it counts in
// the job's metadata.
func snoozes(job *river.Job[DeliveryArgs]) int {
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(job.Metadata, &meta) // missing or malformed metadata counts as no snooze
	return meta.Snoozes
}

func clipError(text string) string {
	if len(text) > maxErrorText {
		return text[:maxErrorText] + "…"
	}
	return text
}
