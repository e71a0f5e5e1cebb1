package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	gomail "github.com/wneessen/go-mail"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// maxErrorText is the maximum length in bytes of the error text stored in an
// email_failed event.
const maxErrorText = 300

// WorkerConfig is the configuration of a Worker or a RejectionWorker. The
// rejection worker does not use Sealer and PublicURL.
type WorkerConfig struct {
	Store  Store
	Sender Sender
	Sealer *secret.Sealer

	// PublicURL is the base URL of the candidate pages, such as
	// "https://jobs.example.com". Links are PublicURL + "/invite/" + token.
	PublicURL string

	// From is the RFC 5322 sender address, such as "Hiretrack <jobs@example.com>".
	From string

	Logger *slog.Logger

	// RetryDelay replaces River's backoff between attempts when it is not
	// nil. Only tests set it.
	RetryDelay RetryDelay

	// Metrics is the registry of the email counters. Workers given the
	// same registry share one set. When it is nil, nothing reads the
	// counters.
	Metrics prometheus.Registerer
}

// Worker runs invite email jobs.
type Worker struct {
	river.WorkerDefaults[InviteArgs]

	cfg     WorkerConfig
	metrics *metrics
}

// NewWorker returns a worker for invite email jobs. It does not check
// cfg.From, so an invalid From address fails each job until MaxAttempts.
func NewWorker(cfg WorkerConfig) *Worker {
	return &Worker{cfg: cfg, metrics: newMetrics(cfg.Metrics)}
}

// Work sends the invite email of one response. It returns an error for River
// to retry the job, or a river.JobCancel error when no retry can succeed,
// which is when the response does not exist or the candidate's address is invalid.
func (w *Worker) Work(ctx context.Context, job *river.Job[InviteArgs]) error {
	run := attempt{cfg: w.cfg, metrics: w.metrics, job: job.Args.emailJob(), row: job.JobRow}
	invite, err := w.cfg.Store.InviteEmail(ctx, job.Args.ResponseID)
	if err != nil {
		return run.loadFailed(ctx, err, "response")
	}

	msg, err := w.message(invite)
	if err != nil {
		return run.buildFailed(ctx, err)
	}
	return run.send(ctx, msg)
}

// message opens the invite token and builds the message with its link.
func (w *Worker) message(invite hiretrack.InviteEmail) (*gomail.Msg, error) {
	token, err := w.cfg.Sealer.Open(invite.TokenSealed)
	if err != nil {
		return nil, err
	}

	link := strings.TrimRight(w.cfg.PublicURL, "/") + "/invite/" + token
	return newInviteMessage(invite, w.cfg.From, link)
}

// RejectionWorker runs rejection email jobs.
type RejectionWorker struct {
	river.WorkerDefaults[RejectionArgs]

	cfg     WorkerConfig
	metrics *metrics
}

// NewRejectionWorker returns a worker for rejection email jobs. Like
// NewWorker, it does not check cfg.From.
func NewRejectionWorker(cfg WorkerConfig) *RejectionWorker {
	return &RejectionWorker{cfg: cfg, metrics: newMetrics(cfg.Metrics)}
}

// Work sends the rejection email of one application. It returns an error for
// River to retry the job, or a river.JobCancel error when the application
// does not exist, is no longer rejected, or has an invalid candidate address.
func (w *RejectionWorker) Work(ctx context.Context, job *river.Job[RejectionArgs]) error {
	run := attempt{cfg: w.cfg, metrics: w.metrics, job: job.Args.emailJob(), row: job.JobRow}
	rejection, err := w.cfg.Store.RejectionEmail(ctx, job.Args.ApplicationID)
	if err != nil {
		return run.loadFailed(ctx, err, "application")
	}
	if rejection.Status != hiretrack.ApplicationRejected {
		return w.skip(ctx, run, rejection.Status)
	}

	msg, err := newRejectionMessage(rejection, job.Args.Message, w.cfg.From, rejectionMessageID(job.Args.ApplicationID, job.JobRow))
	if err != nil {
		return run.buildFailed(ctx, err)
	}
	return run.send(ctx, msg)
}

// skip cancels the job of a rejection that was undone before its email went
// out, and records that as an email_failed event so the timeline shows why.
func (w *RejectionWorker) skip(ctx context.Context, run attempt, status hiretrack.ApplicationStatus) error {
	w.cfg.Logger.InfoContext(ctx, "rejection email cancelled because the application is no longer rejected",
		run.logAttrs("status", status)...)
	run.recordFailed(ctx, notRejectedText)
	return river.JobCancel(fmt.Errorf("application %d is %s, no longer rejected", run.job.ApplicationID, status))
}

// notRejectedText is the error of the email_failed event of a rejection email
// whose application was moved out of the rejected stage before it was sent.
const notRejectedText = "not sent because the application is no longer rejected"

// attempt is one run of an email job. Its methods are the steps that invite
// and rejection jobs share: sending, logging and recording the outcome.
type attempt struct {
	cfg     WorkerConfig
	metrics *metrics
	job     hiretrack.EmailJob
	row     *rivertype.JobRow
}

// name returns "invite email" or "rejection email", for log messages.
func (a attempt) name() string { return string(a.job.Kind) + " email" }

// logAttrs returns the job's ids and attempt number, followed by extra.
func (a attempt) logAttrs(extra ...any) []any {
	var attrs []any
	if a.job.ResponseID != 0 {
		attrs = append(attrs, "response_id", a.job.ResponseID)
	}
	attrs = append(attrs, "application_id", a.job.ApplicationID, "attempt", a.row.Attempt)
	return append(attrs, extra...)
}

// loadFailed handles a store error from loading the data of the email. When
// the record that the job names, such as "response", does not exist, it
// returns a river.JobCancel error. Otherwise it fails the attempt.
func (a attempt) loadFailed(ctx context.Context, err error, record string) error {
	if hiretrack.ErrorKind(err) == hiretrack.KindNotFound {
		a.cfg.Logger.WarnContext(ctx, a.name()+" cancelled because the "+record+" does not exist", a.logAttrs()...)
		return river.JobCancel(err)
	}
	return a.failed(ctx, fmt.Errorf("load %s: %w", a.name(), err), internalErrorText)
}

// buildFailed handles an error of building the message. An invalid
// candidate address is recorded at once and cancels the job, because no
// retry can fix it. Any other error fails the attempt.
func (a attempt) buildFailed(ctx context.Context, err error) error {
	if errors.Is(err, errInvalidRecipient) {
		a.metrics.attemptsFail.WithLabelValues(string(a.job.Kind)).Inc()
		a.giveUp(ctx, err, errorText(err))
		return river.JobCancel(err)
	}
	return a.failed(ctx, err, internalErrorText)
}

// send delivers msg and records the outcome.
func (a attempt) send(ctx context.Context, msg *gomail.Msg) error {
	if err := a.cfg.Sender.Send(ctx, msg); err != nil {
		return a.failed(ctx, err, errorText(err))
	}

	a.sent(ctx)
	return nil
}

// sent counts, records and logs a delivered message. A failure to record is only
// logged, because returning it would make River send the message again.
func (a attempt) sent(ctx context.Context) {
	a.metrics.sent.WithLabelValues(string(a.job.Kind)).Inc()
	data := map[string]any{"attempt": a.row.Attempt}
	if err := a.cfg.Store.RecordEmailEvent(ctx, a.job, hiretrack.EventEmailSent, data); err != nil {
		a.cfg.Logger.ErrorContext(ctx, a.name()+" sent, but recording the email_sent event failed",
			a.logAttrs("error", err)...)
		return
	}

	a.cfg.Logger.InfoContext(ctx, a.name()+" sent", a.logAttrs()...)
}

// failed counts and logs a failed attempt, records the failure with eventText when it
// was the last attempt, and returns err for River to retry or discard the job.
func (a attempt) failed(ctx context.Context, err error, eventText string) error {
	a.metrics.attemptsFail.WithLabelValues(string(a.job.Kind)).Inc()
	if a.row.Attempt < a.row.MaxAttempts {
		a.cfg.Logger.WarnContext(ctx, a.name()+" failed, River will retry",
			a.logAttrs("max_attempts", a.row.MaxAttempts, "error", err)...)
		return err
	}

	a.giveUp(ctx, err, eventText)
	return err
}

// giveUp counts and logs a final failure and records it as an email_failed event with
// eventText as its error.
func (a attempt) giveUp(ctx context.Context, err error, eventText string) {
	a.metrics.failed.WithLabelValues(string(a.job.Kind)).Inc()
	a.cfg.Logger.ErrorContext(ctx, a.name()+" failed and will not be retried",
		a.logAttrs("max_attempts", a.row.MaxAttempts, "error", err)...)
	a.recordFailed(ctx, eventText)
}

// recordFailed records an email_failed event with eventText as its error,
// and logs a failure to record it.
func (a attempt) recordFailed(ctx context.Context, eventText string) {
	data := map[string]any{"attempt": a.row.Attempt, "error": eventText}
	if err := a.cfg.Store.RecordEmailEvent(ctx, a.job, hiretrack.EventEmailFailed, data); err != nil {
		a.cfg.Logger.ErrorContext(ctx, "recording the email_failed event failed", a.logAttrs("error", err)...)
	}
}

// internalErrorText is the error of an email_failed event whose cause is a
// fault of the server, such as a database error or a changed server key.
// API clients read the timeline, and internal errors never reach them.
const internalErrorText = "internal error: the server log has the details"

// errorText returns the text of a send or address error for an email_failed
// event, cut to maxErrorText bytes on a character boundary. These errors
// name the SMTP server address and its reply, but never the URL password,
// the token or the link.
func errorText(err error) string {
	text := err.Error()
	if len(text) <= maxErrorText {
		return text
	}

	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
