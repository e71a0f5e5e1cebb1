package httpapi

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address for the public
// application form: each address may send perHour submissions at once, and
// gets one back every hour/perHour. Like keyLimiter it lives in this process
// only, and it drops the buckets of addresses idle for an hour, which are
// full again by then.
type addrLimiter struct {
	perHour int
	limit   rate.Limit
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// newAddrLimiter returns a limiter, or nil when perHour is not positive.
func newAddrLimiter(perHour int, now func() time.Time) *addrLimiter {
	if perHour <= 0 {
		return nil
	}
	return &addrLimiter{
		perHour: perHour, limit: rate.Limit(float64(perHour) / time.Hour.Seconds()), now: now,
		buckets: map[string]*bucket{},
	}
}

// take spends one submission of addr and returns 0, or returns how long
// until addr may submit again.
func (l *addrLimiter) take(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	if now.Sub(l.lastSweep) >= time.Hour {
		l.lastSweep = now
		for a, b := range l.buckets {
			if now.Sub(b.lastSeen) >= time.Hour {
				delete(l.buckets, a)
			}
		}
	}

	b, ok := l.buckets[addr]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(l.limit, l.perHour)}
		l.buckets[addr] = b
	}
	b.lastSeen = now
	if b.limiter.AllowN(now, 1) {
		return 0
	}
	missing := 1 - b.limiter.TokensAt(now)
	return time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// clientAddr returns the address the rate limit counts: the last address
// in the configured proxy header when the operator set one and the request
// has it, otherwise the host of the connection's remote address.
func (s *Server) clientAddr(r *http.Request) string {
	if s.clientIPHeader != "" {
		values := r.Header.Values(s.clientIPHeader)
		if len(values) > 0 {
			parts := strings.Split(values[len(values)-1], ",")
			if addr := strings.TrimSpace(parts[len(parts)-1]); addr != "" {
				return addr
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
