package httpapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The end-to-end tests in package app cover the limiter's responses, and this
// test checks that the buckets of idle keys are dropped, which no response shows.
func TestKeyLimiterEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	limiter := newKeyLimiter(20, 40, func() time.Time { return now })
	for id := range int64(100) {
		require.True(t, limiter.take(id).allowed)
	}
	require.Equal(t, 100, limiter.size())

	// A bucket fills in 2 s, but sweeps run at most once a minute.
	now = now.Add(30 * time.Second)
	limiter.take(1000)
	require.Equal(t, 101, limiter.size(), "a sweep ran before its interval")

	now = now.Add(31 * time.Second)
	limiter.take(1000)
	require.Equal(t, 1, limiter.size(), "the sweep drops the buckets idle for the fill time or longer")
}

func TestKeyLimiterOff(t *testing.T) {
	t.Parallel()

	require.Nil(t, newKeyLimiter(0, 40, nil))
	require.Nil(t, newKeyLimiter(20, 0, nil))
}
