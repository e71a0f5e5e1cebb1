package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SendTimeout bounds connecting to the SMTP server and, separately, each
// SMTP command of one delivery.
const SendTimeout = 15 * time.Second

// SMTPSender delivers messages to an SMTP server, one connection per message.
// It is safe for concurrent use.
type SMTPSender struct {
	client   *gomail.Client
	addr     string // host:port, for errors and logs
	redacted string // the URL with the password replaced
	logger   *slog.Logger
}

// NewSMTPSender returns a sender for a URL of the form
// smtp://user:password@host:port or smtps://user:password@host:port.
//
// smtp:// connects to port 25 by default and upgrades the connection with
// STARTTLS when the server offers it, so a local server without TLS works.
// smtps:// uses TLS from the start and connects to port 465 by default.
// With a user in the URL the sender authenticates with AUTH PLAIN. go-mail
// sends those credentials only over TLS or to localhost, 127.0.0.1 or ::1,
// so authentication to another host fails when it offers no STARTTLS.
func NewSMTPSender(rawURL string, logger *slog.Logger) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error repeats the whole URL, password included, so only
		// its cause is kept.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("invalid mail URL: %w", err)
	}

	options, port, err := clientOptions(u)
	if err != nil {
		return nil, err
	}

	client, err := gomail.NewClient(u.Hostname(), options...)
	if err != nil {
		return nil, fmt.Errorf("configure SMTP client for %s: %w", u.Redacted(), err)
	}
	return &SMTPSender{
		client:   client,
		addr:     net.JoinHostPort(u.Hostname(), strconv.Itoa(port)),
		redacted: u.Redacted(),
		logger:   logger,
	}, nil
}

// clientOptions returns the go-mail options and the port for a mail URL.
func clientOptions(u *url.URL) ([]gomail.Option, int, error) {
	options := []gomail.Option{gomail.WithTimeout(SendTimeout)}

	defaultPort := gomail.DefaultPort
	switch u.Scheme {
	case "smtp":
		options = append(options, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		defaultPort = gomail.DefaultPortSSL
		options = append(options, gomail.WithSSL())
	default:
		return nil, 0, fmt.Errorf("unsupported mail URL scheme %q: use smtp:// or smtps://", u.Scheme)
	}

	if u.Hostname() == "" {
		return nil, 0, fmt.Errorf("mail URL %s has no host", u.Redacted())
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, 0, fmt.Errorf("mail URL %s has a path, query or fragment: remove it", u.Redacted())
	}

	port, err := urlPort(u, defaultPort)
	if err != nil {
		return nil, 0, err
	}
	options = append(options, gomail.WithPort(port))

	auth, err := authOptions(u)
	if err != nil {
		return nil, 0, err
	}
	return append(options, auth...), port, nil
}

// urlPort returns the port of u, or defaultPort when u has none.
func urlPort(u *url.URL, defaultPort int) (int, error) {
	if u.Port() == "" {
		return defaultPort, nil
	}

	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("invalid port %q in mail URL %s: use 1 to 65535", u.Port(), u.Redacted())
	}
	return port, nil
}

// authOptions returns the AUTH PLAIN options for the user of u, or none
// when u has no user.
func authOptions(u *url.URL) ([]gomail.Option, error) {
	if u.User == nil {
		return nil, nil
	}

	password, _ := u.User.Password()
	if u.User.Username() == "" {
		return nil, fmt.Errorf("mail URL %s has a password but no user name", u.Redacted())
	}
	return []gomail.Option{
		gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
		gomail.WithUsername(u.User.Username()),
		gomail.WithPassword(password),
	}, nil
}

// String returns the URL of the server with the password replaced by "xxxxx".
func (s *SMTPSender) String() string { return s.redacted }

// Send connects to the server, delivers msg and closes the connection. ctx
// cancels only the connect. Each SMTP command after it is bounded by
// SendTimeout instead.
func (s *SMTPSender) Send(ctx context.Context, msg *gomail.Msg) error {
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail to SMTP server %s: %w", s.addr, err)
	}

	s.logger.DebugContext(ctx, "SMTP server accepted message",
		"server", s.addr, "message_id", msg.GetMessageID(), "server_response", msg.ServerResponse())
	return nil
}

// FileSender writes each message to a file instead of sending it, for
// development without an SMTP server. The files contain working invite
// links, so they are created with mode 0600.
type FileSender struct {
	dir    string
	logger *slog.Logger
}

// NewFileSender returns a sender that writes messages into dir, creating it
// with mode 0700 on the first message when it does not exist.
func NewFileSender(dir string, logger *slog.Logger) *FileSender {
	return &FileSender{dir: dir, logger: logger}
}

// fileTimeLayout is the time at the start of each file name. Nanoseconds keep
// the names of messages for the same response apart and in order.
const fileTimeLayout = "20060102T150405.000000000Z"

// Send writes msg to <dir>/<UTC time>-response-<id>.eml with mode 0600. The
// id is read from the HeaderResponseID header. A message without that
// header, such as a rejection, is written to <UTC time>-application-<id>.eml
// with the id from the HeaderApplicationID header. The id is "unknown" when
// the header is missing or not a number.
func (s *FileSender) Send(ctx context.Context, msg *gomail.Msg) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create mail folder: %w", err)
	}

	name := fmt.Sprintf("%s-%s.eml", time.Now().UTC().Format(fileTimeLayout), fileSubject(msg))
	path := filepath.Join(s.dir, name)
	if err := writeMessage(path, msg); err != nil {
		return err
	}

	s.logger.InfoContext(ctx, "email written to file", "path", path)
	return nil
}

// fileSubject returns the part of a file name that says what msg is about:
// "response-<id>" from the HeaderResponseID header or, for a message without
// it, "application-<id>" from the HeaderApplicationID header.
func fileSubject(msg *gomail.Msg) string {
	if values := msg.GetGenHeader(HeaderResponseID); len(values) > 0 {
		return "response-" + numberOrUnknown(values[0])
	}
	if values := msg.GetGenHeader(HeaderApplicationID); len(values) > 0 {
		return "application-" + numberOrUnknown(values[0])
	}
	return "response-unknown"
}

// numberOrUnknown returns value when it is a number and "unknown" otherwise,
// so that no header value can add a path separator to a file name.
func numberOrUnknown(value string) string {
	if _, err := strconv.ParseInt(value, 10, 64); err != nil {
		return "unknown"
	}
	return value
}

// writeMessage writes msg to a new file at path, and removes the file again
// when writing fails.
func writeMessage(path string, msg *gomail.Msg) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create mail file: %w", err)
	}

	_, err = msg.WriteTo(f)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write mail file %s: %w", path, err)
	}
	return nil
}

// Erase deletes the messages written for the given applications and
// responses, and returns how many files it deleted. It goes on after a
// failure and returns the failures joined. A missing folder holds nothing.
func (s *FileSender) Erase(applicationIDs, responseIDs []int64) (int, error) {
	suffixes := map[string]bool{}
	for _, id := range applicationIDs {
		suffixes[fmt.Sprintf("-application-%d.eml", id)] = true
	}
	for _, id := range responseIDs {
		suffixes[fmt.Sprintf("-response-%d.eml", id)] = true
	}

	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read mail folder: %w", err)
	}
	removed := 0
	var errs []error
	for _, entry := range entries {
		// Names are "<time>-<subject>.eml", and the time contains no "-".
		_, subject, ok := strings.Cut(entry.Name(), "-")
		if !ok || !suffixes["-"+subject] {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, entry.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
