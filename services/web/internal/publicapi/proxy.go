package publicapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

type ginContextKey struct{}

// newIngestProxy forwards requests to ingest. The client's address goes in
// X-Forwarded-For as gin worked it out, so it honours only the proxies the
// web trusts; whatever forwarding headers the client sent are dropped, as
// ingest believes them when they come from the web. With a signer the
// address is also signed (forward.AddrHeader and SigHeader), so that an
// ingest holding the same secret believes it without trusting the web's
// network; nil signs nothing, for an ingest that trusts the web by range.
func newIngestProxy(target *url.URL, signer *forward.Signer, log *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Rewrite has already removed the Forwarded and X-Forwarded-*
			// headers the client sent, but not Lapor's own: a client must
			// never pass on a signed address, even one it got elsewhere.
			pr.SetURL(target)
			pr.Out.Header.Del("X-Real-Ip")
			forward.Strip(pr.Out.Header)
			if c, ok := pr.In.Context().Value(ginContextKey{}).(*gin.Context); ok {
				if ip := c.ClientIP(); ip != "" {
					pr.Out.Header.Set("X-Forwarded-For", ip)
					// An address gin could not parse is left unsigned:
					// ingest then counts the report against the web,
					// which is safe, only coarse.
					if addr, err := netip.ParseAddr(ip); err == nil && signer != nil {
						signer.Set(pr.Out.Header, addr)
					}
				}
			}
			pr.Out.Header.Set("X-Forwarded-Host", pr.In.Host)
			proto := "http"
			if pr.In.TLS != nil {
				proto = "https"
			}
			pr.Out.Header.Set("X-Forwarded-Proto", proto)
		},
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client left
			}
			log.Warn("forward report to ingest", "err", err)
			c, ok := r.Context().Value(ginContextKey{}).(*gin.Context)
			if !ok {
				http.Error(w, "ingest unavailable", http.StatusServiceUnavailable)
				return
			}
			httpapi.AbortRetry(c, http.StatusServiceUnavailable, read.RetryAfter, "unavailable", "reports cannot be taken right now; try again shortly")
		},
	}
}

// HandleReport answers POST /api/v1/reports by handing the report to
// ingest: the pages post same-origin, and ingest answers.
func (a *API) HandleReport(c *gin.Context) {
	r := c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey{}, c))
	a.proxy.ServeHTTP(plainWriter{c.Writer}, r)
}

// plainWriter hides gin's CloseNotify, which ReverseProxy would call and
// which panics when the underlying writer lacks it; the proxy follows the
// request's context instead. Unwrap keeps flushing available.
type plainWriter struct{ w http.ResponseWriter }

func (p plainWriter) Header() http.Header         { return p.w.Header() }
func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p plainWriter) WriteHeader(status int)      { p.w.WriteHeader(status) }
func (p plainWriter) Unwrap() http.ResponseWriter { return p.w }
