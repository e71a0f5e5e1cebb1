package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// lockedBuffer is a log destination that the server and the test share.
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

// The end-to-end tests in package app cover the idempotency middleware on
// the real routes. A panic cannot be caused through them, so this test
// serves a handler that panics once, on a real store.
func TestIdempotencyKeyReleasedOnPanic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))

	db, err := sqlstore.Open(filepath.Join(t.TempDir(), "hiretrack.db"), sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, db.Migrate(ctx, logger))
	store := sqlstore.NewStore(db, nil, nil, logger)
	apiKey, storedKey, err := secret.NewAPIKey()
	require.NoError(t, err)
	_, err = store.CreateAPIKey(ctx, "Acme", storedKey)
	require.NoError(t, err)
	serverKey := make([]byte, secret.KeySize)
	_, err = rand.Read(serverKey)
	require.NoError(t, err)
	sealer, err := secret.NewSealer(serverKey)
	require.NoError(t, err)
	s := New(Config{Store: store, Sealer: sealer, Logger: logger})

	var calls atomic.Int64
	handler := func(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
		call := calls.Add(1)
		if call == 1 {
			panic("fault injected by the test")
		}
		writeJSON(w, http.StatusCreated, map[string]any{"call": call})
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("POST /widgets", withRoute(s.authenticate(s.withIdempotencyKey(handler))))
	server := httptest.NewUnstartedServer(s.withRequestLog(s.limitBody(mux)))
	// net/http logs the recovered panic with its stack, which is expected here.
	server.Config.ErrorLog = log.New(io.Discard, "", 0)
	server.Start()
	t.Cleanup(server.Close)

	const idempotencyKey = "widget-0123456789"
	send := func() (*http.Response, []byte, error) {
		req, err := http.NewRequest("POST", server.URL+"/widgets", strings.NewReader(`{"name": "first"}`))
		require.NoError(t, err)
		req.Header.Set("apiKey", apiKey)
		req.Header.Set(idempotencyKeyHeader, idempotencyKey)
		resp, err := server.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}

	_, _, err = send()
	require.Error(t, err, "net/http closes the connection of a handler that panicked")
	require.Contains(t, logs.String(), `"msg":"idempotency key released"`)
	require.Contains(t, logs.String(), `"reason":"the handler panicked"`)
	require.NotContains(t, logs.String(), idempotencyKey, "the log must not hold the whole key")

	retry, retryBody, err := send()
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, retry.StatusCode, "body: %s", retryBody)
	require.Empty(t, retry.Header.Values(replayedHeader))
	require.JSONEq(t, `{"call": 2}`, string(retryBody))

	replay, replayBody, err := send()
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, replay.StatusCode, "body: %s", replayBody)
	require.Equal(t, "true", replay.Header.Get(replayedHeader))
	require.Equal(t, string(retryBody), string(replayBody))
	require.Equal(t, int64(2), calls.Load(), "the replay must not run the handler")
}
