package webhook

import (
	"time"

	"github.com/lapor/lapor/services/shared/config"
)

// Config is the web service's webhook settings.
type Config struct {
	AllowPrivate bool          // accept and deliver to private, loopback and link-local addresses
	Dispatch     bool          // run the dispatcher in this process
	Timeout      time.Duration // per delivery attempt
	Retry        Retry
}

// Bind binds the settings to flags (and their LAPOR_ variables) with the
// production defaults.
func (c *Config) Bind(l *config.Loader) {
	def := DefaultRetry()
	l.Bool(&c.AllowPrivate, "webhook-allow-private", false, "let webhook URLs point at private, loopback and link-local addresses (tests and closed networks only)")
	l.Bool(&c.Dispatch, "webhook-dispatch", true, "run the webhook dispatcher (one replica delivers at a time, by a Redis lease)")
	l.Duration(&c.Timeout, "webhook-timeout", DefaultTimeout, "how long a webhook receiver has to answer one delivery attempt")
	l.Duration(&c.Retry.Base, "webhook-retry-base", def.Base, "longest wait before the first webhook retry (exponential backoff with full jitter)")
	l.Duration(&c.Retry.Cap, "webhook-retry-cap", def.Cap, "longest wait between webhook retries")
	l.Int(&c.Retry.MaxAttempts, "webhook-max-attempts", def.MaxAttempts, "attempts per event, the first included, before it is dead-lettered")
	c.Retry.Factor = def.Factor
}
