// Package pages serves the web's pages for readers, crawlers and link
// previews: the frontend's HTML entries (home, incidents, one incident,
// a service, its embed, not found) with a head each page fills in (title,
// description, og:url, og:image), the build's assets, a service's chart
// as a PNG, and robots.txt, the sitemap and the favicon. The app itself
// reads the public API (package publicapi). It exposes handlers; the
// web's routes are registered in package server.
package pages

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/ui"
)

// maxQueryLength bounds a search query shown in a page's title.
const maxQueryLength = 100

// Options are what the pages need.
type Options struct {
	Log     *slog.Logger
	Read    *read.Reader
	Catalog *catalog.Catalog
	Now     func() time.Time // the clock; time.Now when nil
	// UI is the frontend build the pages come from; nil serves the one
	// embedded in the binary.
	UI *ui.UI
	// PublicURL is the scheme and host that absolute links in pages (og:url,
	// og:image, the sitemap) use; without it pages leave those tags out,
	// as the request's Host is the client's to choose.
	PublicURL string
}

// Pages serves the web's pages.
type Pages struct {
	log       *slog.Logger
	read      *read.Reader
	catalog   *catalog.Catalog
	now       func() time.Time
	ui        *ui.UI
	publicURL string

	charts  *read.Caches[[]byte] // rendered chart PNGs
	sitemap *read.Cache[[]byte]  // sitemap.xml, which lists incidents
}

// New returns the pages.
func New(o Options) (*Pages, error) {
	if o.Log == nil || o.Read == nil || o.Catalog == nil {
		return nil, errors.New("pages: log, reader and catalog are required")
	}
	if o.Now == nil {
		o.Now = time.Now
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
	return &Pages{
		log: o.Log, read: o.Read, catalog: o.Catalog, now: o.Now, ui: o.UI,
		publicURL: strings.TrimRight(o.PublicURL, "/"),
		charts:    read.NewCaches[[]byte](o.Read.CacheConfig(chartCacheTTL)),
		sitemap:   read.NewCache[[]byte](o.Read.CacheConfig(sitemapCacheTTL)),
	}, nil
}
