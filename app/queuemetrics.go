package app

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// queueStatsTimeout bounds the river_job query of one scrape. Prometheus
// waits 10 s for a scrape by default.
const queueStatsTimeout = 5 * time.Second

// queueStates are the River job states that hiretrack_queue_jobs reports:
// the jobs not yet finished. River's "pending" state is for workflows,
// which hiretrack does not use.
var queueStates = []string{"available", "running", "retryable", "scheduled"}

// queueStats is the state of the job queue at one moment.
type queueStats struct {
	jobs map[string]int64 // by state; a state without jobs is missing

	// oldestAvailable is the scheduled time of the available job that has
	// waited longest, or zero when no job is available.
	oldestAvailable time.Time
}

// queueStatsQuery counts the unfinished jobs by state, with the earliest
// scheduled time in each state. It runs unchanged on SQLite and PostgreSQL.
const queueStatsQuery = `SELECT state, count(*), min(scheduled_at) FROM river_job
WHERE state IN ('available', 'running', 'retryable', 'scheduled')
GROUP BY state`

// readQueueStats runs queueStatsQuery on db.
func readQueueStats(ctx context.Context, db *sql.DB) (queueStats, error) {
	rows, err := db.QueryContext(ctx, queueStatsQuery)
	if err != nil {
		return queueStats{}, fmt.Errorf("read the job queue: %w", err)
	}
	defer rows.Close()

	stats := queueStats{jobs: map[string]int64{}}
	for rows.Next() {
		var state string
		var count int64
		var earliest any
		if err := rows.Scan(&state, &count, &earliest); err != nil {
			return queueStats{}, fmt.Errorf("read the job queue: %w", err)
		}
		stats.jobs[state] = count
		if state != "available" {
			continue
		}
		if stats.oldestAvailable, err = parseJobTime(earliest); err != nil {
			return queueStats{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return queueStats{}, fmt.Errorf("read the job queue: %w", err)
	}
	return stats, nil
}

// riverSQLiteTime is the layout in which River v0.51.2 stores times in
// SQLite: UTC, with milliseconds. The column default CURRENT_TIMESTAMP
// writes the same layout without fractional seconds, which it also parses.
const riverSQLiteTime = "2006-01-02 15:04:05.999999999"

// parseJobTime converts min(scheduled_at) to a time. PostgreSQL returns a
// time.Time. SQLite returns text, because the result of min() has no
// declared column type for the driver to convert.
func parseJobTime(value any) (time.Time, error) {
	switch v := value.(type) {
	case time.Time:
		return v, nil
	case []byte:
		return parseJobTime(string(v))
	case string:
		for _, layout := range []string{riverSQLiteTime, time.RFC3339Nano} {
			if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("read the job queue: scheduled_at %q is not a time in the layout %q", v, riverSQLiteTime)
	case nil:
		return time.Time{}, nil
	}
	return time.Time{}, fmt.Errorf("read the job queue: scheduled_at has the unexpected type %T", value)
}

// queueCollector reports the job queue at scrape time.
type queueCollector struct {
	stats func(ctx context.Context) (queueStats, error)
	now   func() time.Time

	jobs          *prometheus.Desc
	oldestWaiting *prometheus.Desc
}

// newQueueCollector returns a collector that calls stats on every scrape.
func newQueueCollector(stats func(ctx context.Context) (queueStats, error)) *queueCollector {
	return &queueCollector{
		stats: stats,
		now:   time.Now,
		jobs: prometheus.NewDesc("hiretrack_queue_jobs",
			"Email jobs in the River queue that have not finished, by state: available, running, retryable or scheduled.",
			[]string{"state"}, nil),
		oldestWaiting: prometheus.NewDesc("hiretrack_queue_oldest_available_job_age_seconds",
			"Time since the longest-waiting available job became due, or 0 when no job is available.",
			nil, nil),
	}
}

// Describe sends the descriptions of the queue metrics.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.oldestWaiting
}

// Collect queries the queue and sends its metrics. When the query fails, it
// sends invalid metrics instead, which GET /metrics logs and leaves out.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueStatsTimeout)
	defer cancel()

	stats, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.jobs, err)
		ch <- prometheus.NewInvalidMetric(c.oldestWaiting, err)
		return
	}

	for _, state := range queueStates {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(stats.jobs[state]), state)
	}
	age := 0.0
	if !stats.oldestAvailable.IsZero() {
		age = max(c.now().Sub(stats.oldestAvailable).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.oldestWaiting, prometheus.GaugeValue, age)
}
