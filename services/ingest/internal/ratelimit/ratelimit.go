// Package ratelimit limits how often one client, and one network, may
// report. Clients are the address package clientaddr resolved, limited per
// host (IPv4 address, IPv6 /64: one host usually holds a whole /64) and per
// network (IPv4 /24, IPv6 /48). The limiter's Redis keys are the keyed
// hashes of package reporter, so the store never holds an address.
package ratelimit

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/lapor/lapor/services/ingest/internal/clientaddr"
	"github.com/lapor/lapor/services/shared/httpapi"
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

// Limits holds the per-client and per-network limiters.
type Limits struct {
	ip, net *limiter.Limiter
	keys    Keyer
	log     *slog.Logger
	now     func() time.Time
}

// New returns Limits with the two rates over one store, keyed by keys.
func New(store limiter.Store, ipRate, netRate limiter.Rate, keys Keyer, log *slog.Logger) *Limits {
	return &Limits{
		ip:   limiter.New(store, ipRate),
		net:  limiter.New(store, netRate),
		keys: keys,
		log:  log,
		now:  time.Now,
	}
}

// Middleware counts the request against the client's and its network's
// limits. Over a limit it answers 429 rate_limited with Retry-After; when the
// store fails it answers 503 unavailable. A client over its own limit is not
// counted against its network, so one noisy address cannot lock out its
// neighbours on its own.
func (l *Limits) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		addr := clientaddr.From(c)
		ctx := c.Request.Context()
		now := l.now()

		ipCtx, err := l.ip.Get(ctx, IPKey(l.keys, now, addr))
		if err != nil {
			l.unavailable(c, err)
			return
		}
		if ipCtx.Reached {
			l.refuse(c, ipCtx)
			return
		}
		netCtx, err := l.net.Get(ctx, NetKey(l.keys, now, addr))
		if err != nil {
			l.unavailable(c, err)
			return
		}
		if netCtx.Reached {
			l.refuse(c, netCtx)
			return
		}
		// Tell the client about whichever limit it is closer to.
		tight := ipCtx
		if netCtx.Remaining < ipCtx.Remaining {
			tight = netCtx
		}
		l.headers(c, tight)
		c.Next()
	}
}

func (l *Limits) headers(c *gin.Context, lc limiter.Context) {
	c.Header("X-RateLimit-Limit", strconv.FormatInt(lc.Limit, 10))
	c.Header("X-RateLimit-Remaining", strconv.FormatInt(lc.Remaining, 10))
	c.Header("X-RateLimit-Reset", strconv.FormatInt(lc.Reset, 10))
}

func (l *Limits) refuse(c *gin.Context, lc limiter.Context) {
	l.headers(c, lc)
	wait := time.Unix(lc.Reset, 0).Sub(l.now())
	httpapi.AbortRetry(c, http.StatusTooManyRequests, wait, "rate_limited", "too many reports from your address or network; retry later")
}

func (l *Limits) unavailable(c *gin.Context, err error) {
	httpapi.Unavailable(c, l.log, unavailableRetry, "rate limiter store failed", err)
}
