package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/client"
	"github.com/hiretrack/hiretrack/secret"
)

// backendResult holds the measurements of one database.
type backendResult struct {
	database     string
	seedTime     time.Duration
	phases       []labeledResult
	emailsQueued int64
	emailsSent   int64
	peakHeap     uint64
	peakRSS      uint64
}

// labeledResult is a phase result with the group it belongs to in the report.
type labeledResult struct {
	group string // "inprocess", "getlink", "sendlink", "list idle", "list load", "load"
	phaseResult
	emailDrain time.Duration // sendlink only: the wait for the emails after the phase
}

// bench is one database under measurement: the running server and what
// the phases share.
type bench struct {
	opts      options
	srv       *app.Server
	sink      *smtpSink
	ds        dataset
	pool      *advancePool
	client    *client.Client
	principal hiretrack.Principal
	sealer    *secret.Sealer
	result    *backendResult
}

// measure seeds source, starts a server on it and runs every phase. The
// result is added to rep even when a phase fails.
func measure(ctx context.Context, database, source, dir string, opts options, logger *slog.Logger, rep *report) error {
	res := &backendResult{database: database}
	rep.results = append(rep.results, res)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "%s: seeding %d applications in %d tracks\n", database, opts.applications, opts.tracks)
	seedStart := time.Now()
	ds, err := seed(ctx, source, opts, logger)
	if err != nil {
		return fmt.Errorf("%s: seed: %w", database, err)
	}
	res.seedTime = time.Since(seedStart)

	memory := startMemorySampler()
	defer func() { res.peakHeap, res.peakRSS = memory.finish() }()

	b, err := startBench(ctx, source, dir, ds, opts, logger, res)
	if err != nil {
		return fmt.Errorf("%s: %w", database, err)
	}
	runErr := b.runPhases(ctx)
	stopErr := b.stop()
	if runErr != nil {
		return fmt.Errorf("%s: %w", database, runErr)
	}
	if stopErr != nil {
		return fmt.Errorf("%s: stop server: %w", database, stopErr)
	}
	return nil
}

// startBench starts the SMTP sink and the server, and reads the principal
// of the seeded key and the server key that seals invite tokens.
func startBench(ctx context.Context, source, dir string, ds dataset, opts options, logger *slog.Logger, res *backendResult) (*bench, error) {
	sink, err := startSMTPSink()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	srv, err := app.Start(ctx, app.Config{
		Addr: "127.0.0.1:0", DB: source, DataDir: dataDir, SMTPURL: sink.URL(),
		SMTPFrom: "hiretrack <no-reply@example.com>", ShutdownTimeout: 30 * time.Second,
	}, logger)
	if err != nil {
		sink.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}

	b := &bench{opts: opts, srv: srv, sink: sink, ds: ds, pool: &advancePool{targets: ds.advanceable},
		client: newAPIClient(srv.URL(), ds.key), result: res}
	if b.principal, err = srv.Store().Authenticate(ctx, secret.Hash(ds.key)); err != nil {
		b.stop()
		return nil, fmt.Errorf("authenticate the seeded key: %w", err)
	}
	key, _, err := secret.LoadOrCreateKey(filepath.Join(dataDir, "secret.key"))
	if err == nil {
		b.sealer, err = secret.NewSealer(key)
	}
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("read the server key: %w", err)
	}
	return b, nil
}

func (b *bench) stop() error {
	err := b.srv.Shutdown(context.Background())
	b.sink.Close()
	return err
}

// runPhases measures the idle applicant list first, at the seeded size,
// then advances in process and over HTTP without email, then over HTTP with
// email, and last the list while advances run.
func (b *bench) runPhases(ctx context.Context) error {
	queries, err := b.listQueries(ctx)
	if err != nil {
		return err
	}
	if err := b.runList(ctx, "list idle", queries); err != nil {
		return err
	}

	// In-process and HTTP advances alternate at each client count, so both
	// meet a database of about the same size.
	for _, clients := range b.opts.clients {
		if err := b.runAdvance(ctx, groupInProcess, clients, b.advanceInProcess); err != nil {
			return err
		}
		if err := b.runAdvance(ctx, groupGetLink, clients, b.advanceHTTP(hiretrack.InviteGetLink)); err != nil {
			return err
		}
	}
	for _, clients := range b.opts.clients {
		if err := b.runAdvance(ctx, groupSendLink, clients, b.advanceHTTP(hiretrack.InviteSendLink)); err != nil {
			return err
		}
	}
	return b.runListUnderLoad(ctx, queries)
}

// runAdvance runs one advance phase. A sendlink phase makes at most
// --email-requests requests, because the email workers deliver far fewer
// emails per second than the server queues, and the phase then waits until
// every queued email arrived at the SMTP sink.
func (b *bench) runAdvance(ctx context.Context, group string, clients int, op func(context.Context) error) error {
	fmt.Fprintf(os.Stderr, "%s: advance %s with %d clients\n", b.result.database, group, clients)
	maxCount := b.opts.maxRequests
	if group == groupSendLink {
		maxCount = min(maxCount, b.opts.emailCount)
	}
	res, err := phase{name: "advance " + group, clients: clients, duration: b.opts.duration, maxCount: maxCount, op: op}.run(ctx)
	if err != nil {
		return err
	}
	labeled := labeledResult{group: group, phaseResult: res}

	if group == groupSendLink {
		b.result.emailsQueued += int64(len(res.latencies))
		labeled.emailDrain, err = b.sink.waitFor(b.result.emailsQueued, b.opts.emailTimeout)
		b.result.emailsSent = b.sink.delivered.Load()
		if err != nil {
			return err
		}
	}
	b.result.phases = append(b.result.phases, labeled)
	if res.exhausted {
		return fmt.Errorf("the applications to advance ran out during %s with %d clients; seed more with --applications or shorten --duration", group, clients)
	}
	return nil
}

// advanceInProcess runs the advance transaction of the HTTP handler
// without HTTP and JSON: a new sealed invite token, then Store.Transition.
func (b *bench) advanceInProcess(ctx context.Context) error {
	target, err := b.pool.take()
	if err != nil {
		return err
	}
	_, token, err := b.sealer.NewInviteToken()
	if err != nil {
		return err
	}
	_, err = b.srv.Store().Transition(ctx, hiretrack.TransitionParams{
		Principal: b.principal, Kind: hiretrack.TransitionAdvance, TrackID: target.trackID,
		ApplicationID: target.applicationID, Format: hiretrack.InviteGetLink, Token: token,
	})
	if err != nil {
		return fmt.Errorf("advance application %d in process: %w", target.applicationID, err)
	}
	return nil
}

// advanceHTTP returns an op that sends PUT /tracks/candidate/advance.
func (b *bench) advanceHTTP(format hiretrack.InviteFormat) func(context.Context) error {
	return func(ctx context.Context) error {
		target, err := b.pool.take()
		if err != nil {
			return err
		}
		_, err = b.client.Advance(ctx, client.AdvanceInput{
			TrackID: target.trackID, ApplicationID: target.applicationID, InviteFormat: string(format),
		})
		if err != nil {
			return fmt.Errorf("advance application %d: %w", target.applicationID, err)
		}
		return nil
	}
}

// listQuery is one applicant list request that a list phase repeats.
type listQuery struct {
	name string
	path string
}

// listQueries returns the list requests of the first seeded track: page 1
// without filters, and with the filters status=active and
// invite_status=Completed page 1, the page in the middle of the matches,
// and the page after it through the cursor of its next link.
func (b *bench) listQueries(ctx context.Context) ([]listQuery, error) {
	track := b.ds.tracks[0].id
	base := fmt.Sprintf("/tracks/%d/applicants?per_page=%d", track, b.opts.perPage)
	filtered := base + "&status=active&invite_status=Completed"

	first, err := b.client.NextApplicants(ctx, filtered)
	if err != nil {
		return nil, err
	}
	deepPage := max(1, first.Total/2/int64(b.opts.perPage))
	deep := filtered + "&page=" + strconv.FormatInt(deepPage, 10)

	page, err := b.client.NextApplicants(ctx, deep)
	if err != nil {
		return nil, err
	}
	queries := []listQuery{
		{"page 1", base},
		{"page 1, filtered", filtered},
		{fmt.Sprintf("page %d, filtered", deepPage), deep},
	}
	if page.Next != nil {
		queries = append(queries, listQuery{fmt.Sprintf("after page %d by cursor, filtered", deepPage), *page.Next})
	}
	return queries, nil
}

// runList measures each query in turn with --list-clients clients.
func (b *bench) runList(ctx context.Context, group string, queries []listQuery) error {
	for _, q := range queries {
		fmt.Fprintf(os.Stderr, "%s: %s: %s\n", b.result.database, group, q.name)
		res, err := phase{
			name: q.name, clients: b.opts.listClients, duration: b.opts.duration, maxCount: b.opts.maxRequests,
			op: func(ctx context.Context) error {
				_, err := b.client.NextApplicants(ctx, q.path)
				return err
			},
		}.run(ctx)
		if err != nil {
			return err
		}
		b.result.phases = append(b.result.phases, labeledResult{group: group, phaseResult: res})
	}
	return nil
}

// loadClients is the number of clients that advance over HTTP while the
// list is measured under load.
const loadClients = 16

// runListUnderLoad measures the list queries again while loadClients
// clients advance applications over HTTP with getlink.
func (b *bench) runListUnderLoad(ctx context.Context, queries []listQuery) error {
	stop := make(chan struct{})
	type outcome struct {
		res phaseResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := phase{
			name: "advance getlink during the list", clients: loadClients, duration: 24 * time.Hour,
			maxCount: 1 << 62, stop: stop, op: b.advanceHTTP(hiretrack.InviteGetLink),
		}.run(ctx)
		done <- outcome{res, err}
	}()

	listErr := b.runList(ctx, "list load", queries)
	close(stop)
	load := <-done
	if load.err != nil {
		return load.err
	}
	b.result.phases = append(b.result.phases, labeledResult{group: "load", phaseResult: load.res})
	if load.res.exhausted {
		return fmt.Errorf("the applications to advance ran out while the list was measured; seed more with --applications")
	}
	return listErr
}
