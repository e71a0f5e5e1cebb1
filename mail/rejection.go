package mail

import (
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	gomail "github.com/wneessen/go-mail"

	"github.com/hiretrack/hiretrack"
)

// RejectionArgs are the arguments of a rejection email job. Message is the
// recruiter's text, or empty for the default text.
type RejectionArgs struct {
	ApplicationID int64  `json:"application_id"`
	Message       string `json:"message"`
}

// Kind returns the River job kind of rejection email jobs.
func (RejectionArgs) Kind() string { return "rejection_email" }

// InsertOpts returns the default queue and MaxAttempts for every rejection job.
func (RejectionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: MaxAttempts}
}

// emailJob returns the queued email that args stand for.
func (args RejectionArgs) emailJob() hiretrack.EmailJob {
	return hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: args.ApplicationID, Message: args.Message}
}

// rejectionContent is the data that the rejection templates fill in.
// Message is the recruiter's text, or empty for the default text, and
// Paragraphs is the same text split for the HTML part.
type rejectionContent struct {
	CandidateName string
	TrackTitle    string
	Message       string
	Paragraphs    [][]string
}

var rejectionTextBody = texttemplate.Must(texttemplate.New("text").Parse(`Hello {{.CandidateName}},

{{if .Message -}}
{{.Message}}
{{- else -}}
Thank you for applying for {{.TrackTitle}} and for the time you gave to our process. After careful consideration, we have decided not to move forward with your application.

We wish you every success in your search.
{{- end}}
`))

var rejectionHTMLBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html>
<body>
<p>Hello {{.CandidateName}},</p>
{{if .Paragraphs -}}
{{range .Paragraphs}}<p>{{range $i, $line := .}}{{if $i}}<br>{{end}}{{$line}}{{end}}</p>
{{end -}}
{{else -}}
<p>Thank you for applying for {{.TrackTitle}} and for the time you gave to our process. After careful consideration, we have decided not to move forward with your application.</p>
<p>We wish you every success in your search.</p>
{{end -}}
</body>
</html>
`))

// newRejectionMessage builds the rejection message of one application with
// the recruiter's text, or the default text when text is blank. from is an
// RFC 5322 address, and messageID the part of the Message-ID before the "@".
func newRejectionMessage(rejection hiretrack.RejectionEmail, text, from, messageID string) (*gomail.Msg, error) {
	subject := "Your application for " + oneLine(rejection.TrackTitle)
	msg, err := newMessage(from, rejection.CandidateName, rejection.Email, subject, messageID)
	if err != nil {
		return nil, err
	}
	msg.SetGenHeader(HeaderApplicationID, strconv.FormatInt(rejection.ApplicationID, 10))

	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if err := setBody(msg, rejectionTextBody, rejectionHTMLBody, rejectionContent{
		CandidateName: rejection.CandidateName,
		TrackTitle:    rejection.TrackTitle,
		Message:       text,
		Paragraphs:    paragraphs(text),
	}); err != nil {
		return nil, err
	}
	return msg, nil
}

// rejectionMessageID returns the part before the "@" of a Message-ID that is
// the same on every attempt of one job and differs between jobs, so two
// rejections of one application get two ids. The job's creation time
// distinguishes jobs across databases that reuse job ids.
func rejectionMessageID(applicationID int64, row *rivertype.JobRow) string {
	return fmt.Sprintf("rejection.%d.%d.%d", applicationID, row.ID, row.CreatedAt.UnixMicro())
}

// paragraphs splits text into paragraphs at blank lines, and each paragraph
// into its lines, so the HTML part keeps the line breaks of a plain text.
func paragraphs(text string) [][]string {
	var result [][]string
	var current []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if current != nil {
				result = append(result, current)
				current = nil
			}
			continue
		}
		current = append(current, line)
	}

	if current != nil {
		result = append(result, current)
	}
	return result
}
