package app_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
)

// requireRateHeaders checks the X-RateLimit headers of a response.
func requireRateHeaders(t testing.TB, r result, limit, remaining, reset string) {
	t.Helper()
	require.Equal(t, limit, r.Header.Get("X-RateLimit-Limit"), "X-RateLimit-Limit")
	require.Equal(t, remaining, r.Header.Get("X-RateLimit-Remaining"), "X-RateLimit-Remaining")
	require.Equal(t, reset, r.Header.Get("X-RateLimit-Reset"), "X-RateLimit-Reset")
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A key may send 3 requests at once, then one every 2 s. The limiter
	// reads the test clock, so the test moves time instead of sleeping, and
	// the subtests run in order because they share it.
	clock := newTestClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	shared := setup(t, options{now: clock.Now, rateLimit: 0.5, rateBurst: 3})

	t.Run("BurstThenRetryAfter", func(t *testing.T) {
		e := shared.forTest(t)
		e.key = e.newKey("Acme")

		for i, remaining := range []string{"2", "1", "0"} {
			r := e.do("GET", "/modules", nil)
			require.Equal(t, http.StatusOK, r.Status, "request %d: %s", i+1, r.Raw)
			requireRateHeaders(t, r, "3", remaining, []string{"2", "4", "6"}[i])
			require.Empty(t, r.Header.Get("Retry-After"))
		}

		limited := e.do("GET", "/modules", nil)
		requireError(t, limited, http.StatusTooManyRequests, "rate_limited", "")
		require.Equal(t, "2", limited.Header.Get("Retry-After"))
		requireRateHeaders(t, limited, "3", "0", "6")

		// 1.5 s later the bucket holds 0.75 requests: the next one is 0.5 s
		// away, which Retry-After rounds up to 1.
		clock.Advance(1500 * time.Millisecond)
		early := e.do("GET", "/modules", nil)
		requireError(t, early, http.StatusTooManyRequests, "rate_limited", "")
		require.Equal(t, "1", early.Header.Get("Retry-After"))
		requireRateHeaders(t, early, "3", "0", "5")

		clock.Advance(500 * time.Millisecond)
		allowed := e.do("GET", "/modules", nil)
		require.Equal(t, http.StatusOK, allowed.Status, "body: %s", allowed.Raw)
		requireRateHeaders(t, allowed, "3", "0", "6")
	})

	t.Run("LimitedWriteChangesNothing", func(t *testing.T) {
		e := shared.forTest(t)
		e.key = e.newKey("Limited Writes Inc")
		for range 3 {
			r := e.do("GET", "/modules", nil)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		}

		r := e.do("POST", "/modules", map[string]any{"type": "review", "name": "Panel review"})

		requireError(t, r, http.StatusTooManyRequests, "rate_limited", "")
		clock.Advance(2 * time.Second)
		list := e.do("GET", "/modules", nil)
		require.Equal(t, http.StatusOK, list.Status, "body: %s", list.Raw)
		require.Equal(t, []any{}, list.Body["data"])
	})

	t.Run("EachKeyHasItsOwnBucket", func(t *testing.T) {
		e := shared.forTest(t)
		first := e.newKey("Acme")
		second := e.newKey("Acme")
		for range 3 {
			require.Equal(t, http.StatusOK, e.doWithKey(first, "GET", "/modules", nil).Status)
		}
		require.Equal(t, http.StatusTooManyRequests, e.doWithKey(first, "GET", "/modules", nil).Status)

		r := e.doWithKey(second, "GET", "/modules", nil)

		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		requireRateHeaders(t, r, "3", "2", "2")
	})

	t.Run("HeadersOnErrorResponses", func(t *testing.T) {
		e := shared.forTest(t)
		e.key = e.newKey("Acme")

		notFound := e.do("GET", "/modules/999999", nil)
		requireError(t, notFound, http.StatusNotFound, "not_found", "")
		requireRateHeaders(t, notFound, "3", "2", "2")

		readKey := e.createKey("read only", "read").Key
		forbidden := e.doWithKey(readKey, "POST", "/modules", map[string]any{"type": "review", "name": "Panel review"})
		requireError(t, forbidden, http.StatusForbidden, "forbidden", "")
		requireRateHeaders(t, forbidden, "3", "2", "2")
	})

	t.Run("NoHeadersWithoutKey", func(t *testing.T) {
		e := shared.forTest(t)

		r := e.doWithKey("", "GET", "/modules", nil)

		requireError(t, r, http.StatusUnauthorized, "unauthorized", "")
		require.Empty(t, r.Header.Get("X-RateLimit-Limit"))
	})
}

func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})

	for range 50 {
		r := e.do("GET", "/modules", nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
		require.Empty(t, r.Header.Get("X-RateLimit-Limit"))
	}
}

func TestRateLimitFlags(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, env map[string]string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		dir := t.TempDir()
		args = append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "h.db"), "--data-dir", dir}, args...)
		code := app.Run(context.Background(), args, &out, &errOut, func(name string) string { return env[name] })
		return code, errOut.String()
	}

	t.Run("InvalidEnvironment", func(t *testing.T) {
		code, stderr := run(t, map[string]string{"HIRETRACK_RATE_LIMIT": "fast"})

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid HIRETRACK_RATE_LIMIT \"fast\": it must be a number of requests per second, 0 or more\n", stderr)
	})

	t.Run("NegativeLimit", func(t *testing.T) {
		code, stderr := run(t, nil, "--rate-limit", "-1")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid --rate-limit -1: it must be a finite number of requests per second, 0 or more\n", stderr)
	})

	t.Run("NegativeBurst", func(t *testing.T) {
		code, stderr := run(t, map[string]string{"HIRETRACK_RATE_BURST": "-5"})

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid --rate-burst -5: it must be 0 or more (set by environment HIRETRACK_RATE_BURST)\n", stderr)
	})
}
