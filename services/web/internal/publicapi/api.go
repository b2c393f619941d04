// Package publicapi is the web's public read API under /api/v1, for the
// frontend and anyone who reads Lapor's numbers without a key: services
// and their status, a service's report series against the detector's
// expected counts (JSON and CSV), sparklines, reports by country,
// readers' comments, "Is it just me?" counts and incidents; and the
// same-origin proxy that hands readers' reports to ingest. Its JSON is
// the contract in api/openapi.yaml. It exposes handlers; the web's routes
// are registered in package server.
package publicapi

import (
	"errors"
	"log/slog"
	"net/http/httputil"
	"net/url"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// Limits on query parameters.
const (
	DefaultLimit    = 50
	MaxLimit        = read.MaxIncidents
	DefaultComments = 20
	maxQueryLength  = 100
)

const cacheControl = "public, max-age=5"

var countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)

// Options are what the public API needs.
type Options struct {
	Log       *slog.Logger
	Read      *read.Reader
	Catalog   *catalog.Catalog
	Now       func() time.Time // the clock; time.Now when nil
	IngestURL *url.URL         // where POST /api/v1/reports goes
	// Forward signs the client address that reports are forwarded to
	// ingest with, so an ingest holding the same secret believes it
	// without trusting any network; nil sends X-Forwarded-For alone.
	Forward *forward.Signer
}

// API serves the public read API.
type API struct {
	log     *slog.Logger
	read    *read.Reader
	catalog *catalog.Catalog
	now     func() time.Time
	proxy   *httputil.ReverseProxy

	// Answers shared for a few seconds, by query.
	sparklines *read.Caches[sparklinesJSON]
	countries  *read.Caches[countriesJSON]
	comments   *read.Caches[commentsJSON] // visible comments, by service
	recent     *read.Caches[recentJSON]   // the last 15 minutes' counts, by service and country
}

// New returns the public API.
func New(o Options) (*API, error) {
	if o.Log == nil || o.Read == nil || o.Catalog == nil || o.IngestURL == nil {
		return nil, errors.New("publicapi: log, reader, catalog and ingest URL are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Read.CacheConfig(read.CacheTTL)
	return &API{
		log: o.Log, read: o.Read, catalog: o.Catalog, now: o.Now,
		proxy:      newIngestProxy(o.IngestURL, o.Forward, o.Log),
		sparklines: read.NewCaches[sparklinesJSON](cfg),
		countries:  read.NewCaches[countriesJSON](cfg),
		comments:   read.NewCaches[commentsJSON](cfg),
		recent:     read.NewCaches[recentJSON](cfg),
	}, nil
}

// storeError answers a failed read: 503 with Retry-After, as the store is
// what failed, not the request.
func (a *API) storeError(c *gin.Context, what string, err error) {
	httpapi.Unavailable(c, a.log, read.RetryAfter, what, err)
}
