package app

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/hiretrack/hiretrack/mail"
)

// bindEmail registers the email delivery flags. An environment variable
// that does not parse is reported by checkDB, as in bindDB.
func bindEmail(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	text := envOr(getenv, "email-max-attempts", strconv.Itoa(mail.MaxAttempts))
	attempts, err := strconv.Atoi(text)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_EMAIL_MAX_ATTEMPTS %q: it must be a whole number from 1 to %d", text, maxEmailAttempts)
	}
	fs.IntVar(&cfg.EmailMaxAttempts, "email-max-attempts", attempts,
		"how many times each email is tried before the timeline records email_failed; waits between tries grow from 1 s to hours (attempt^4 seconds)")
}

// maxEmailAttempts bounds --email-max-attempts. After 24 failures River's
// backoff already waits more than 3 days between attempts, so more attempts
// would only keep an invite of a dead address queued for weeks.
const maxEmailAttempts = 25

// checkEmail validates the email delivery settings.
func (c Config) checkEmail() error {
	if c.EmailMaxAttempts < 0 || c.EmailMaxAttempts > maxEmailAttempts {
		return fmt.Errorf("invalid --email-max-attempts %d: it must be from 1 to %d, or 0 for the default of %d",
			c.EmailMaxAttempts, maxEmailAttempts, mail.MaxAttempts)
	}
	return nil
}
