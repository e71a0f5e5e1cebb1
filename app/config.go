package app

import (
	"flag"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack/mail"
	"github.com/hiretrack/hiretrack/sqlstore"
	"github.com/hiretrack/hiretrack/webhook"
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

	// RateLimit is how many requests per second each API key may send after
	// a burst of RateBurst requests. Either being 0 disables rate limiting,
	// which is what the zero Config does; the serve flags default to
	// DefaultRateLimit and DefaultRateBurst.
	RateLimit float64
	RateBurst int

	// EmailMaxAttempts is how many times each email is tried before it is
	// recorded as email_failed, and 0 means mail.MaxAttempts. EmailRetryDelay
	// replaces River's backoff when set. It has no flag, because only tests
	// set it.
	EmailMaxAttempts int
	EmailRetryDelay  mail.RetryDelay

	// EmailTimeout bounds one attempt to send an email, and 0 means
	// DefaultEmailTimeout. A job left running by a process that died is
	// run again once it has been running for twice this long.
	EmailTimeout time.Duration

	// ApplyRateLimit is how many open application link submissions each
	// client address may send per hour; 0 disables the limit. ClientIPHeader
	// names the header, such as X-Forwarded-For, from which a trusted proxy
	// passes the client address; empty uses the connection's address.
	ApplyRateLimit int
	ClientIPHeader string

	// WebhookAllowPrivate lets webhooks reach loopback and private
	// addresses; WebhookTimeout bounds one webhook request
	// (DefaultWebhookTimeout when 0).
	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration

	// WebhookSchedule replaces webhook.DefaultSchedule. It has no flag:
	// tests set it so that retries take milliseconds instead of a day.
	WebhookSchedule *webhook.Schedule

	// Tracing selects OpenTelemetry tracing. It has no flag: serve reads it
	// from the standard OTEL_* variables with TracingFromEnv.
	Tracing TracingConfig

	// Now is the clock of the store and of the rate limiter, time.Now when
	// nil. It has no flag, because only tests set it, to move past the
	// expiry of invite links or to refill rate limits without sleeping.
	Now func() time.Time

	// envError is an environment variable that bindDB or bindRateLimit
	// could not parse, reported by checkDB.
	envError error
}

// The default rate limit of each API key: 40 requests at once, then 20 per
// second.
//
// NOTE: these values are a starting point, not derived from a measurement of
// the server's capacity. Raise them for integrations that sync in bulk.
const (
	DefaultRateLimit = 20
	DefaultRateBurst = 40
)

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
	bindRateLimit(fs, cfg, getenv)
	bindEmail(fs, cfg, getenv)
	bindApply(fs, cfg, getenv)
	bindWebhooks(fs, cfg, getenv)
}

// DefaultApplyRateLimit is the default number of open application link
// submissions per hour and client address.
//
// NOTE: a starting point that lets a shared office network through while
// slowing a script; raise it when many applicants share one address.
const DefaultApplyRateLimit = 10

// bindApply registers the flags of the open application link.
func bindApply(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	text := envOr(getenv, "apply-rate-limit", strconv.Itoa(DefaultApplyRateLimit))
	perHour, err := strconv.Atoi(text)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_APPLY_RATE_LIMIT %q: it must be a whole number of submissions per hour, 0 or more", text)
	}
	fs.IntVar(&cfg.ApplyRateLimit, "apply-rate-limit", perHour,
		"open application link submissions per hour that each client address may send; 0 disables the limit")
	fs.StringVar(&cfg.ClientIPHeader, "client-ip-header", envOr(getenv, "client-ip-header", ""),
		"header from which a trusted reverse proxy passes the client address, such as X-Forwarded-For; the last address in it counts (default: the connection's address)")
}

// bindRateLimit registers the rate limit flags. An environment variable
// that does not parse is reported by checkDB, as in bindDB.
func bindRateLimit(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	limitText := envOr(getenv, "rate-limit", strconv.Itoa(DefaultRateLimit))
	limit, err := strconv.ParseFloat(limitText, 64)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_RATE_LIMIT %q: it must be a number of requests per second, 0 or more", limitText)
	}
	fs.Float64Var(&cfg.RateLimit, "rate-limit", limit,
		"requests per second that each API key may send after its burst; 0 disables rate limiting. The limit is per server process")

	burstText := envOr(getenv, "rate-burst", strconv.Itoa(DefaultRateBurst))
	burst, err := strconv.Atoi(burstText)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_RATE_BURST %q: it must be a whole number of requests, 0 or more", burstText)
	}
	fs.IntVar(&cfg.RateBurst, "rate-burst", burst,
		"requests that each API key may send at once before --rate-limit applies; 0 disables rate limiting")
}

// bindWebhooks registers the webhook flags. An environment variable that
// does not parse is reported by checkDB, as in bindDB.
func bindWebhooks(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	allowText := envOr(getenv, "webhook-allow-private", "false")
	allow, err := strconv.ParseBool(allowText)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_WEBHOOK_ALLOW_PRIVATE %q: it must be true or false", allowText)
	}
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", allow,
		"let webhook URLs reach loopback and private addresses, for development or receivers on the operator's own network")

	timeoutText := envOr(getenv, "webhook-timeout", DefaultWebhookTimeout.String())
	timeout, err := time.ParseDuration(timeoutText)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_WEBHOOK_TIMEOUT %q: it must be a duration such as 10s", timeoutText)
	}
	fs.DurationVar(&cfg.WebhookTimeout, "webhook-timeout", timeout, "how long a webhook receiver has to answer one request")
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
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		return fmt.Errorf("invalid --rate-limit %v: it must be a finite number of requests per second, 0 or more", c.RateLimit)
	}
	if c.WebhookTimeout < 0 {
		return fmt.Errorf("invalid --webhook-timeout %s: it must not be negative; 0 means the default of %s", c.WebhookTimeout, DefaultWebhookTimeout)
	}
	if c.RateBurst < 0 {
		return fmt.Errorf("invalid --rate-burst %d: it must be 0 or more", c.RateBurst)
	}
	if c.ApplyRateLimit < 0 {
		return fmt.Errorf("invalid --apply-rate-limit %d: it must be 0 or more", c.ApplyRateLimit)
	}
	return c.checkEmail()
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
