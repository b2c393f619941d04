package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/read"
)

// seoCache is how long crawlers and browsers may keep robots.txt, the
// sitemap and the icon: they change only with a deploy or the catalog.
const seoCache = "public, max-age=3600"

// faviconSVG is the site's icon: three white bars of a report chart on
// the app's accent colour.
const faviconSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect width="32" height="32" rx="6" fill="#0b57d0"/>` +
	`<path d="M7 24h4v-8H7zm7 0h4V8h-4zm7 0h4V12h-4z" fill="#fff"/></svg>`

// faviconICO is the same icon as a 32×32 ICO holding a PNG, for browsers
// and crawlers that ask for /favicon.ico whatever the page says. It is
// drawn once, on first use.
var faviconICO = sync.OnceValues(func() ([]byte, error) {
	accent := color.RGBA{0x0b, 0x57, 0xd0, 0xff}
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	draw.Draw(img, img.Bounds(), &image.Uniform{accent}, image.Point{}, draw.Src)
	// The bars of faviconSVG.
	for _, r := range []image.Rectangle{image.Rect(7, 16, 11, 24), image.Rect(14, 8, 18, 24), image.Rect(21, 12, 25, 24)} {
		draw.Draw(img, r, image.White, image.Point{}, draw.Src)
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		return nil, fmt.Errorf("encode favicon PNG: %w", err)
	}
	// ICONDIR (reserved, type 1 = icon, one image), then its ICONDIRENTRY
	// (32×32, no palette, 1 plane, 32 bits, size, offset of the PNG).
	var b bytes.Buffer
	const headerSize = 6 + 16
	for _, v := range []any{
		uint16(0), uint16(1), uint16(1),
		uint8(32), uint8(32), uint8(0), uint8(0), uint16(1), uint16(32), uint32(p.Len()), uint32(headerSize),
	} {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("write favicon header: %w", err)
		}
	}
	b.Write(p.Bytes())
	return b.Bytes(), nil
})

// HandleFavicon answers /favicon.ico and /favicon.svg. An icon the
// frontend build ships at its root wins; otherwise the built-in one.
func (p *Pages) HandleFavicon(c *gin.Context) {
	name := c.Request.URL.Path
	if p.ui.ServeStatic(c.Writer, c.Request, name) {
		return
	}
	var body []byte
	ctype := "image/svg+xml"
	if strings.HasSuffix(name, ".ico") {
		ico, err := faviconICO()
		if err != nil {
			p.log.Error("draw favicon", "err", err)
			c.String(http.StatusInternalServerError, "internal error\n")
			return
		}
		body, ctype = ico, "image/x-icon"
	} else {
		body = []byte(faviconSVG)
	}
	serveSEO(c, name, ctype, seoCache, body)
}

// HandleRobots answers /robots.txt: crawlers may read the pages but not
// the APIs, whose answers are data rather than pages, nor the embeds,
// which would compete with the service pages they copy. The Sitemap line
// needs an absolute URL, so it is left out without a public URL.
func (p *Pages) HandleRobots(c *gin.Context) {
	var b strings.Builder
	b.WriteString("User-agent: *\nDisallow: /api/\nDisallow: /v1/\nDisallow: /embed/\nAllow: /\n")
	if u := p.absURL("/sitemap.xml"); u != "" {
		b.WriteString("\nSitemap: " + u + "\n")
	}
	serveSEO(c, "robots.txt", "text/plain; charset=utf-8", seoCache, []byte(b.String()))
}

// sitemapURLSet is the sitemap protocol's document
// (https://www.sitemaps.org/protocol.html).
type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapCacheTTL is how long one sitemap, with its database query, serves
// every crawler.
const sitemapCacheTTL = 5 * time.Minute

// HandleSitemap answers /sitemap.xml: the home page, the incidents page,
// every service's page and the pages of the newest read.MaxIncidents incidents,
// each with its last change. The protocol wants absolute URLs, and the
// request's Host is the client's to choose, so without a public URL there
// is no sitemap: 404. When the store does not answer, the pages that need
// no database are listed, and the answer is not to be kept.
func (p *Pages) HandleSitemap(c *gin.Context) {
	if p.publicURL == "" {
		c.Header("Cache-Control", "no-cache")
		c.String(http.StatusNotFound, "not found: the sitemap needs the public URL to be configured\n")
		return
	}
	body, err := p.sitemap.Get(c.Request.Context(), func(ctx context.Context) ([]byte, error) {
		list, err := p.read.Incidents(ctx, clickhouse.IncidentFilter{Limit: read.MaxIncidents})
		if err != nil {
			return nil, err
		}
		return p.renderSitemap(list)
	})
	if err != nil {
		if c.Request.Context().Err() == nil {
			p.log.Warn("list incidents for the sitemap; serving it without them", "err", err)
		}
		if body, err = p.renderSitemap(nil); err != nil {
			p.log.Error("render sitemap", "err", err)
			c.String(http.StatusInternalServerError, "internal error\n")
			return
		}
		serveSEO(c, "sitemap.xml", "application/xml; charset=utf-8", "no-cache", body)
		return
	}
	serveSEO(c, "sitemap.xml", "application/xml; charset=utf-8", seoCache, body)
}

// renderSitemap writes the sitemap of the pages and the given incidents.
func (p *Pages) renderSitemap(incs []lapor.Incident) ([]byte, error) {
	set := sitemapURLSet{URLs: []sitemapURL{{Loc: p.absURL("/")}, {Loc: p.absURL("/incidents")}}}
	for _, svc := range p.catalog.All() {
		set.URLs = append(set.URLs, sitemapURL{Loc: p.absURL("/services/" + url.PathEscape(svc.Slug))})
	}
	for _, in := range incs {
		set.URLs = append(set.URLs, sitemapURL{
			Loc:     p.absURL("/incidents/" + url.PathEscape(in.ID)),
			LastMod: in.UpdatedAt.UTC().Format(time.RFC3339),
		})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render sitemap of %d URLs: %w", len(set.URLs), err)
	}
	body := append([]byte(xml.Header), out...)
	return append(body, '\n'), nil
}

// serveSEO answers GET and HEAD (and conditional requests) with body.
func serveSEO(c *gin.Context, name, ctype, cacheControl string, body []byte) {
	h := c.Writer.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, bytes.NewReader(body))
}
