// Package clientaddr resolves, once per request, the address a report is
// counted for, so that the rate limiter, the reporter and network keys and
// the location all use the same one.
//
// The address is the one Lapor's web signed (package forward) when the
// signature verifies; otherwise the one gin resolves, which believes
// X-Forwarded-For only from configured trusted proxies (a load balancer in
// front of the ingest). Anything else the client sends is ignored.
package clientaddr

import (
	"net/netip"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/forward"
)

// ctxKey is the gin context key of the resolved address.
type ctxKey struct{}

// Middleware resolves the client's address and stores it for From. signer
// is nil when no forwarding secret is configured: then no signed address is
// believed. It must run before any handler that calls From.
func Middleware(signer *forward.Signer) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxKey{}, resolve(c, signer))
		c.Next()
	}
}

// From returns the address Middleware resolved. Without the middleware it
// resolves from the peer alone, as Middleware with no signer would, so a
// handler used on its own still gets an address gin would give.
func From(c *gin.Context) netip.Addr {
	if v, ok := c.Get(ctxKey{}); ok {
		if addr, ok := v.(netip.Addr); ok {
			return addr
		}
	}
	return resolve(c, nil)
}

// resolve returns the signed address when it verifies, else gin's client
// address. A missing or unparsable address (which TCP listeners never
// produce) comes back as the unspecified address, so such clients share one
// bucket rather than none.
func resolve(c *gin.Context, signer *forward.Signer) netip.Addr {
	if signer != nil {
		if addr, ok := signer.Addr(c.Request.Header); ok {
			return addr
		}
	}
	addr, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return addr.Unmap().WithZone("")
}
