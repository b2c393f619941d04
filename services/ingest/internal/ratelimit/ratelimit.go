// Package ratelimit limits how often one client, and one network, may
// report. Clients are the address package clientaddr resolved, limited per
// host (IPv4 address, IPv6 /64: one host usually holds a whole /64) and per
// network (IPv4 /24, IPv6 /48). The limits' Redis keys are the keyed
// hashes of package reporter, so Redis never holds an address.
package ratelimit

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/redis"
)

// unavailableRetry is what clients are told to wait when the limiter's
// store cannot be reached.
const unavailableRetry = 2 * time.Second

// Keyer names a client's host and network without revealing them;
// *reporter.Keyer is one. Keys may change daily: a client then gets a fresh
// budget once a day at worst.
type Keyer interface {
	Key(at time.Time, addr netip.Addr) string
	Network(at time.Time, addr netip.Addr) string
}

// IPKey is the per-client limiter key: the host's keyed hash.
func IPKey(k Keyer, at time.Time, addr netip.Addr) string { return "ip:" + k.Key(at, addr) }

// NetKey is the per-network limiter key: the network's keyed hash.
func NetKey(k Keyer, at time.Time, addr netip.Addr) string { return "net:" + k.Network(at, addr) }

// Limits holds the per-client and per-network rates. It names what a
// request is charged (Check), and answers by what Redis said
// (redis.Appender.Ingest counts both limits of a request in one script,
// with ulule/limiter's semantics: fixed windows, its limiter.Context).
type Limits struct {
	ip, net limiter.Rate
	keys    Keyer
	log     *slog.Logger
	now     func() time.Time
}

// New returns Limits with the two rates, keyed by keys.
func New(ipRate, netRate limiter.Rate, keys Keyer, log *slog.Logger) *Limits {
	return &Limits{ip: ipRate, net: netRate, keys: keys, log: log, now: time.Now}
}

// Check is what a request from addr is charged: one against the client's
// limit and, unless the client is over it, one against its network's, so
// that one noisy address cannot lock out its neighbours on its own.
func (l *Limits) Check(addr netip.Addr) redis.LimitCheck {
	now := l.now()
	return redis.LimitCheck{
		Prefix:      redis.RateLimitPrefix,
		Host:        IPKey(l.keys, now, addr),
		Network:     NetKey(l.keys, now, addr),
		HostRate:    l.ip,
		NetworkRate: l.net,
	}
}

// Allow tells the client, in X-RateLimit-* headers, about the limit it is
// closest to, and reports whether r lets the request through; when it does
// not, it has answered 429 rate_limited with Retry-After.
func (l *Limits) Allow(c *gin.Context, r redis.LimitResult) bool {
	lc := r.Binding()
	l.headers(c, lc)
	if !r.Reached() {
		return true
	}
	wait := time.Unix(lc.Reset, 0).Sub(l.now())
	httpapi.AbortRetry(c, http.StatusTooManyRequests, wait, "rate_limited", "too many reports from your address or network; retry later")
	return false
}

// Unavailable answers 503 unavailable for limits that could not be
// checked.
func (l *Limits) Unavailable(c *gin.Context, err error) {
	httpapi.Unavailable(c, l.log, unavailableRetry, "rate limiter store failed", err)
}

func (l *Limits) headers(c *gin.Context, lc limiter.Context) {
	c.Header("X-RateLimit-Limit", strconv.FormatInt(lc.Limit, 10))
	c.Header("X-RateLimit-Remaining", strconv.FormatInt(lc.Remaining, 10))
	c.Header("X-RateLimit-Reset", strconv.FormatInt(lc.Reset, 10))
}
