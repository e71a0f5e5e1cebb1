package mail

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gomail "github.com/wneessen/go-mail"

	"github.com/hiretrack/hiretrack/internal/smtptest"
)

const waitTimeout = 10 * time.Second

func newTestMessage(t *testing.T, candidateName string) *gomail.Msg {
	t.Helper()

	msg, err := newInviteMessage(testInvite(candidateName), testFrom, testLink)
	require.NoError(t, err)
	return msg
}

func newTestSMTPSender(t *testing.T, rawURL string) *SMTPSender {
	t.Helper()

	logger, _ := newTestLogger()
	sender, err := NewSMTPSender(rawURL, logger)
	require.NoError(t, err)
	return sender
}

func TestSMTPSender(t *testing.T) {
	t.Parallel()

	t.Run("delivers both parts", func(t *testing.T) {
		t.Parallel()
		server := smtptest.Start(t)
		sender := newTestSMTPSender(t, server.URL())

		require.NoError(t, sender.Send(t.Context(), newTestMessage(t, "Zoë <script>")))

		messages := server.WaitForMessages(t, 1, waitTimeout)
		require.Len(t, messages, 1)
		require.Equal(t, "jobs@example.com", messages[0].From)
		require.Equal(t, []string{"zoe@example.org"}, messages[0].To)
		require.Equal(t, smtptest.Username, messages[0].Username)

		parsed := parseMessage(t, messages[0].Data)
		to, err := parsed.Header.AddressList("To")
		require.NoError(t, err)
		require.Len(t, to, 1)
		require.Equal(t, "Zoë <script>", to[0].Name)
		require.Equal(t, "zoe@example.org", to[0].Address)
		require.Equal(t, "Your next step for Backend Engineer: Coding exercise", parsed.subject(t))
		require.Regexp(t, `^<invite\.42\.[0-9a-f]{16}@example\.com>$`, parsed.Header.Get("Message-ID"))

		require.Contains(t, parsed.Text, testLink)
		require.Contains(t, parsed.Text, "Hello Zoë <script>,")
		require.Contains(t, parsed.Text, "2026-12-11 19:43 UTC")
		require.Contains(t, parsed.HTML, `href="`+testLink+`"`)
		require.Contains(t, parsed.HTML, "Hello Zoë &lt;script&gt;,")
		require.NotContains(t, parsed.HTML, "<script>")
		require.Contains(t, parsed.HTML, "2026-12-11 19:43 UTC")
	})

	t.Run("sends without credentials", func(t *testing.T) {
		t.Parallel()
		server := smtptest.Start(t)
		sender := newTestSMTPSender(t, "smtp://"+server.Addr())

		require.NoError(t, sender.Send(t.Context(), newTestMessage(t, "Zoë")))

		messages := server.WaitForMessages(t, 1, waitTimeout)
		require.Empty(t, messages[0].Username)
	})

	t.Run("returns temporary error on 451", func(t *testing.T) {
		t.Parallel()
		server := smtptest.Start(t)
		sender := newTestSMTPSender(t, server.URL())
		server.FailNext(1)

		err := sender.Send(t.Context(), newTestMessage(t, "Zoë"))
		require.ErrorContains(t, err, "451")
		var sendErr *gomail.SendError
		require.ErrorAs(t, err, &sendErr)
		require.True(t, sendErr.IsTemp())
		require.Empty(t, server.Messages())

		require.NoError(t, sender.Send(t.Context(), newTestMessage(t, "Zoë")))
		require.Len(t, server.WaitForMessages(t, 1, waitTimeout), 1)
	})

	t.Run("fails while server is down", func(t *testing.T) {
		t.Parallel()
		server := smtptest.Start(t)
		sender := newTestSMTPSender(t, server.URL())
		server.Stop()

		err := sender.Send(t.Context(), newTestMessage(t, "Zoë"))
		require.ErrorContains(t, err, server.Addr())

		server.Restart(t)
		require.NoError(t, sender.Send(t.Context(), newTestMessage(t, "Zoë")))
		require.Len(t, server.WaitForMessages(t, 1, waitTimeout), 1)
	})

	t.Run("sends concurrently", func(t *testing.T) {
		t.Parallel()
		server := smtptest.Start(t)
		sender := newTestSMTPSender(t, server.URL())

		const count = 5
		errs := make(chan error, count)
		var wg sync.WaitGroup
		for range count {
			wg.Go(func() {
				msg, err := newInviteMessage(testInvite("Zoë"), testFrom, testLink)
				if err == nil {
					err = sender.Send(t.Context(), msg)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)

		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, server.WaitForMessages(t, count, waitTimeout), count)
	})
}

func TestNewSMTPSender(t *testing.T) {
	t.Parallel()

	valid := []struct {
		name string
		url  string
		addr string
	}{
		{"smtp default port", "smtp://mail.example.com", "mail.example.com:25"},
		{"smtp with port and user", "smtp://user:s3cret@mail.example.com:2525", "mail.example.com:2525"},
		{"smtps default port", "smtps://user:s3cret@mail.example.com", "mail.example.com:465"},
		{"IPv6 host", "smtp://[::1]:2525", "[::1]:2525"},
		{"upper-case scheme", "SMTP://mail.example.com/", "mail.example.com:25"},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			sender := newTestSMTPSender(t, tc.url)
			require.Equal(t, tc.addr, sender.addr)
			require.NotContains(t, sender.String(), "s3cret")
		})
	}

	invalid := []struct {
		name    string
		url     string
		message string
	}{
		{"http scheme", "http://user:s3cret@mail.example.com", `unsupported mail URL scheme "http": use smtp:// or smtps://`},
		{"no scheme", "mail.example.com:25", `unsupported mail URL scheme`},
		{"no host", "smtp://user:s3cret@:25", "has no host"},
		{"port out of range", "smtp://user:s3cret@mail.example.com:70000", `invalid port "70000"`},
		{"path", "smtp://user:s3cret@mail.example.com/inbox", "has a path, query or fragment"},
		{"query", "smtp://user:s3cret@mail.example.com?tls=off", "has a path, query or fragment"},
		{"password without user", "smtp://:s3cret@mail.example.com", "has a password but no user name"},
		{"unparsable", "smtp://user:s3cret@mail example.com", "invalid mail URL"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			logger, _ := newTestLogger()
			_, err := NewSMTPSender(tc.url, logger)
			require.ErrorContains(t, err, tc.message)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestFileSender(t *testing.T) {
	t.Parallel()

	t.Run("writes one eml file", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "outbox")
		logger, logs := newTestLogger()
		sender := NewFileSender(dir, logger)

		require.NoError(t, sender.Send(t.Context(), newTestMessage(t, "Zoë")))

		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		name := entries[0].Name()
		require.Regexp(t, regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-response-42\.eml$`), name)
		require.NotContains(t, name, testToken)

		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		dirInfo, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())

		data, err := os.ReadFile(path)
		require.NoError(t, err)
		parsed := parseMessage(t, data)
		require.Equal(t, "Your next step for Backend Engineer: Coding exercise", parsed.subject(t))
		require.Contains(t, parsed.Text, testLink)
		require.Contains(t, parsed.HTML, testLink)

		require.Contains(t, logs.String(), "path="+path)
		require.NotContains(t, logs.String(), testToken)
	})

	t.Run("names file unknown for invalid id", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		logger, _ := newTestLogger()
		msg := newTestMessage(t, "Zoë")
		msg.SetGenHeader(HeaderResponseID, "../../etc")

		require.NoError(t, NewFileSender(dir, logger).Send(t.Context(), msg))

		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		require.Regexp(t, `-response-unknown\.eml$`, entries[0].Name())
	})

	t.Run("names rejection file after application", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		logger, _ := newTestLogger()
		msg, err := newRejectionMessage(testRejection("Zoë"), "", testFrom, "rejection.7.31.1")
		require.NoError(t, err)

		require.NoError(t, NewFileSender(dir, logger).Send(t.Context(), msg))

		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		require.Regexp(t, `^\d{8}T\d{6}\.\d{9}Z-application-7\.eml$`, entries[0].Name())
	})

	t.Run("returns error for unwritable folder", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(file, nil, 0o600))
		logger, _ := newTestLogger()

		err := NewFileSender(filepath.Join(file, "outbox"), logger).Send(t.Context(), newTestMessage(t, "Zoë"))
		require.ErrorContains(t, err, "create mail folder")
	})
}
