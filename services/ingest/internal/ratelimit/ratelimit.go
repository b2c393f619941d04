// Package ratelimit limits how often one client, and one network, may
// report. Clients are keyed by the address gin resolves (which honours
// forwarding headers only from configured trusted proxies); IPv6 clients
// are keyed by their /64, since one host usually holds a whole /64.
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
)

// Prefix lengths of the two limits.
const (
	ipBitsV4  = 32
	ipBitsV6  = 64
	netBitsV4 = 24
	netBitsV6 = 48
)

// unavailableRetry is what clients are told to wait when the limiter's
// store cannot be reached.
const unavailableRetry = 2 * time.Second

// ClientAddr returns the client's address as gin resolves it. A missing or
// unparsable address (which TCP listeners never produce) comes back as the
// unspecified address, so such clients share one bucket rather than none.
func ClientAddr(c *gin.Context) netip.Addr {
	addr, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return addr.Unmap().WithZone("")
}

// IPKey is the per-client limiter key: the IPv4 address, or the IPv6 /64.
func IPKey(addr netip.Addr) string {
	return "ip:" + block(addr, ipBitsV4, ipBitsV6)
}

// NetKey is the per-network limiter key: the IPv4 /24, or the IPv6 /48.
func NetKey(addr netip.Addr) string {
	return "net:" + block(addr, netBitsV4, netBitsV6)
}

func block(addr netip.Addr, v4, v6 int) string {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return "invalid"
	}
	bits := v6
	if addr.Is4() {
		bits = v4
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return "invalid"
	}
	return p.String()
}

// Limits holds the per-client and per-network limiters.
type Limits struct {
	ip, net *limiter.Limiter
	log     *slog.Logger
	now     func() time.Time
}

// New returns Limits with the two rates over one store.
func New(store limiter.Store, ipRate, netRate limiter.Rate, log *slog.Logger) *Limits {
	return &Limits{
		ip:  limiter.New(store, ipRate),
		net: limiter.New(store, netRate),
		log: log,
		now: time.Now,
	}
}

// Middleware counts the request against the client's and its network's
// limits. Over a limit it answers 429 rate_limited with Retry-After; when the
// store fails it answers 503 unavailable. A client over its own limit is not
// counted against its network, so one noisy address cannot lock out its
// neighbours on its own.
func (l *Limits) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		addr := ClientAddr(c)
		ctx := c.Request.Context()

		ipCtx, err := l.ip.Get(ctx, IPKey(addr))
		if err != nil {
			l.unavailable(c, err)
			return
		}
		if ipCtx.Reached {
			l.refuse(c, ipCtx)
			return
		}
		netCtx, err := l.net.Get(ctx, NetKey(addr))
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
