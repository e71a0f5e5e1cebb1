package main

import (
	"bufio"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// heapMetric is the memory occupied by live and not yet swept heap objects.
const heapMetric = "/memory/classes/heap/objects:bytes"

// memorySampler records the peak Go heap, sampled every 50 ms from
// runtime/metrics, and the peak resident set size that the kernel keeps as
// VmHWM in /proc/self/status. Both cover the whole process: the server, the
// SQLite engine (whose memory is outside the Go heap but in the RSS) and the
// load clients.
type memorySampler struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
}

// startMemorySampler resets the kernel's RSS peak, where Linux allows it,
// so earlier work such as seeding does not count, and starts sampling.
func startMemorySampler() *memorySampler {
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)

	m := &memorySampler{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: heapMetric}}
	m.done.Go(func() {
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		for {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				m.peakHeap = max(m.peakHeap, sample[0].Value.Uint64())
			}
			select {
			case <-m.stop:
				return
			case <-ticker.C:
			}
		}
	})
	return m
}

// finish stops sampling and returns the peak heap and peak RSS in bytes.
// The RSS peak is 0 where /proc/self/status is missing.
func (m *memorySampler) finish() (peakHeap, peakRSS uint64) {
	close(m.stop)
	m.done.Wait()
	return m.peakHeap, readStatusKB("VmHWM:") * 1024
}

// readStatusKB returns a kB field of /proc/self/status, or 0.
func readStatusKB(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
