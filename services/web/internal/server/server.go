// Package server builds the web's one HTTP handler from its three
// audiences, which never call one another: the pages (package pages),
// the public read API (package publicapi) and the partner API with its
// webhooks (packages partner and webhook). All of them read through one
// read.Reader, so they count alike and share its caches. Every route of
// the web is registered in routes.go.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/pages"
	"github.com/lapor/lapor/services/web/internal/partner"
	"github.com/lapor/lapor/services/web/internal/publicapi"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/ui"
	"github.com/lapor/lapor/services/web/internal/webhook"
)

// Options are what the web needs to run.
type Options struct {
	Log            *slog.Logger
	Store          read.PageStorage // clickhouse.PageStore
	Catalog        *catalog.Catalog
	IngestURL      *url.URL // where POST /api/v1/reports goes
	TrustedProxies []string // proxies whose client-address headers are believed
	// CacheTTL is how long the services' status is reused
	// (read.DefaultStatusTTL in production; zero reads it every time).
	CacheTTL time.Duration
	Now      func() time.Time // the clock; time.Now when nil
	// UI is the frontend build the pages come from; nil serves the one
	// embedded in the binary.
	UI *ui.UI
	// PublicURL is the scheme and host that absolute links in pages (og:url,
	// og:image) and feeds use; without it pages leave those tags out and
	// feeds link relatively, as the request's Host is the client's to
	// choose.
	PublicURL string
	// Partner turns on the partner API under /v1 (Alerts, Auth, Shutdown,
	// Heartbeat and Streams are read; the rest comes from these options);
	// nil leaves it off.
	Partner *partner.Options
	// Webhooks serves the partner's webhook subscriptions under /v1; it
	// is used only with Partner. Its Owner is set to the partner key.
	Webhooks *webhook.API
	// Backlog is where the web learns which reports are not written yet
	// (redis.Backlog), so that it can say which buckets are final; nil
	// judges by time alone.
	Backlog read.Backlog
	// Forward signs the client address that reports are forwarded to
	// ingest with, so an ingest holding the same secret believes it
	// without trusting any network; nil sends X-Forwarded-For alone.
	Forward *forward.Signer
}

// handlers are the audiences the routes point at.
type handlers struct {
	log      *slog.Logger
	read     *read.Reader
	pages    *pages.Pages
	public   *publicapi.API
	partner  *partner.API // nil when the partner API is off
	webhooks *webhook.API // nil when webhooks are off
}

// NewHandler returns the web's HTTP handler. Its caches refresh in the
// background under ctx, which should end with the server.
func NewHandler(ctx context.Context, o Options) (http.Handler, error) {
	if o.Log == nil || o.Store == nil || o.Catalog == nil || o.IngestURL == nil {
		return nil, errors.New("server: log, store, catalog and ingest URL are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ro := read.Options{Log: o.Log, Store: o.Store, Now: o.Now, StatusTTL: o.CacheTTL, Backlog: o.Backlog}
	h := handlers{log: o.Log, read: read.New(ctx, ro)}
	var err error
	h.pages, err = pages.New(pages.Options{Log: o.Log, Read: h.read, Catalog: o.Catalog, Now: o.Now, UI: o.UI, PublicURL: o.PublicURL})
	if err != nil {
		return nil, fmt.Errorf("build pages: %w", err)
	}
	h.public, err = publicapi.New(publicapi.Options{Log: o.Log, Read: h.read, Catalog: o.Catalog, Now: o.Now, IngestURL: o.IngestURL, Forward: o.Forward})
	if err != nil {
		return nil, fmt.Errorf("build public API: %w", err)
	}
	if o.PublicURL == "" {
		o.Log.Warn("public-url is not set: pages carry no og:url or og:image and feeds link relatively; set it to the site's scheme and host")
	}
	if o.Partner != nil {
		// The partner API counts through the same reader as the pages.
		po := *o.Partner
		po.Log, po.Store, po.Catalog = o.Log, h.read, o.Catalog
		if po.Now == nil {
			po.Now = o.Now
		}
		if po.PublicURL == "" {
			po.PublicURL = o.PublicURL
		}
		if h.partner, err = partner.New(po); err != nil {
			return nil, fmt.Errorf("build partner API: %w", err)
		}
		if o.Webhooks != nil {
			h.webhooks = o.Webhooks
			h.webhooks.Owner = partner.KeyID
		}
	}
	r, err := httpapi.NewEngine(o.Log, o.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("build web engine: %w", err)
	}
	h.routes(r)
	return r, nil
}
