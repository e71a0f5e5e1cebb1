package mail

import (
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/internal/smtptest"
)

// testJobCreatedAt is the creation time of the rejection jobs of the tests,
// 1796376600123456 microseconds after the Unix epoch.
var testJobCreatedAt = time.Date(2026, 12, 4, 9, 30, 0, 123456000, time.UTC)

// testMessageID is the Message-ID of the rejection of application 7 by job 31.
const testMessageID = "<rejection.7.31.1796376600123456@example.com>"

// defaultRejectionText is the plain-text part of a rejection of testRejection("Zoë") without a message.
const defaultRejectionText = `Hello Zoë,

Thank you for applying for R&D <Lead> and for the time you gave to our process. After careful consideration, we have decided not to move forward with your application.

We wish you every success in your search.
`

// rejectionSetup is a RejectionWorker wired to a fake store and a real SMTP server.
type rejectionSetup struct {
	worker *RejectionWorker
	store  *fakeStore
	server *smtptest.Server
	logs   *lockedBuffer
}

// newRejectionSetup returns a worker whose store has rejection, under its
// application id.
func newRejectionSetup(t *testing.T, rejection hiretrack.RejectionEmail) rejectionSetup {
	t.Helper()

	store := &fakeStore{rejections: map[int64]hiretrack.RejectionEmail{rejection.ApplicationID: rejection}}
	server := smtptest.Start(t)
	logger, logs := newTestLogger()
	sender, err := NewSMTPSender(server.URL(), logger)
	require.NoError(t, err)

	worker := NewRejectionWorker(WorkerConfig{Store: store, Sender: sender, From: testFrom, Logger: logger})
	return rejectionSetup{worker: worker, store: store, server: server, logs: logs}
}

// newRejectionJob returns job 31, the rejection of an application with
// message, on the given attempt out of MaxAttempts.
func newRejectionJob(applicationID int64, message string, attempt int) *river.Job[RejectionArgs] {
	return &river.Job[RejectionArgs]{
		JobRow: &rivertype.JobRow{ID: 31, Attempt: attempt, MaxAttempts: MaxAttempts, CreatedAt: testJobCreatedAt},
		Args:   RejectionArgs{ApplicationID: applicationID, Message: message},
	}
}

func TestRejectionWorker(t *testing.T) {
	t.Parallel()

	t.Run("custom message arrives escaped", func(t *testing.T) {
		t.Parallel()
		setup := newRejectionSetup(t, testRejection("Zoë <script>"))
		message := "Thank you, Zoë.\nWe chose a candidate with <b>more</b> Go & SQL experience.\n\nAll the best,\nThe R&D team"

		require.NoError(t, setup.worker.Work(t.Context(), newRejectionJob(7, message, 1)))

		messages := setup.server.WaitForMessages(t, 1, waitTimeout)
		require.Len(t, messages, 1)
		require.Equal(t, []string{"zoe@example.org"}, messages[0].To)
		parsed := parseMessage(t, messages[0].Data)
		to, err := parsed.Header.AddressList("To")
		require.NoError(t, err)
		require.Equal(t, "Zoë <script>", to[0].Name)
		require.Equal(t, "Your application for R&D <Lead>", parsed.subject(t))
		require.Equal(t, testMessageID, parsed.Header.Get("Message-ID"))
		require.Equal(t, "7", parsed.Header.Get(string(HeaderApplicationID)))
		require.Empty(t, parsed.Header.Get(string(HeaderResponseID)))

		require.Equal(t, "Hello Zoë <script>,\n\n"+message+"\n", parsed.Text)

		require.Contains(t, parsed.HTML, "<p>Hello Zoë &lt;script&gt;,</p>")
		require.Contains(t, parsed.HTML,
			"<p>Thank you, Zoë.<br>We chose a candidate with &lt;b&gt;more&lt;/b&gt; Go &amp; SQL experience.</p>\n"+
				"<p>All the best,<br>The R&amp;D team</p>\n</body>")
		require.NotContains(t, parsed.HTML, "<b>more</b>")
		require.NotContains(t, parsed.HTML, "<script>")
		require.NotContains(t, parsed.HTML, "not to move forward")
		require.NotContains(t, parsed.HTML, "href")

		require.Equal(t, []recordedEvent{{
			Job:       hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: 7, Message: message},
			EventType: hiretrack.EventEmailSent,
			Data:      map[string]any{"attempt": 1},
		}}, setup.store.recorded())
		require.Contains(t, setup.logs.String(), `msg="rejection email sent" application_id=7 attempt=1`)
	})

	for _, message := range []string{"", " \n\t\r\n "} {
		t.Run("blank message "+strconv.Quote(message)+" sends default text", func(t *testing.T) {
			t.Parallel()
			setup := newRejectionSetup(t, testRejection("Zoë"))

			require.NoError(t, setup.worker.Work(t.Context(), newRejectionJob(7, message, 1)))

			messages := setup.server.WaitForMessages(t, 1, waitTimeout)
			parsed := parseMessage(t, messages[0].Data)
			require.Equal(t, "Your application for R&D <Lead>", parsed.subject(t))
			require.Equal(t, defaultRejectionText, parsed.Text)
			require.Contains(t, parsed.HTML, "<p>Hello Zoë,</p>\n"+
				"<p>Thank you for applying for R&amp;D &lt;Lead&gt; and for the time you gave to our process. "+
				"After careful consideration, we have decided not to move forward with your application.</p>\n"+
				"<p>We wish you every success in your search.</p>\n</body>")
			require.NotContains(t, parsed.HTML, "href")
			require.Equal(t, hiretrack.EventEmailSent, setup.store.recorded()[0].EventType)
		})
	}

	t.Run("CRLF line breaks kept", func(t *testing.T) {
		t.Parallel()
		setup := newRejectionSetup(t, testRejection("Zoë"))

		require.NoError(t, setup.worker.Work(t.Context(), newRejectionJob(7, "One.\r\nTwo.\r\n\r\nThree.", 1)))

		messages := setup.server.WaitForMessages(t, 1, waitTimeout)
		parsed := parseMessage(t, messages[0].Data)
		require.Equal(t, "Hello Zoë,\n\nOne.\nTwo.\n\nThree.\n", parsed.Text)
		require.Contains(t, parsed.HTML, "<p>One.<br>Two.</p>\n<p>Three.</p>\n</body>")
	})

	t.Run("last attempt failure records email_failed", func(t *testing.T) {
		t.Parallel()
		setup := newRejectionSetup(t, testRejection("Zoë"))
		setup.server.FailNext(1)

		err := setup.worker.Work(t.Context(), newRejectionJob(7, "", MaxAttempts))
		require.ErrorContains(t, err, "451")
		require.NotErrorIs(t, err, &rivertype.JobCancelError{})

		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: 7}, events[0].Job)
		require.Equal(t, hiretrack.EventEmailFailed, events[0].EventType)
		require.Equal(t, MaxAttempts, events[0].Data["attempt"])
		require.Contains(t, events[0].Data["error"], "451")
		require.NotContains(t, events[0].Data["error"], smtptest.Password)
		require.Contains(t, setup.logs.String(), `level=ERROR msg="rejection email failed and will not be retried" application_id=7 attempt=10 max_attempts=10`)
	})

	t.Run("early failure records nothing", func(t *testing.T) {
		t.Parallel()
		setup := newRejectionSetup(t, testRejection("Zoë"))
		setup.server.FailNext(1)

		err := setup.worker.Work(t.Context(), newRejectionJob(7, "", 3))
		require.ErrorContains(t, err, "451")
		require.Empty(t, setup.store.recorded())
		require.Contains(t, setup.logs.String(), `level=WARN msg="rejection email failed, River will retry" application_id=7 attempt=3`)
	})

	t.Run("unknown application cancels job", func(t *testing.T) {
		t.Parallel()
		setup := newRejectionSetup(t, testRejection("Zoë"))

		err := setup.worker.Work(t.Context(), newRejectionJob(99, "", 1))
		require.ErrorIs(t, err, &rivertype.JobCancelError{})
		require.Equal(t, hiretrack.KindNotFound, hiretrack.ErrorKind(err))
		require.Empty(t, setup.store.recorded())
		require.Empty(t, setup.server.Messages())
		require.Contains(t, setup.logs.String(), `level=WARN msg="rejection email cancelled because the application does not exist" application_id=99`)
	})

	t.Run("undone rejection cancels job", func(t *testing.T) {
		t.Parallel()
		rejection := testRejection("Zoë")
		rejection.Status = hiretrack.ApplicationActive
		setup := newRejectionSetup(t, rejection)

		err := setup.worker.Work(t.Context(), newRejectionJob(7, "", 1))
		require.ErrorIs(t, err, &rivertype.JobCancelError{})
		require.ErrorContains(t, err, "application 7 is active, no longer rejected")
		require.Empty(t, setup.server.Messages())
		require.Equal(t, []recordedEvent{{
			Job:       hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: 7},
			EventType: hiretrack.EventEmailFailed,
			Data:      map[string]any{"attempt": 1, "error": "not sent because the application is no longer rejected"},
		}}, setup.store.recorded())
	})

	t.Run("invalid address cancels job", func(t *testing.T) {
		t.Parallel()
		rejection := testRejection("Zoë")
		rejection.Email = "not an address"
		setup := newRejectionSetup(t, rejection)

		err := setup.worker.Work(t.Context(), newRejectionJob(7, "", 1))
		require.ErrorIs(t, err, &rivertype.JobCancelError{})

		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, hiretrack.EventEmailFailed, events[0].EventType)
		require.Contains(t, events[0].Data["error"], "not an address")
		require.Empty(t, setup.server.Messages())
	})
}

func TestParagraphs(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		text string
		want [][]string
	}{
		{"empty", "", nil},
		{"one line", "Thank you.", [][]string{{"Thank you."}}},
		{"lines of one paragraph", "Thank you.\nBest,", [][]string{{"Thank you.", "Best,"}}},
		{"blank lines split", "One.\n\n\nTwo.\n \nThree.", [][]string{{"One."}, {"Two."}, {"Three."}}},
		{"edges trimmed of blank lines", "\n\nOne.\n\n", [][]string{{"One."}}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, test.want, paragraphs(test.text))
		})
	}
}
