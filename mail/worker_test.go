package mail

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/internal/smtptest"
	"github.com/hiretrack/hiretrack/secret"
)

// recordedEvent is one RecordEmailEvent call of fakeStore.
type recordedEvent struct {
	Job       hiretrack.EmailJob
	EventType string
	Data      map[string]any
}

// fakeStore serves invites and rejections from maps and records email events.
type fakeStore struct {
	invites    map[int64]hiretrack.InviteEmail
	rejections map[int64]hiretrack.RejectionEmail

	mu     sync.Mutex
	events []recordedEvent
}

func (s *fakeStore) InviteEmail(_ context.Context, responseID int64) (hiretrack.InviteEmail, error) {
	invite, ok := s.invites[responseID]
	if !ok {
		return hiretrack.InviteEmail{}, hiretrack.NotFoundf("response %d not found", responseID)
	}
	return invite, nil
}

func (s *fakeStore) RejectionEmail(_ context.Context, applicationID int64) (hiretrack.RejectionEmail, error) {
	rejection, ok := s.rejections[applicationID]
	if !ok {
		return hiretrack.RejectionEmail{}, hiretrack.NotFoundf("application %d not found", applicationID)
	}
	return rejection, nil
}

func (s *fakeStore) RecordEmailEvent(_ context.Context, job hiretrack.EmailJob, eventType string, data map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.events = append(s.events, recordedEvent{Job: job, EventType: eventType, Data: data})
	return nil
}

func (s *fakeStore) recorded() []recordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()

	return append([]recordedEvent(nil), s.events...)
}

// workerSetup is a Worker wired to a fake store and a real SMTP server.
type workerSetup struct {
	worker *Worker
	store  *fakeStore
	server *smtptest.Server
	logs   *lockedBuffer
	token  string
}

// newWorkerSetup returns a worker whose store has the invite of response 42,
// with a freshly sealed token, for a candidate with the given email address.
func newWorkerSetup(t *testing.T, email string) workerSetup {
	t.Helper()

	sealer := newTestSealer(t)
	token, stored, err := sealer.NewInviteToken()
	require.NoError(t, err)

	invite := testInvite("Zoë")
	invite.Email = email
	invite.TokenSealed = stored.Sealed
	store := &fakeStore{invites: map[int64]hiretrack.InviteEmail{invite.ResponseID: invite}}

	server := smtptest.Start(t)
	logger, logs := newTestLogger()
	sender, err := NewSMTPSender(server.URL(), logger)
	require.NoError(t, err)

	worker := NewWorker(WorkerConfig{
		Store:     store,
		Sender:    sender,
		Sealer:    sealer,
		PublicURL: testPublicURL + "/",
		From:      testFrom,
		Logger:    logger,
	})
	return workerSetup{worker: worker, store: store, server: server, logs: logs, token: token}
}

// newTestSealer returns a sealer with a random key.
func newTestSealer(t *testing.T) *secret.Sealer {
	t.Helper()

	key := make([]byte, secret.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	sealer, err := secret.NewSealer(key)
	require.NoError(t, err)
	return sealer
}

// newJob returns the invite job of a response of application 7, on the
// given attempt out of MaxAttempts.
func newJob(responseID int64, attempt int) *river.Job[InviteArgs] {
	return &river.Job[InviteArgs]{
		JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: MaxAttempts},
		Args:   InviteArgs{ResponseID: responseID, ApplicationID: 7},
	}
}

func TestWorker(t *testing.T) {
	t.Parallel()

	wantJob := hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: 42, ApplicationID: 7}

	t.Run("success records email_sent", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")

		require.NoError(t, setup.worker.Work(t.Context(), newJob(42, 1)))

		messages := setup.server.WaitForMessages(t, 1, waitTimeout)
		parsed := parseMessage(t, messages[0].Data)
		link := testPublicURL + "/invite/" + setup.token
		require.Contains(t, parsed.Text, link)
		require.Contains(t, parsed.HTML, link)
		require.Equal(t, []recordedEvent{{
			Job:       wantJob,
			EventType: hiretrack.EventEmailSent,
			Data:      map[string]any{"attempt": 1},
		}}, setup.store.recorded())

		logs := setup.logs.String()
		require.Contains(t, logs, `msg="invite email sent" response_id=42 application_id=7 attempt=1`)
		require.NotContains(t, logs, setup.token)
	})

	t.Run("last attempt failure records email_failed", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")
		setup.server.FailNext(1)

		err := setup.worker.Work(t.Context(), newJob(42, MaxAttempts))
		require.ErrorContains(t, err, "451")
		require.NotErrorIs(t, err, &rivertype.JobCancelError{})

		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, wantJob, events[0].Job)
		require.Equal(t, hiretrack.EventEmailFailed, events[0].EventType)
		require.Equal(t, MaxAttempts, events[0].Data["attempt"])
		require.Contains(t, events[0].Data["error"], "451")
		require.NotContains(t, events[0].Data["error"], smtptest.Password)

		logs := setup.logs.String()
		require.Contains(t, logs, "level=ERROR")
		require.NotContains(t, logs, setup.token)
	})

	t.Run("early failure records nothing", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")
		setup.server.FailNext(1)

		err := setup.worker.Work(t.Context(), newJob(42, 3))
		require.ErrorContains(t, err, "451")
		require.NotErrorIs(t, err, &rivertype.JobCancelError{})
		require.Empty(t, setup.store.recorded())
		require.Contains(t, setup.logs.String(), `level=WARN msg="invite email failed, River will retry"`)
	})

	t.Run("retry after failure sends", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")
		setup.server.FailNext(1)

		require.Error(t, setup.worker.Work(t.Context(), newJob(42, 1)))
		require.NoError(t, setup.worker.Work(t.Context(), newJob(42, 2)))

		require.Len(t, setup.server.WaitForMessages(t, 1, waitTimeout), 1)
		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, hiretrack.EventEmailSent, events[0].EventType)
		require.Equal(t, map[string]any{"attempt": 2}, events[0].Data)
	})

	t.Run("unknown response cancels job", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")

		err := setup.worker.Work(t.Context(), newJob(99, 1))
		require.ErrorIs(t, err, &rivertype.JobCancelError{})
		require.Equal(t, hiretrack.KindNotFound, hiretrack.ErrorKind(err))
		require.Empty(t, setup.store.recorded())
		require.Empty(t, setup.server.Messages())
	})

	t.Run("invalid address cancels job", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "not an address")

		err := setup.worker.Work(t.Context(), newJob(42, 1))
		require.ErrorIs(t, err, &rivertype.JobCancelError{})

		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, hiretrack.EventEmailFailed, events[0].EventType)
		require.Contains(t, events[0].Data["error"], "not an address")
		require.Empty(t, setup.server.Messages())
	})

	t.Run("changed server key records internal error", func(t *testing.T) {
		t.Parallel()
		setup := newWorkerSetup(t, "zoe@example.org")
		setup.worker.cfg.Sealer = newTestSealer(t)

		err := setup.worker.Work(t.Context(), newJob(42, MaxAttempts))
		require.ErrorContains(t, err, "open sealed token")

		events := setup.store.recorded()
		require.Len(t, events, 1)
		require.Equal(t, internalErrorText, events[0].Data["error"])
	})
}

func TestArgsFor(t *testing.T) {
	t.Parallel()

	wantOpts := river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 10}

	t.Run("invite", func(t *testing.T) {
		t.Parallel()
		args := ArgsFor(hiretrack.EmailJob{Kind: hiretrack.EmailInvite, ResponseID: 42, ApplicationID: 7})
		require.Equal(t, InviteArgs{ResponseID: 42, ApplicationID: 7}, args)
		require.Equal(t, "invite_email", args.Kind())
		require.Equal(t, wantOpts, args.(InviteArgs).InsertOpts())
	})

	t.Run("job without kind is invite", func(t *testing.T) {
		t.Parallel()
		args := ArgsFor(hiretrack.EmailJob{ResponseID: 42, ApplicationID: 7})
		require.Equal(t, InviteArgs{ResponseID: 42, ApplicationID: 7}, args)
	})

	t.Run("rejection", func(t *testing.T) {
		t.Parallel()
		args := ArgsFor(hiretrack.EmailJob{Kind: hiretrack.EmailRejection, ApplicationID: 7, Message: "Thank you."})
		require.Equal(t, RejectionArgs{ApplicationID: 7, Message: "Thank you."}, args)
		require.Equal(t, "rejection_email", args.Kind())
		require.Equal(t, wantOpts, args.(RejectionArgs).InsertOpts())
	})

	t.Run("invite args keep JSON names", func(t *testing.T) {
		t.Parallel()
		var args InviteArgs
		require.NoError(t, json.Unmarshal([]byte(`{"response_id": 42, "application_id": 7}`), &args))
		require.Equal(t, InviteArgs{ResponseID: 42, ApplicationID: 7}, args)
	})
}
