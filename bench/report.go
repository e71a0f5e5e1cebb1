package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report collects the results of a run and formats them as Markdown.
type report struct {
	opts    options
	args    []string
	started time.Time
	results []*backendResult
}

// Targets that the report compares with. They are reported, not enforced.
const (
	targetHTTPRatio  = 0.75 // HTTP advance throughput / in-process throughput
	targetDeepRatio  = 1.5  // list p95 of the deep page / p95 of page 1
	targetPeakRatio  = 0.9  // HTTP advance throughput at the most clients / the best
	groupInProcess   = "inprocess"
	groupGetLink     = "getlink"
	groupSendLink    = "sendlink"
	groupListIdle    = "list idle"
	groupListLoad    = "list load"
	groupBackground  = "load"
	millisecondsUnit = float64(time.Millisecond)
)

var groupTitles = map[string]string{
	groupInProcess:  "advance, in process (Store.Transition)",
	groupGetLink:    "advance, HTTP, getlink (no email)",
	groupSendLink:   "advance, HTTP, sendlink (email over SMTP)",
	groupListIdle:   "list, idle",
	groupListLoad:   "list, during advances",
	groupBackground: fmt.Sprintf("advance, HTTP, getlink, %d clients during the list", loadClients),
}

func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Command: `go run ./bench %s`\n\n", strings.Join(redactArgs(r.args), " "))
	fmt.Fprintf(&b, "Machine: %s/%s, %d CPUs, %s memory, %s; %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		formatBytes(readMemTotal()), runtime.Version(), r.started.UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "Data set: %d applications in %d tracks of 4 to 6 stages; %d%% completed the first stage. "+
		"Phases last up to %s; the list runs with %d client(s), per_page=%d.\n\n",
		r.opts.applications, r.opts.tracks, 100-100/pendingEvery, r.opts.duration, r.opts.listClients, r.opts.perPage)

	b.WriteString("| Database | Measurement | Clients | Requests | Requests/s | p50 ms | p95 ms | p99 ms |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, res := range r.results {
		for _, ph := range res.phases {
			name := groupTitles[ph.group]
			if strings.HasPrefix(ph.group, "list") {
				name += ": " + ph.name
			}
			if ph.exhausted {
				name += " (applications ran out)"
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %s | %s | %s |\n", res.database, name, ph.clients,
				len(ph.latencies), ph.rate(), ms(ph.percentile(0.50)), ms(ph.percentile(0.95)), ms(ph.percentile(0.99)))
		}
	}

	b.WriteString("\n| Database | Email phase, clients | Emails queued | Wait after the phase | Emails/s, phase start to last delivery |\n")
	b.WriteString("|---|--:|--:|--:|--:|\n")
	for _, res := range r.results {
		for _, ph := range res.byGroup(groupSendLink) {
			sent := float64(len(ph.latencies))
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %.0f |\n", res.database, ph.clients, sent,
				ph.emailDrain.Round(time.Millisecond), safeRatio(sent, (ph.elapsed+ph.emailDrain).Seconds()))
		}
	}

	b.WriteString("\n| Database | Seeding | Emails queued / delivered | Peak Go heap | Peak RSS |\n")
	b.WriteString("|---|--:|--:|--:|--:|\n")
	for _, res := range r.results {
		fmt.Fprintf(&b, "| %s | %s | %d / %d | %s | %s |\n", res.database, res.seedTime.Round(100*time.Millisecond),
			res.emailsQueued, res.emailsSent, formatBytes(res.peakHeap), formatBytes(res.peakRSS))
	}

	b.WriteString("\n| Database | Target | Value | Met |\n|---|---|--:|---|\n")
	for _, res := range r.results {
		for _, t := range res.targets() {
			fmt.Fprintf(&b, "| %s | %s | %.2f | %s |\n", res.database, t.name, t.value, yesNo(t.met))
		}
	}
	return b.String()
}

// target is one comparison with a reported target.
type target struct {
	name  string
	value float64
	met   bool
}

// targets compares HTTP and in-process advances at each client count, the
// throughput at the most clients with the best, and the deep list page
// with page 1, both filtered.
func (res *backendResult) targets() []target {
	var out []target
	inProcess := res.byGroup(groupInProcess)
	getLink := res.byGroup(groupGetLink)
	for i := range min(len(inProcess), len(getLink)) {
		ratio := safeRatio(getLink[i].rate(), inProcess[i].rate())
		out = append(out, target{fmt.Sprintf("HTTP / in-process advances/s, %s (≥ %.2f)", clientsLabel(getLink[i].clients), targetHTTPRatio),
			ratio, ratio >= targetHTTPRatio})
	}

	if len(getLink) > 0 {
		best := 0.0
		for _, ph := range getLink {
			best = max(best, ph.rate())
		}
		last := getLink[len(getLink)-1]
		ratio := safeRatio(last.rate(), best)
		out = append(out, target{fmt.Sprintf("HTTP advances/s at %s / best (≥ %.2f)", clientsLabel(last.clients), targetPeakRatio),
			ratio, ratio >= targetPeakRatio})
	}

	for _, group := range []string{groupListIdle, groupListLoad} {
		list := res.byGroup(group)
		if len(list) < 3 {
			continue
		}
		// list[1] is page 1 with the filters and list[2] the deep page
		// with the same filters, in the order of listQueries.
		ratio := safeRatio(float64(list[2].percentile(0.95)), float64(list[1].percentile(0.95)))
		out = append(out, target{fmt.Sprintf("%s: p95 of %s / p95 of %s (≤ %.1f)", group, list[2].name, list[1].name, targetDeepRatio),
			ratio, ratio <= targetDeepRatio})
	}
	return out
}

func (res *backendResult) byGroup(group string) []labeledResult {
	var out []labeledResult
	for _, ph := range res.phases {
		if ph.group == group {
			out = append(out, ph)
		}
	}
	return out
}

func clientsLabel(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}

func safeRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/millisecondsUnit) }

func formatBytes(n uint64) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// readMemTotal returns the machine's memory from /proc/meminfo, or 0.
func readMemTotal() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb uint64
	for _, line := range strings.Split(string(data), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}

// redactArgs hides the password of a --postgres URL.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if i > 0 && strings.TrimLeft(args[i-1], "-") == "postgres" || strings.HasPrefix(strings.TrimLeft(a, "-"), "postgres=") {
			out[i] = redactURL(a)
		}
	}
	return out
}
