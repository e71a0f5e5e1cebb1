package mail

import (
	"bytes"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
)

const (
	testFrom      = "Hiretrack <jobs@example.com>"
	testToken     = "tok_AbCdEf-0123456789_ghIJklMNopQRstUVwxYZ"
	testPublicURL = "https://jobs.example.com"
	testLink      = testPublicURL + "/invite/" + testToken
)

// testExpiry is 2026-12-11 19:43 UTC, given in another zone so that tests see
// the conversion to UTC.
var testExpiry = time.Date(2026, 12, 11, 20, 43, 0, 0, time.FixedZone("CET", 3600))

// testInvite returns an invite for response 42 of application 7.
func testInvite(candidateName string) hiretrack.InviteEmail {
	return hiretrack.InviteEmail{
		ResponseID:    42,
		ApplicationID: 7,
		CandidateName: candidateName,
		Email:         "zoe@example.org",
		TrackTitle:    "Backend Engineer",
		StageName:     "Coding exercise",
		TokenSealed:   []byte("sealed token"),
		ExpiresAt:     testExpiry,
	}
}

// testRejection returns the rejection of application 7 of a candidate who
// applied for "R&D <Lead>", a title that HTML must escape.
func testRejection(candidateName string) hiretrack.RejectionEmail {
	return hiretrack.RejectionEmail{
		ApplicationID: 7,
		CandidateName: candidateName,
		Email:         "zoe@example.org",
		TrackTitle:    "R&D <Lead>",
		Status:        hiretrack.ApplicationRejected,
	}
}

// parsedMessage is a raw message split into its headers and text parts.
type parsedMessage struct {
	Header mail.Header
	Text   string
	HTML   string
}

// subject returns the decoded Subject header.
func (m parsedMessage) subject(t *testing.T) string {
	t.Helper()

	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	return subject
}

// parseMessage parses a raw RFC 5322 message and collects its text/plain and
// text/html parts, decoded, from any depth of multipart nesting.
func parseMessage(t *testing.T, data []byte) parsedMessage {
	t.Helper()

	msg, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)

	parsed := parsedMessage{Header: msg.Header}
	collectParts(t, &parsed, msg.Header.Get("Content-Type"), msg.Body)
	return parsed
}

func collectParts(t *testing.T, parsed *parsedMessage, contentType string, body io.Reader) {
	t.Helper()

	mediaType, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err)

	if strings.HasPrefix(mediaType, "multipart/") {
		reader := multipart.NewReader(body, params["boundary"])
		for {
			part, err := reader.NextPart()
			if err == io.EOF {
				return
			}
			require.NoError(t, err)
			collectParts(t, parsed, part.Header.Get("Content-Type"), part)
		}
	}

	// multipart.Reader decodes quoted-printable parts. A message that is not
	// multipart is read undecoded, but this package only builds multipart messages.
	// Lines end in CRLF on the wire, and the parts are returned with LF.
	content, err := io.ReadAll(body)
	require.NoError(t, err)
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	switch mediaType {
	case "text/plain":
		parsed.Text = text
	case "text/html":
		parsed.HTML = text
	}
}

// lockedBuffer is a bytes.Buffer that is safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// newTestLogger returns a logger that writes every level into the returned buffer.
func newTestLogger() (*slog.Logger, *lockedBuffer) {
	buf := &lockedBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}
