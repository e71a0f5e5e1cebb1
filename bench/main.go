// Command bench is the load driver of hiretrack. It seeds a fresh database
// with tracks and applications and starts the server in process on a
// loopback port. It then measures advances over HTTP and in process,
// advances that send email to a local SMTP server, and the applicant list.
// SQLite is measured in every run, PostgreSQL when --postgres is given. It
// prints Markdown tables and exits with status 1 when any request fails,
// the server logs an error, or a queued email does not arrive.
//
//	go run ./bench --applications 100000 --postgres postgres://user@127.0.0.1:5432/postgres
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// options are the command-line settings of a run.
type options struct {
	applications int
	tracks       int
	duration     time.Duration
	clients      []int
	listClients  int
	maxRequests  int64
	emailCount   int64
	perPage      int
	emailTimeout time.Duration
	postgres     string
	out          string
	verbose      bool
}

func main() {
	opts, err := parseOptions(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&opts.applications, "applications", 100_000, "number of seeded applications, each with its own candidate, 1 to 1,000,000")
	fs.IntVar(&opts.tracks, "tracks", 5, "number of seeded tracks; they have 4, 5 and 6 regular stages in turn")
	fs.DurationVar(&opts.duration, "duration", 10*time.Second, "maximum duration of each measured phase")
	clients := fs.String("clients", "1,16,64", "comma-separated numbers of concurrent clients of the advance phases")
	fs.IntVar(&opts.listClients, "list-clients", 1, "concurrent clients of the applicant list phases")
	fs.Int64Var(&opts.maxRequests, "max-requests", 1_000_000, "maximum number of requests of each measured phase")
	fs.Int64Var(&opts.emailCount, "email-requests", 500, "number of requests of each sendlink phase, whose emails the run waits for")
	fs.IntVar(&opts.perPage, "per-page", 50, "per_page of the applicant list requests, 1 to 200")
	fs.DurationVar(&opts.emailTimeout, "email-timeout", 5*time.Minute, "how long to wait for queued emails to arrive after each email phase")
	fs.StringVar(&opts.postgres, "postgres", "", "URL of a PostgreSQL server where the run may create and drop a database, such as postgres://user@127.0.0.1:5432/postgres?sslmode=disable; SQLite runs in any case")
	fs.StringVar(&opts.out, "out", "", "file to write the Markdown report to, besides standard output")
	fs.BoolVar(&opts.verbose, "v", false, "log the server's info messages to standard error")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}

	for _, text := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || n < 1 {
			return opts, fmt.Errorf("invalid --clients %q: it must be positive whole numbers separated by commas", *clients)
		}
		opts.clients = append(opts.clients, n)
	}
	switch {
	case opts.applications < 1 || opts.applications > 1_000_000:
		return opts, fmt.Errorf("invalid --applications %d: it must be 1 to 1,000,000", opts.applications)
	case opts.tracks < 1 || opts.tracks > opts.applications:
		return opts, fmt.Errorf("invalid --tracks %d: it must be 1 to --applications", opts.tracks)
	case opts.duration <= 0:
		return opts, fmt.Errorf("invalid --duration %s: it must be positive", opts.duration)
	case opts.listClients < 1:
		return opts, fmt.Errorf("invalid --list-clients %d: it must be at least 1", opts.listClients)
	case opts.maxRequests < 1:
		return opts, fmt.Errorf("invalid --max-requests %d: it must be at least 1", opts.maxRequests)
	case opts.emailCount < 1:
		return opts, fmt.Errorf("invalid --email-requests %d: it must be at least 1", opts.emailCount)
	case opts.perPage < 1 || opts.perPage > 200:
		return opts, fmt.Errorf("invalid --per-page %d: it must be 1 to 200", opts.perPage)
	}
	return opts, nil
}

// run measures SQLite and, with --postgres, PostgreSQL, and writes the
// report. A failed measurement still writes the report of what finished.
func run(ctx context.Context, opts options) error {
	logs := newCountingHandler(os.Stderr, opts.verbose)
	logger := slog.New(logs)
	dir, err := os.MkdirTemp("", "hiretrack-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rep := report{opts: opts, args: os.Args[1:], started: time.Now()}
	runErr := measure(ctx, "SQLite", filepath.Join(dir, "sqlite", "hiretrack.db"), filepath.Join(dir, "sqlite"), opts, logger, &rep)
	if runErr == nil && opts.postgres != "" {
		runErr = measurePostgres(ctx, filepath.Join(dir, "postgres"), opts, logger, &rep)
	}
	if runErr == nil {
		runErr = logs.failure()
	}

	text := rep.markdown()
	fmt.Print(text)
	if opts.out != "" {
		if err := os.WriteFile(opts.out, []byte(text), 0o644); err != nil {
			return errors.Join(runErr, fmt.Errorf("write --out: %w", err))
		}
	}
	return runErr
}

// measurePostgres measures a database created for the run and drops it.
func measurePostgres(ctx context.Context, dir string, opts options, logger *slog.Logger, rep *report) error {
	source, drop, err := createPostgresDatabase(ctx, opts.postgres)
	if err != nil {
		return err
	}
	return errors.Join(measure(ctx, "PostgreSQL", source, dir, opts, logger, rep), drop())
}
