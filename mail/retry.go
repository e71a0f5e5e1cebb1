package mail

import (
	"time"

	"github.com/riverqueue/river"
)

// RetryDelay returns how long to wait after the given failed attempt (1 for
// the first) before the next one. It lets a WorkerConfig replace River's
// default backoff, which tests do so that a run of failed attempts takes
// seconds instead of hours.
type RetryDelay func(attempt int) time.Duration

// nextRetry returns when a job whose attempt failed runs again: after
// delay, or the zero time, which makes River apply its retry policy, when
// delay is nil.
func nextRetry(delay RetryDelay, attempt int) time.Time {
	if delay == nil {
		return time.Time{}
	}
	return time.Now().Add(delay(attempt))
}

// NextRetry returns when River runs a failed invite email job again.
func (w *Worker) NextRetry(job *river.Job[InviteArgs]) time.Time {
	return nextRetry(w.cfg.RetryDelay, job.Attempt)
}

// NextRetry returns when River runs a failed rejection email job again.
func (w *RejectionWorker) NextRetry(job *river.Job[RejectionArgs]) time.Time {
	return nextRetry(w.cfg.RetryDelay, job.Attempt)
}

// InsertOpts returns the options of a queued email job when the server sends
// each email at most maxAttempts times. 0 keeps MaxAttempts, the default of
// the job kinds.
func InsertOpts(maxAttempts int) *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: maxAttempts}
}
