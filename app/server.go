// Package app wires hiretrack's parts together and implements the command
// line. Run is what main calls; Start is what end-to-end tests call.
package app

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/httpapi"
	"github.com/hiretrack/hiretrack/mail"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// Server timeouts. Bodies are at most 1 MiB, so 30 s to read one is generous
// even on a slow link, and a slow client cannot hold a connection forever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
)

// emailWorkers is how many emails one server sends at once. River fetches
// at most this many jobs per fetch and waits 100 ms between fetches, so it
// also bounds delivery at about 10 × emailWorkers emails per second: with
// 4 workers the bench load driver measured 40 per second. Sending is mostly
// waiting on the SMTP server, so 20 workers cost little.
const emailWorkers = 20

// Server is a running hiretrack: the HTTP server, the email queue and the database.
type Server struct {
	cfg    Config
	logger *slog.Logger
	db     *sqlstore.DB
	store  *sqlstore.Store
	queue  *river.Client[*sql.Tx]
	http   *http.Server
	ln     net.Listener
	done   chan error
	obs    *observability   // metrics registry and readiness state, see observability.go
	trace  *tracing         // nil unless cfg.Tracing names an endpoint, see tracing.go
	files  *mail.FileSender // nil when emails go to an SMTP server
}

// Start opens and migrates the database, starts the email workers and
// serves HTTP on cfg.Addr until Shutdown.
func Start(ctx context.Context, cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger, done: make(chan error, 1)}

	sealer, err := loadSealer(cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	s.store.SetTokenSource(func() (hiretrack.NewToken, error) {
		_, token, err := sealer.NewInviteToken()
		return token, err
	})
	if err := s.startObservability(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.listen(); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.startQueue(ctx, sealer); err != nil {
		s.ln.Close()
		s.db.Close()
		return nil, err
	}

	if s.trace, err = startTracing(ctx, cfg.Tracing, logger); err != nil {
		stopErr := s.queue.Stop(ctx)
		s.ln.Close()
		s.db.Close()
		return nil, errors.Join(err, stopErr)
	}

	s.serve(sealer)
	logger.Info("server started", "addr", s.ln.Addr().String(), "public_url", s.cfg.PublicURL,
		"db", sqlstore.Redact(cfg.DB), "dialect", s.db.Dialect.String(),
		"rate_limit_per_second", cfg.RateLimit, "rate_burst", cfg.RateBurst,
		"email_max_attempts", cmp.Or(cfg.EmailMaxAttempts, mail.MaxAttempts))
	return s, nil
}

// openStore opens and migrates the database and creates the store, whose
// email jobs go to the queue created in startQueue.
func (s *Server) openStore(ctx context.Context) error {
	db, err := openMigrated(ctx, s.cfg, s.logger)
	if err != nil {
		return err
	}
	s.db = db

	s.store = sqlstore.NewStore(db, func(ctx context.Context, tx *sql.Tx, job hiretrack.EmailJob) error {
		_, err := s.queue.InsertTx(ctx, tx, mail.ArgsFor(job), mail.InsertOpts(s.cfg.EmailMaxAttempts))
		return err
	}, s.cfg.Now, s.logger)
	s.wireWebhookJobs()
	return nil
}

// listen binds the address first, so a port of 0 resolves before the
// default public URL is derived from it.
func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	if s.cfg.PublicURL == "" {
		s.cfg.PublicURL = "http://" + ln.Addr().String()
	}
	return nil
}

// startQueue creates the River client with the invite and rejection email
// workers and the webhook worker, and starts it.
func (s *Server) startQueue(ctx context.Context, sealer *secret.Sealer) error {
	sender, err := s.newSender()
	if err != nil {
		return err
	}

	mailConfig := mail.WorkerConfig{
		Store: s.store, Sender: sender, Sealer: sealer, PublicURL: s.cfg.PublicURL,
		From: s.cfg.SMTPFrom, Logger: s.logger,
		Metrics: s.obs.registry, RetryDelay: s.cfg.EmailRetryDelay,
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, mail.NewWorker(mailConfig))
	river.AddWorker(workers, mail.NewRejectionWorker(mailConfig))
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: emailWorkers}}
	s.addWebhookWorker(workers, queues, sealer)
	s.queue, err = river.NewClient(s.db.QueueDriver(), &river.Config{
		Queues:  queues,
		Workers: workers,
		Logger:  s.logger.With("component", "queue"),

		// River runs a job again that a dead process left running only
		// after RescueStuckJobsAfter, one hour by default.
		JobTimeout:           cmp.Or(s.cfg.EmailTimeout, DefaultEmailTimeout),
		RescueStuckJobsAfter: 2 * cmp.Or(s.cfg.EmailTimeout, DefaultEmailTimeout),
	})
	if err != nil {
		return fmt.Errorf("create job queue: %w", err)
	}
	if err := s.queue.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// serve starts the HTTP server in the background.
func (s *Server) serve(sealer *secret.Sealer) {
	s.http = &http.Server{
		Handler: s.trace.handler(httpapi.New(httpapi.Config{
			Store: s.apiStore(), Sealer: sealer, PublicURL: s.cfg.PublicURL, Logger: s.logger,
			Metrics: s.obs.registry, ReadinessChecks: s.readinessChecks(),
			RateLimit: s.cfg.RateLimit, RateBurst: s.cfg.RateBurst, Now: s.cfg.Now,
			Unavailable:    sqlstore.IsUnavailable,
			ApplyRateLimit: s.cfg.ApplyRateLimit, ClientIPHeader: s.cfg.ClientIPHeader,
			Webhooks: s.webhookConfig(), AfterErase: s.eraseEmailFiles,
		}).Handler()),
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
		ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}

	go func() {
		err := s.http.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
}

func (s *Server) newSender() (mail.Sender, error) {
	if s.cfg.SMTPURL != "" {
		return mail.NewSMTPSender(s.cfg.SMTPURL, s.logger)
	}
	dir := filepath.Join(s.cfg.DataDir, "mail")
	s.logger.Info("no SMTP server configured; emails are written as .eml files", "dir", dir)
	s.files = mail.NewFileSender(dir, s.logger)
	return s.files, nil
}

// eraseEmailFiles deletes the .eml files of an erased candidate's
// applications and responses when emails are written to files.
func (s *Server) eraseEmailFiles(ctx context.Context, erasure hiretrack.Erasure) {
	if s.files == nil {
		return
	}
	removed, err := s.files.Erase(erasure.ApplicationIDs, erasure.ResponseIDs)
	if err != nil {
		s.logger.ErrorContext(ctx, "deleting the email files of an erased candidate failed",
			"candidate_id", erasure.CandidateID, "files_deleted", removed, "error", err)
		return
	}
	s.logger.InfoContext(ctx, "email files of an erased candidate deleted",
		"candidate_id", erasure.CandidateID, "files_deleted", removed)
}

// loadSealer reads the server key from the configuration or the data folder.
func loadSealer(cfg Config, logger *slog.Logger) (*secret.Sealer, error) {
	if cfg.SecretKey != "" {
		key, err := secret.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("invalid --secret-key: %w", err)
		}
		return secret.NewSealer(key)
	}

	path := filepath.Join(cfg.DataDir, "secret.key")
	key, created, err := secret.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Info("created server key; back it up with the database", "path", path)
	}
	return secret.NewSealer(key)
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// PublicURL returns the base URL of invite links.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }

// apiStore returns the store of the HTTP handlers: with tracing, one that adds
// a span to each call that does a request's work.
func (s *Server) apiStore() hiretrack.Store {
	if s.trace == nil {
		return s.store
	}
	return tracedStore{Store: s.store, tracer: s.trace.tracer}
}

// Store returns the server's store, for tests and tools that seed data.
func (s *Server) Store() *sqlstore.Store { return s.store }

// Done is closed with the serve error, nil after a clean Shutdown.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting requests, waits up to the shutdown timeout for
// those in flight and for running email jobs, and closes the database.
func (s *Server) Shutdown(ctx context.Context) error {
	s.logger.Info("server stopping")
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()

	httpErr := s.http.Shutdown(ctx)
	queueErr := s.queue.Stop(ctx)
	dbErr := s.db.Close()
	traceErr := s.trace.shutdown(ctx)
	if err := errors.Join(httpErr, queueErr, dbErr, traceErr); err != nil {
		s.logger.Error("server stopped with errors", "error", err)
		return err
	}
	s.logger.Info("server stopped")
	return nil
}
