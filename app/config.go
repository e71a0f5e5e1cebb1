package app

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack/sqlstore"
)

// Config is the server's configuration. Each field but Now has a flag, and
// an environment variable HIRETRACK_<FLAG NAME> used when the flag is not given.
type Config struct {
	Addr            string
	DB              string
	DBMaxConns      int // PostgreSQL pool size; 0 means sqlstore.DefaultMaxConns
	PublicURL       string
	SMTPURL         string
	SMTPFrom        string
	DataDir         string
	SecretKey       string
	ShutdownTimeout time.Duration

	// Now is the store's clock, time.Now when nil. It has no flag, because
	// only tests set it, to move past the expiry of invite links.
	Now func() time.Time

	// envError is an environment variable that bindDB could not parse,
	// reported by checkDB.
	envError error
}

// bindServe registers the serve flags on fs with defaults taken from the environment.
func bindServe(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, envOr(getenv, name, def), usage)
	}
	str(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on, host:port")
	bindDB(fs, cfg, getenv)
	str(&cfg.PublicURL, "public-url", "", "base URL of invite links (default http://<addr>)")
	str(&cfg.SMTPURL, "smtp-url", "", "SMTP server, smtp://user:pass@host:port or smtps://...; when empty, emails are written as .eml files under <data-dir>/mail")
	str(&cfg.SMTPFrom, "smtp-from", "hiretrack <no-reply@localhost>", "From address of emails")
	str(&cfg.SecretKey, "secret-key", "", "server key sealing invite tokens, 64 hex characters (default: read or created in <data-dir>/secret.key)")

	timeout, err := time.ParseDuration(envOr(getenv, "shutdown-timeout", "30s"))
	if err != nil {
		timeout = 30 * time.Second
	}
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", timeout, "how long a shutdown waits for requests in flight")
}

// bindDB registers the flags shared by every command that opens the database.
func bindDB(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	fs.StringVar(&cfg.DB, "db", envOr(getenv, "db", "hiretrack.db"),
		"database: a PostgreSQL URL postgres://user:pass@host:port/name?sslmode=..., or else the path of a SQLite file")
	text := envOr(getenv, "db-max-conns", strconv.Itoa(sqlstore.DefaultMaxConns))
	maxConns, err := strconv.Atoi(text)
	if err != nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_DB_MAX_CONNS %q: it must be a whole number of at least 2", text)
	}
	fs.IntVar(&cfg.DBMaxConns, "db-max-conns", maxConns,
		"maximum number of open PostgreSQL connections of this server, at least 2 (ignored for SQLite)")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr(getenv, "data-dir", "hiretrack-data"),
		"folder for the server key and, without --smtp-url, outgoing .eml files")
}

// envOr returns HIRETRACK_<NAME> (dashes become underscores) or def.
func envOr(getenv func(string) string, name, def string) string {
	key := "HIRETRACK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// check validates the settings that can be checked before start.
func (c Config) check() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("invalid --public-url %q: it must be an absolute http or https URL", c.PublicURL)
		}
	}
	if err := c.checkDB(); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout must be positive, got %s", c.ShutdownTimeout)
	}
	return nil
}

// checkDB validates the database settings, which every command uses.
func (c Config) checkDB() error {
	if c.envError != nil {
		return c.envError
	}
	if c.DB == "" {
		return fmt.Errorf("--db must not be empty")
	}
	if c.DBMaxConns != 0 && c.DBMaxConns < 2 {
		return fmt.Errorf("invalid --db-max-conns %d: it must be at least 2", c.DBMaxConns)
	}
	return nil
}
