// Package api is the web service's public read API: services and their
// status, report series against the baseline, incidents, and a same-origin
// proxy that hands reports to ingest.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// DefaultCacheTTL is how long the services' status is reused between
// queries; the pages poll every few seconds.
const DefaultCacheTTL = 2 * time.Second

// Options are what the API needs to run.
type Options struct {
	Log            *slog.Logger
	Conn           driver.Conn
	Catalog        *catalog.Catalog
	IngestURL      *url.URL // where POST /api/v1/reports goes
	TrustedProxies []string // proxies whose client-address headers are believed
	CacheTTL       time.Duration
	Now            func() time.Time // the clock; time.Now when nil
}

// Server holds the API's dependencies.
type Server struct {
	log     *slog.Logger
	store   *Store
	catalog *catalog.Catalog
	now     func() time.Time
	status  *Cache[snapshot]
	proxy   *httputil.ReverseProxy
}

// NewHandler returns the web's HTTP handler.
func NewHandler(o Options) (http.Handler, error) {
	if o.Log == nil || o.Conn == nil || o.Catalog == nil || o.IngestURL == nil {
		return nil, errors.New("api: log, conn, catalog and ingest URL are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		log:     o.Log,
		store:   NewStore(o.Conn),
		catalog: o.Catalog,
		now:     o.Now,
		status:  NewCache[snapshot](o.CacheTTL, o.Now),
		proxy:   newIngestProxy(o.IngestURL, o.Log),
	}
	r, err := httpapi.NewEngine(o.Log, o.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("build web engine: %w", err)
	}
	s.routes(r)
	return r, nil
}
