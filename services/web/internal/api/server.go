// Package api is the web service's HTTP side: the public read API
// (services and their status, report series against the detector's expected counts as JSON,
// CSV and PNG, sparklines, reports by country, incidents), a same-origin
// proxy that hands reports to ingest, and the frontend's pages.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/stream"
	"github.com/lapor/lapor/services/web/internal/partner"
	"github.com/lapor/lapor/services/web/internal/ui"
	"github.com/lapor/lapor/services/web/internal/webhook"
)

// DefaultCacheTTL is how long the services' status is reused between
// queries; the pages poll every few seconds.
const DefaultCacheTTL = 2 * time.Second

// Options are what the API needs to run.
type Options struct {
	Log            *slog.Logger
	Store          PageStorage // clickhouse.PageStore
	Catalog        *catalog.Catalog
	IngestURL      *url.URL // where POST /api/v1/reports goes
	TrustedProxies []string // proxies whose client-address headers are believed
	CacheTTL       time.Duration
	Now            func() time.Time // the clock; time.Now when nil
	// UI is the frontend build the pages come from; nil serves the one
	// embedded in the binary.
	UI *ui.UI
	// PublicURL is the scheme and host that absolute links in pages (og:url,
	// og:image) and feeds use; without it pages leave those tags out and
	// feeds link relatively, as the request's Host is the client's to
	// choose.
	PublicURL string
	// Partner turns on the partner API under /v1 (Alerts, Auth, Shutdown
	// and Heartbeat are read; the rest comes from these options); nil
	// leaves it off.
	Partner *partner.Options
	// Webhooks serves the partner's webhook subscriptions under /v1; it
	// is used only with Partner. Its Owner is set to the partner key.
	Webhooks *webhook.API
	// Redis is where the web learns which reports are not written yet, so
	// that it can say which buckets are final (finalBefore); nil judges
	// by time alone.
	Redis redis.Cmdable
	// ReportStreams are the report streams whose backlog finalBefore
	// reads; empty means stream.Reports alone.
	ReportStreams []string
	// Forward signs the client address that reports are forwarded to
	// ingest with, so an ingest holding the same secret believes it
	// without trusting any network; nil sends X-Forwarded-For alone.
	Forward *forward.Signer
}

// Server holds the API's dependencies.
type Server struct {
	log     *slog.Logger
	store   *Store
	catalog *catalog.Catalog
	now     func() time.Time
	status  *Cache[snapshot]
	proxy   *httputil.ReverseProxy

	sparklines *Caches[sparklinesJSON]
	countries  *Caches[countriesJSON]
	series     *Caches[[]Point] // series points, by range
	charts     *Caches[[]byte]  // rendered chart PNGs
	sitemap    *Cache[[]byte]   // sitemap.xml, which lists incidents
	ui         *ui.UI
	publicURL  string
	partner    *partner.API // nil when the partner API is off
	webhooks   *webhook.API // nil when webhooks are off

	rdb     redis.Cmdable     // nil without Redis
	streams []string          // the report streams (Options.ReportStreams)
	final   *Cache[time.Time] // finalBefore, shared for a moment

	// For readers' comments and "Is it just me?" (comments.go, recent.go).
	comments *Caches[commentsJSON] // visible comments, by service
	recent   *Caches[recentJSON]   // the last 15 minutes' counts, by service and country
}

// NewHandler returns the web's HTTP handler.
func NewHandler(o Options) (http.Handler, error) {
	if o.Log == nil || o.Store == nil || o.Catalog == nil || o.IngestURL == nil {
		return nil, errors.New("api: log, store, catalog and ingest URL are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.ReportStreams) == 0 {
		o.ReportStreams = []string{stream.Reports}
	}
	if o.UI == nil {
		fsys, err := ui.Dist()
		if err != nil {
			return nil, err
		}
		if o.UI, err = ui.New(fsys); err != nil {
			return nil, fmt.Errorf("load the embedded frontend: %w", err)
		}
	}
	s := &Server{
		log:     o.Log,
		store:   NewStore(o.Store),
		catalog: o.Catalog,
		now:     o.Now,
		status:  NewCache[snapshot](o.CacheTTL, o.Now),
		proxy:   newIngestProxy(o.IngestURL, o.Forward, o.Log),

		sparklines: NewCaches[sparklinesJSON](shortCacheTTL, o.Now, maxCachedQueries),
		countries:  NewCaches[countriesJSON](shortCacheTTL, o.Now, maxCachedQueries),
		series:     NewCaches[[]Point](shortCacheTTL, o.Now, maxCachedQueries),
		charts:     NewCaches[[]byte](chartCacheTTL, o.Now, maxCachedQueries),
		sitemap:    NewCache[[]byte](sitemapCacheTTL, o.Now),
		comments:   NewCaches[commentsJSON](shortCacheTTL, o.Now, maxCachedQueries),
		recent:     NewCaches[recentJSON](shortCacheTTL, o.Now, maxCachedQueries),
		ui:         o.UI,
		publicURL:  strings.TrimRight(o.PublicURL, "/"),
		rdb:        o.Redis,
		streams:    o.ReportStreams,
		final:      NewCache[time.Time](time.Second, o.Now),
	}
	if s.publicURL == "" {
		o.Log.Warn("public-url is not set: pages carry no og:url or og:image and feeds link relatively; set it to the site's scheme and host")
	}
	r, err := httpapi.NewEngine(o.Log, o.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("build web engine: %w", err)
	}
	if s.partner, err = s.newPartner(o); err != nil {
		return nil, fmt.Errorf("build partner API: %w", err)
	}
	if s.partner != nil && o.Webhooks != nil {
		s.webhooks = o.Webhooks
		s.webhooks.Owner = partner.KeyID
	}
	s.routes(r)
	return r, nil
}
