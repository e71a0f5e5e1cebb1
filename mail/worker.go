package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// maxErrorText is the maximum length in bytes of the error text stored in an
// email_failed event.
const maxErrorText = 300

// WorkerConfig is the configuration of a Worker.
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
}

// Worker runs invite email jobs.
type Worker struct {
	river.WorkerDefaults[InviteArgs]

	cfg WorkerConfig
}

// NewWorker returns a worker for invite email jobs. It does not check
// cfg.From, so an invalid From address fails each job until MaxAttempts.
func NewWorker(cfg WorkerConfig) *Worker {
	return &Worker{cfg: cfg}
}

// Work sends the invite email of one response. It returns an error for River
// to retry the job, or a river.JobCancel error when no retry can succeed,
// which is when the response does not exist or the candidate's address is invalid.
func (w *Worker) Work(ctx context.Context, job *river.Job[InviteArgs]) error {
	invite, err := w.cfg.Store.InviteEmail(ctx, job.Args.ResponseID)
	if hiretrack.ErrorKind(err) == hiretrack.KindNotFound {
		w.cfg.Logger.WarnContext(ctx, "invite email cancelled because the response does not exist",
			"response_id", job.Args.ResponseID, "application_id", job.Args.ApplicationID)
		return river.JobCancel(err)
	}
	if err != nil {
		return w.failed(ctx, job, fmt.Errorf("load invite: %w", err), internalErrorText)
	}

	msg, err := w.message(invite)
	if errors.Is(err, errInvalidRecipient) {
		w.recordFailure(ctx, job, err, errorText(err))
		return river.JobCancel(err)
	}
	if err != nil {
		return w.failed(ctx, job, err, internalErrorText)
	}

	if err := w.cfg.Sender.Send(ctx, msg); err != nil {
		return w.failed(ctx, job, err, errorText(err))
	}

	w.sent(ctx, job)
	return nil
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

// sent records and logs a delivered message. A failure to record is only
// logged, because returning it would make River send the message again.
func (w *Worker) sent(ctx context.Context, job *river.Job[InviteArgs]) {
	logAttrs := []any{"response_id", job.Args.ResponseID, "application_id", job.Args.ApplicationID, "attempt", job.Attempt}

	data := map[string]any{"attempt": job.Attempt}
	if err := w.cfg.Store.RecordEmailEvent(ctx, job.Args.emailJob(), hiretrack.EventEmailSent, data); err != nil {
		w.cfg.Logger.ErrorContext(ctx, "invite email sent, but recording the email_sent event failed",
			append(logAttrs, "error", err)...)
		return
	}

	w.cfg.Logger.InfoContext(ctx, "invite email sent", logAttrs...)
}

// failed logs a failed attempt, records the failure with eventText when it
// was the last attempt, and returns err for River to retry or discard the job.
func (w *Worker) failed(ctx context.Context, job *river.Job[InviteArgs], err error, eventText string) error {
	if job.Attempt < job.MaxAttempts {
		w.cfg.Logger.WarnContext(ctx, "invite email failed, River will retry",
			"response_id", job.Args.ResponseID, "application_id", job.Args.ApplicationID,
			"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err)
		return err
	}

	w.recordFailure(ctx, job, err, eventText)
	return err
}

// recordFailure logs a final failure and records it as an email_failed event
// with eventText as its error.
func (w *Worker) recordFailure(ctx context.Context, job *river.Job[InviteArgs], err error, eventText string) {
	w.cfg.Logger.ErrorContext(ctx, "invite email failed and will not be retried",
		"response_id", job.Args.ResponseID, "application_id", job.Args.ApplicationID,
		"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err)

	data := map[string]any{"attempt": job.Attempt, "error": eventText}
	if recordErr := w.cfg.Store.RecordEmailEvent(ctx, job.Args.emailJob(), hiretrack.EventEmailFailed, data); recordErr != nil {
		w.cfg.Logger.ErrorContext(ctx, "recording the email_failed event failed",
			"response_id", job.Args.ResponseID, "application_id", job.Args.ApplicationID, "error", recordErr)
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
