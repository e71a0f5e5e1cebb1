// Package mail sends invite and rejection emails. The store queues one River
// job per email in the same transaction as the change that causes it: an
// invite_email job, run by Worker, or a rejection_email job, run by
// RejectionWorker. The invite worker loads the invite, opens the sealed token,
// builds a plain-text and HTML message with the candidate's link, and hands it
// to a Sender. The rejection worker loads the candidate and track and builds
// a message with the recruiter's text or a default one, without a link.
//
// Delivery is at least once. A worker that crashes or loses its database
// connection after the SMTP server accepted a message, but before River
// marked the job done, sends the message again on the next attempt. Each
// message carries a Message-ID that stays the same across attempts, so mail
// systems that deduplicate by Message-ID, as some do, can show the copies as one.
//
// A failed send is retried by River until MaxAttempts is reached, and only
// the last failure is written to the application's timeline as an
// email_failed event. An invalid candidate address is written as email_failed
// at once, without retries. A successful send is written as email_sent. When
// writing that event fails, the worker logs the error and does not resend.
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"github.com/hiretrack/hiretrack"
)

// MaxAttempts is how many times River runs an email job before it discards
// it, unless the server was started with another --email-max-attempts. River's default retry policy (DefaultClientRetryPolicy in v0.51.2)
// waits n^4 seconds, with up to 10% jitter either way, after the n-th failure.
// The 9 waits between 10 attempts add up to 15,333 seconds, about 4 hours 16
// minutes, or 3 h 50 min to 4 h 41 min with jitter. The time the attempts
// themselves take comes on top. With that policy, a mail server that is down
// for less than this loses no emails.
const MaxAttempts = 10

// HeaderResponseID is the message header that carries the response id, so
// that a Sender can name its output after the response without parsing the body.
const HeaderResponseID gomail.Header = "X-Hiretrack-Response-ID"

// HeaderApplicationID is the message header that carries the application id
// of a rejection email, which has no response.
const HeaderApplicationID gomail.Header = "X-Hiretrack-Application-ID"

// InviteArgs are the arguments of an invite email job.
type InviteArgs struct {
	ResponseID    int64 `json:"response_id"`
	ApplicationID int64 `json:"application_id"`
}

// Kind returns the River job kind of invite email jobs.
func (InviteArgs) Kind() string { return "invite_email" }

// InsertOpts returns the default queue and MaxAttempts for every invite job.
func (InviteArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: MaxAttempts}
}

// ArgsFor returns the job arguments of a queued email: RejectionArgs for a
// rejection, and InviteArgs for an invite or a job without a kind.
func ArgsFor(job hiretrack.EmailJob) river.JobArgs {
	if job.Kind == hiretrack.EmailRejection {
		return RejectionArgs{ApplicationID: job.ApplicationID, Message: job.Message}
	}
	return InviteArgs{ResponseID: job.ResponseID, ApplicationID: job.ApplicationID}
}

// emailJob returns the queued email that args stand for.
func (args InviteArgs) emailJob() hiretrack.EmailJob {
	return hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: args.ResponseID, ApplicationID: args.ApplicationID}
}

// Store is the part of hiretrack.Store that the workers use.
type Store interface {
	// InviteEmail returns what the mail worker needs for one response, or a
	// KindNotFound error when the response does not exist.
	InviteEmail(ctx context.Context, responseID int64) (hiretrack.InviteEmail, error)

	// RejectionEmail returns what the mail worker needs for the rejection
	// email of one application, or a KindNotFound error when the application
	// does not exist.
	RejectionEmail(ctx context.Context, applicationID int64) (hiretrack.RejectionEmail, error)

	// RecordEmailEvent appends an email_sent or email_failed event to the
	// application's timeline.
	RecordEmailEvent(ctx context.Context, job hiretrack.EmailJob, eventType string, data map[string]any) error
}

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, msg *gomail.Msg) error
}

// expiryLayout is the layout of times in messages, such as "2026-12-11 19:43 UTC",
// which names the time zone so that candidates in other zones can convert it.
const expiryLayout = "2006-01-02 15:04 MST"

// errInvalidRecipient marks a candidate address that no retry can fix.
var errInvalidRecipient = errors.New("invalid recipient address")

// inviteContent is the data that the message templates fill in.
type inviteContent struct {
	CandidateName string
	TrackTitle    string
	StageName     string
	Link          string
	StartsAt      string // empty when the link is usable at once
	ExpiresAt     string
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`Hello {{.CandidateName}},

Your application for {{.TrackTitle}} continues with the next step: {{.StageName}}.

Open this link to start:

{{.Link}}

{{if .StartsAt}}The link opens on {{.StartsAt}} and expires on {{.ExpiresAt}}.{{else}}The link expires on {{.ExpiresAt}}.{{end}} It is personal to you, so please do not share it.
`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html>
<body>
<p>Hello {{.CandidateName}},</p>
<p>Your application for {{.TrackTitle}} continues with the next step: <strong>{{.StageName}}</strong>.</p>
<p><a href="{{.Link}}">Start {{.StageName}}</a></p>
<p>If the link does not open, copy this address into your browser:<br>{{.Link}}</p>
<p>{{if .StartsAt}}The link opens on {{.StartsAt}} and expires on {{.ExpiresAt}}.{{else}}The link expires on {{.ExpiresAt}}.{{end}} It is personal to you, so please do not share it.</p>
</body>
</html>
`))

// newInviteMessage builds the invite message for one response. from is an
// RFC 5322 address such as "Hiretrack <jobs@example.com>".
func newInviteMessage(invite hiretrack.InviteEmail, from, link string) (*gomail.Msg, error) {
	subject := fmt.Sprintf("Your next step for %s: %s", oneLine(invite.TrackTitle), oneLine(invite.StageName))
	msg, err := newMessage(from, invite.CandidateName, invite.Email, subject, inviteMessageID(invite))
	if err != nil {
		return nil, err
	}
	msg.SetGenHeader(HeaderResponseID, strconv.FormatInt(invite.ResponseID, 10))

	startsAt := ""
	if invite.StartsAt != nil {
		startsAt = invite.StartsAt.UTC().Format(expiryLayout)
	}
	if err := setBody(msg, textBody, htmlBody, inviteContent{
		CandidateName: invite.CandidateName,
		TrackTitle:    invite.TrackTitle,
		StageName:     invite.StageName,
		Link:          link,
		StartsAt:      startsAt,
		ExpiresAt:     invite.ExpiresAt.UTC().Format(expiryLayout),
	}); err != nil {
		return nil, err
	}
	return msg, nil
}

// newMessage returns a message to the candidate with sender, subject,
// Message-ID and date set, but no body. from is an RFC 5322 address, and
// messageID is the part of the Message-ID that the domain of from follows.
// An invalid candidate address returns an error that wraps errInvalidRecipient.
func newMessage(from, candidateName, email, subject, messageID string) (*gomail.Msg, error) {
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("invalid From address %q: %w", from, err)
	}

	msg := gomail.NewMsg()
	msg.FromMailAddress(sender)
	if err := msg.AddToFormat(oneLine(candidateName), email); err != nil {
		return nil, fmt.Errorf("%w %q: %w", errInvalidRecipient, email, err)
	}
	msg.Subject(subject)
	domain := sender.Address[strings.LastIndexByte(sender.Address, '@')+1:]
	msg.SetMessageIDWithValue(messageID + "@" + domain)
	msg.SetDate()
	return msg, nil
}

// setBody renders content into the plain-text body and its HTML alternative.
func setBody(msg *gomail.Msg, textTemplate *texttemplate.Template, htmlTemplate *htmltemplate.Template, content any) error {
	var text, html strings.Builder
	if err := textTemplate.Execute(&text, content); err != nil {
		return fmt.Errorf("render text body: %w", err)
	}
	if err := htmlTemplate.Execute(&html, content); err != nil {
		return fmt.Errorf("render HTML body: %w", err)
	}

	msg.SetBodyString(gomail.TypeTextPlain, text.String())
	msg.AddAlternativeString(gomail.TypeTextHTML, html.String())
	return nil
}

// inviteMessageID returns the part before the "@" of a Message-ID that is
// the same on every attempt for one invite and differs between invites. The
// hash of the sealed token distinguishes invites across databases that reuse
// response ids, and it reveals nothing of the token because the sealed form
// is ciphertext.
func inviteMessageID(invite hiretrack.InviteEmail) string {
	sum := sha256.Sum256(invite.TokenSealed)
	return fmt.Sprintf("invite.%d.%s", invite.ResponseID, hex.EncodeToString(sum[:8]))
}

// oneLine replaces each run of whitespace, line breaks included, with one
// space, so a stored name cannot break a header into two lines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
