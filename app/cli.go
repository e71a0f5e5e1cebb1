package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hiretrack/hiretrack/sqlstore"
)

const usage = `hiretrack is a hiring-pipeline API server.

Usage:
  hiretrack serve [flags]                          run the server
  hiretrack keys create --company NAME [--scopes read,write,admin] [--name NAME] [--db DB]
                                                   create an API key; the key is the last line of output
  hiretrack keys list --company NAME [--db DB]     list a company's keys, revoked ones included
  hiretrack keys revoke --company NAME [--db DB] ID
                                                   revoke a key of the company; it fails from the next request on
  hiretrack demo [--db DB] [--public-url URL]      load the example track and candidates
  hiretrack config [--config FILE] [serve flags]   print the effective configuration, secrets masked

Client commands, which call a running server with an API key:
  hiretrack tracks list                            list the tracks and their stages
  hiretrack invite --track ID --csv FILE [--sendlink]
                                                   invite the candidates of a CSV (columns name,email)
  hiretrack advance --track ID --application ID [--sendlink]
                                                   advance an application to the next stage
  They take --url (default http://127.0.0.1:8080) and --api-key, or
  HIRETRACK_URL and HIRETRACK_API_KEY.

Scopes: read allows the GET requests of the API, write its POST, PUT, PATCH
and DELETE requests, and admin the key endpoints under /api-keys, the
webhook endpoints under /webhooks, candidate erasure and export under
/candidates, and the audit log.

Run "hiretrack COMMAND -h" for the flags of a command. Every flag can also
be set with the environment variable HIRETRACK_<FLAG>, such as HIRETRACK_DB,
or in the TOML file of --config (default: $HIRETRACK_CONFIG, else
./hiretrack.toml when it exists). Flags win over the environment, and the
environment over the file. DB is the path of a SQLite file or a postgres:// URL.
`

// errUsage marks errors whose message is already the full explanation.
var errUsage = errors.New("usage")

// unknownCommandError names a command that does not exist; the usage follows it.
type unknownCommandError struct{ name string }

func (e unknownCommandError) Error() string { return fmt.Sprintf("unknown command %q", e.name) }

// Run runs the command line and returns the process exit code. ctx ends
// the serve command; getenv reads the environment.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	err := dispatch(ctx, args, stdout, stderr, getenv, logger)
	var unknown unknownCommandError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &unknown):
		fmt.Fprintf(stderr, "hiretrack: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage)
		return 2
	}
	// The server logs as JSON, but a failed command reports its error in plain text.
	fmt.Fprintf(stderr, "hiretrack: %v\n", err)
	return 1
}

// toolLogger is the logger of the one-shot commands: it shows warnings and
// errors only, so migration progress does not bury the command's output.
func toolLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serveCommand(ctx, args[1:], stderr, getenv, logger)
	case "keys":
		return keysCommand(ctx, args[1:], stdout, stderr, getenv, toolLogger(stderr))
	case "demo":
		return demoCommand(ctx, args[1:], stdout, stderr, getenv, toolLogger(stderr))
	case "config":
		return configCommand(args[1:], stdout, stderr, getenv)
	case "tracks":
		return tracksCommand(ctx, args[1:], stdout, stderr, getenv)
	case "invite":
		return inviteCommand(ctx, args[1:], stdout, stderr, getenv)
	case "advance":
		return advanceCommand(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return unknownCommandError{name: args[0]}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hiretrack "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// serveCommand runs the server until ctx ends, then shuts it down gracefully.
func serveCommand(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("serve", stderr)
	bindServe(fs, &cfg, getenv)
	set, err := parseSettings(fs, args, getenv, "")
	if err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return set.explain(err)
	}
	if cfg.Tracing, err = TracingFromEnv(getenv); err != nil {
		return err
	}

	srv, err := Start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-srv.Done():
		return fmt.Errorf("serve HTTP: %w", err)
	}
	return srv.Shutdown(context.WithoutCancel(ctx))
}

// openMigrated opens the database of cfg and applies its migrations.
func openMigrated(ctx context.Context, cfg Config, logger *slog.Logger) (*sqlstore.DB, error) {
	if err := cfg.checkDB(); err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(cfg.DB, sqlstore.Options{MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, logger); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
