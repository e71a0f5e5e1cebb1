package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hiretrack/hiretrack"
)

// keyLimiter is a token bucket per API key: each key may send burst
// requests at once and limit requests per second after that. The
// buckets live in this process only, so N servers behind a load balancer
// allow a key up to N times the rate.
type keyLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	// fillTime is how long an empty bucket takes to fill. A key idle that
	// long has a full bucket, the same as a new one, so sweep drops it
	// without changing any outcome. This bounds the memory to the keys used
	// within the last fillTime.
	fillTime time.Duration

	mu        sync.Mutex
	buckets   map[int64]*bucket
	lastSweep time.Time
}

// bucket is the limiter of one key and the time of its last request.
type bucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

// minSweepInterval keeps sweeps rare when buckets fill quickly; a sweep
// walks all buckets.
const minSweepInterval = time.Minute

// rateDecision is the outcome of one request against its key's bucket.
type rateDecision struct {
	allowed    bool
	remaining  int           // whole requests left in the bucket after this one
	reset      time.Duration // until the bucket is full again
	retryAfter time.Duration // until the next request is allowed; 0 when allowed
}

// newKeyLimiter returns a limiter, or nil when perSecond or burst is not
// positive, which disables rate limiting. now is time.Now when nil.
func newKeyLimiter(perSecond float64, burst int, now func() time.Time) *keyLimiter {
	if perSecond <= 0 || burst <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &keyLimiter{
		limit: rate.Limit(perSecond), burst: burst, now: now,
		fillTime: time.Duration(float64(burst) / perSecond * float64(time.Second)),
		buckets:  map[int64]*bucket{},
	}
}

// take spends one request of the key's bucket when one is left.
func (l *keyLimiter) take(keyID int64) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	l.sweep(now)
	b, ok := l.buckets[keyID]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[keyID] = b
	}
	b.lastSeen = now

	d := rateDecision{allowed: b.limiter.AllowN(now, 1)}
	tokens := b.limiter.TokensAt(now)
	d.remaining = int(math.Floor(tokens))
	d.reset = l.durationFor(float64(l.burst) - tokens)
	if !d.allowed {
		d.retryAfter = l.durationFor(1 - tokens)
	}
	return d
}

// durationFor returns how long the bucket takes to gain tokens.
func (l *keyLimiter) durationFor(tokens float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	return time.Duration(tokens / float64(l.limit) * float64(time.Second))
}

// sweep drops the buckets of keys idle for fillTime or longer, at most
// once per max(fillTime, minSweepInterval).
func (l *keyLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < max(l.fillTime, minSweepInterval) {
		return
	}
	l.lastSweep = now
	for id, b := range l.buckets {
		if now.Sub(b.lastSeen) >= l.fillTime {
			delete(l.buckets, id)
		}
	}
}

// size returns the number of buckets held.
func (l *keyLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// checkRateLimit spends one request of p's key, sets the X-RateLimit
// headers on w and returns KindRateLimited, with Retry-After set, when the
// key has no request left. It does nothing when rate limiting is off.
func (s *Server) checkRateLimit(w http.ResponseWriter, p hiretrack.Principal) error {
	if s.limiter == nil {
		return nil
	}
	d := s.limiter.take(p.KeyID)

	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limiter.burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilSeconds(d.reset), 10))
	if d.allowed {
		return nil
	}

	retryAfter := max(ceilSeconds(d.retryAfter), 1)
	h.Set("Retry-After", strconv.FormatInt(retryAfter, 10))
	return hiretrack.Errorf(hiretrack.KindRateLimited, "rate_limited",
		"the API key %s sent more than %d requests at once or %s per second; retry after %d s",
		p.KeyPrefix, s.limiter.burst, strconv.FormatFloat(float64(s.limiter.limit), 'f', -1, 64), retryAfter)
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds()))
}
