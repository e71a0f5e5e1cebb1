package app

import (
	"flag"
	"fmt"
	"strconv"
	"time"

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

	text = envOr(getenv, "email-timeout", DefaultEmailTimeout.String())
	timeout, err := time.ParseDuration(text)
	if err != nil && cfg.envError == nil {
		cfg.envError = fmt.Errorf("invalid HIRETRACK_EMAIL_TIMEOUT %q: it must be a duration such as 1m or 30s", text)
	}
	fs.DurationVar(&cfg.EmailTimeout, "email-timeout", timeout,
		"how long one attempt to send an email may take; an email whose server died while sending it is tried again after twice this")
}

// DefaultEmailTimeout bounds one attempt to send an email. The SMTP sender
// gives up on connecting, and on each SMTP command, after mail.SendTimeout
// (15 s), so a minute leaves room for a slow server. An email interrupted by
// a crash is then sent again about 2 to 3 minutes later, instead of after
// River's default of one hour.
const DefaultEmailTimeout = time.Minute

// maxEmailAttempts bounds --email-max-attempts. After 24 failures River's
// backoff already waits more than 3 days between attempts, so more attempts
// would only keep an invite of a dead address queued for weeks.
const maxEmailAttempts = 25

// checkEmail validates the email delivery settings.
func (c Config) checkEmail() error {
	if c.EmailTimeout < 0 {
		return fmt.Errorf("invalid --email-timeout %s: it must be positive", c.EmailTimeout)
	}
	if c.EmailMaxAttempts < 0 || c.EmailMaxAttempts > maxEmailAttempts {
		return fmt.Errorf("invalid --email-max-attempts %d: it must be from 1 to %d, or 0 for the default of %d",
			c.EmailMaxAttempts, maxEmailAttempts, mail.MaxAttempts)
	}
	return nil
}
