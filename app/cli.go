package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

const usage = `hiretrack is a hiring-pipeline API server.

Usage:
  hiretrack serve [flags]                          run the server
  hiretrack keys create --company NAME [--db DB]   create an API key; the key is the last line of output
  hiretrack demo [--db DB] [--public-url URL]      load the example track and candidates

Run "hiretrack COMMAND -h" for the flags of a command. Every flag can also
be set with the environment variable HIRETRACK_<FLAG>, such as HIRETRACK_DB.
DB is the path of a SQLite file or a postgres:// URL.
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
	// The server logs as JSON; a command that fails says so in plain text.
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
		if len(args) < 2 || args[1] != "create" {
			return unknownCommandError{name: strings.Join(args[:min(len(args), 2)], " ")}
		}
		return keysCreateCommand(ctx, args[2:], stdout, stderr, getenv, toolLogger(stderr))
	case "demo":
		return demoCommand(ctx, args[1:], stdout, stderr, getenv, toolLogger(stderr))
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
	if err := fs.Parse(args); err != nil {
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

// keysCreateCommand creates a company when needed and prints a new key.
func keysCreateCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("keys create", stderr)
	bindDB(fs, &cfg, getenv)
	company := fs.String("company", "", "name of the company the key acts for; created when it does not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*company) == "" {
		return fmt.Errorf("--company is required: name the company the key acts for")
	}

	db, err := openMigrated(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	key, stored, err := secret.NewAPIKey()
	if err != nil {
		return err
	}
	p, err := sqlstore.NewStore(db, nil, nil, logger).CreateAPIKey(ctx, strings.TrimSpace(*company), stored)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created API key %s for company %q (id %d). It is shown only this once:\n%s\n",
		p.KeyPrefix, *company, p.CompanyID, key)
	return nil
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
