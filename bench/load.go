package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hiretrack/hiretrack/client"
)

// errExhausted ends a phase early when no application is left to advance.
var errExhausted = errors.New("no application left to advance")

// phase is a measurement: clients goroutines call op in a loop until the
// duration has passed, maxCount calls were made or stop is closed. Calls in
// flight always finish, so stopping cancels no request on the server.
type phase struct {
	name     string
	clients  int
	duration time.Duration
	maxCount int64
	stop     <-chan struct{} // optional
	op       func(ctx context.Context) error
}

// stopped reports whether stop is closed.
func (ph phase) stopped() bool {
	select {
	case <-ph.stop:
		return true
	default:
		return false
	}
}

// phaseResult is the outcome of a phase. Latencies are of successful calls.
type phaseResult struct {
	name      string
	clients   int
	elapsed   time.Duration
	latencies []time.Duration
	exhausted bool
}

// run runs the phase. The first failed call stops every client and is
// returned, so a run with any error ends with no result.
func (ph phase) run(ctx context.Context) (phaseResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(ph.duration)

	var started atomic.Int64
	var exhausted atomic.Bool
	var failOnce sync.Once
	var failure error
	perClient := make([][]time.Duration, ph.clients)
	var wg sync.WaitGroup

	start := time.Now()
	for c := range ph.clients {
		wg.Go(func() {
			for ctx.Err() == nil && !ph.stopped() && time.Now().Before(deadline) && started.Add(1) <= ph.maxCount {
				begin := time.Now()
				err := ph.op(ctx)
				if errors.Is(err, errExhausted) {
					exhausted.Store(true)
					return
				}
				if err != nil {
					failOnce.Do(func() { failure = err; cancel() })
					return
				}
				perClient[c] = append(perClient[c], time.Since(begin))
			}
		})
	}
	wg.Wait()

	res := phaseResult{name: ph.name, clients: ph.clients, elapsed: time.Since(start), exhausted: exhausted.Load()}
	if failure != nil {
		return res, fmt.Errorf("%s with %d clients: %w", ph.name, ph.clients, failure)
	}
	for _, l := range perClient {
		res.latencies = append(res.latencies, l...)
	}
	slices.Sort(res.latencies)
	return res, nil
}

// rate returns the successful calls per second.
func (r phaseResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

// percentile returns the latency below which the fraction p of calls
// finished, by the nearest-rank method, or 0 without calls.
func (r phaseResult) percentile(p float64) time.Duration {
	n := len(r.latencies)
	if n == 0 {
		return 0
	}
	rank := int(p*float64(n)+0.999999) - 1
	return r.latencies[max(0, min(rank, n-1))]
}

// advancePool hands out applications to advance, each at most once per
// round. Round r moves an application from regular stage r+1 to r+2, so an
// application of a track of n regular stages takes part in rounds 0 to n-2.
// Consecutive advances of one application are a whole round of the pool
// apart, so while the pool has more applications than there are clients,
// no two clients advance one application at once.
type advancePool struct {
	targets []advanceTarget
	next    atomic.Int64
}

// maxRegulars is the largest number of regular stages of a seeded track.
const maxRegulars = 6

// take returns the next application to advance, or errExhausted.
func (p *advancePool) take() (advanceTarget, error) {
	n := int64(len(p.targets))
	for {
		k := p.next.Add(1) - 1
		round := int(k / n)
		if n == 0 || round >= maxRegulars-1 {
			return advanceTarget{}, errExhausted
		}
		t := p.targets[k%n]
		if round < t.regulars-1 {
			return t, nil
		}
	}
}

// newAPIClient returns the typed API client of the load phases, with
// enough idle connections that every client goroutine keeps its own.
func newAPIClient(baseURL, key string) *client.Client {
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return client.New(baseURL, key, client.WithHTTPClient(&http.Client{Transport: transport, Timeout: time.Minute}))
}
