package pages_test

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lapor/lapor/services/web/internal/pages"
	"github.com/lapor/lapor/services/web/internal/server"
	"github.com/lapor/lapor/services/web/internal/webtest"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/web/internal/ui"
)

// noConn is a ClickHouse connection that must not be used: robots.txt
// and the icon need no database, and calling it panics.
type noConn struct{ driver.Conn }

// seoHandler is the web's handler over the test catalog with the given
// public URL and frontend build (webtest.UI when nil), and no database.
func seoHandler(t *testing.T, publicURL string, u *ui.UI) http.Handler {
	t.Helper()
	cat := webtest.Catalog(t)
	if u == nil {
		u = webtest.UI(t)
	}
	h, err := server.NewHandler(t.Context(), server.Options{
		Log: logging.Discard(), Store: clickhouse.NewPageStore(noConn{}), Catalog: cat,
		IngestURL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"},
		UI:        u, PublicURL: publicURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// seoGet requests target as a client naming a host of its own choosing,
// which must never show up in the answer.
func seoGet(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "http")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "evil.example") || strings.Contains(rec.Header().Get("Location"), "evil.example") {
		t.Errorf("%s %s: the request's host is in the answer:\n%s", method, target, rec.Body)
	}
	return rec
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name, publicURL string
		sitemap         string // the Sitemap line, "" for none
	}{
		{"with public URL", "https://lapor.example/", "Sitemap: https://lapor.example/sitemap.xml"},
		{"without public URL", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := seoGet(t, seoHandler(t, tc.publicURL, nil), http.MethodGet, "/robots.txt")
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" || rec.Header().Get("Cache-Control") != pages.SEOCache {
				t.Fatalf("status %d Content-Type %q Cache-Control %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
			}
			lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
			for _, want := range []string{"User-agent: *", "Disallow: /api/", "Disallow: /v1/", "Disallow: /embed/", "Allow: /"} {
				if !slices.Contains(lines, want) {
					t.Errorf("robots.txt lacks %q:\n%s", want, rec.Body)
				}
			}
			hasSitemap := strings.Contains(rec.Body.String(), "Sitemap:")
			if tc.sitemap == "" && hasSitemap || tc.sitemap != "" && !slices.Contains(lines, tc.sitemap) {
				t.Errorf("want Sitemap line %q:\n%s", tc.sitemap, rec.Body)
			}
		})
	}
}

func TestSitemap(t *testing.T) {
	pageURLs := []string{
		"https://lapor.example/", "https://lapor.example/incidents",
		// Every service of the catalog, in its order.
		"https://lapor.example/services/bca", "https://lapor.example/services/gojek", "https://lapor.example/services/whatsapp",
	}
	// The incidents of seedIncidentPages, newest first, whether or not
	// their service is still in the catalog (their page still is).
	incidents := []string{
		"https://lapor.example/incidents/inc-wa 2025-03-10T11:47:30Z", "https://lapor.example/incidents/inc-gone 2025-03-10T11:07:30Z",
		"https://lapor.example/incidents/inc-x 2025-03-10T11:07:30Z", "https://lapor.example/incidents/inc-gojek 2025-03-10T10:07:30Z",
		"https://lapor.example/incidents/inc-long 2025-02-18T12:02:30Z",
	}
	tests := []struct {
		name      string
		storeDown bool
		want      []string
		cache     string
	}{
		{"pages and incidents", false, append(slices.Clone(pageURLs), incidents...), pages.SEOCache},
		{"store down: the pages, not to be kept", true, pageURLs, "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.PublicURL = "https://lapor.example" })
			seedIncidentPages(t, f)
			if tt.storeDown {
				f.conn.Close()
			}
			rec := seoGet(t, f.h, http.MethodGet, "/sitemap.xml")
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/xml; charset=utf-8" {
				t.Fatalf("status %d Content-Type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			var set struct {
				XMLName xml.Name
				URLs    []struct {
					Loc     string `xml:"loc"`
					LastMod string `xml:"lastmod"`
				} `xml:"url"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &set); err != nil {
				t.Fatalf("sitemap is not XML: %v\n%s", err, rec.Body)
			}
			if set.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || set.XMLName.Local != "urlset" {
				t.Errorf("root element %v", set.XMLName)
			}
			var got []string
			for _, u := range set.URLs {
				got = append(got, strings.TrimSpace(u.Loc+" "+u.LastMod))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("URLs %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("without public URL", func(t *testing.T) {
		h := seoHandler(t, "", nil)
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if rec := seoGet(t, h, method, "/sitemap.xml"); rec.Code != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", method, rec.Code)
			}
		}
	})
}

func TestFavicon(t *testing.T) {
	h := seoHandler(t, "", nil)
	// The test build ships favicon.svg, and the build's file wins.
	built, err := ui.New(fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte("<html><head>" + ui.Marker + "</head></html>")}})
	if err != nil {
		t.Fatal(err)
	}
	bare := seoHandler(t, "", built)
	tests := []struct {
		name   string
		h      http.Handler
		target string
		ctype  string
		prefix string
	}{
		{"ico", bare, "/favicon.ico", "image/x-icon", "\x00\x00\x01\x00\x01\x00"},
		{"built-in svg", bare, "/favicon.svg", "image/svg+xml", pages.FaviconSVG},
		{"the build's svg", h, "/favicon.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := seoGet(t, tc.h, http.MethodGet, tc.target)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.ctype || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("status %d Content-Type %q nosniff %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("X-Content-Type-Options"))
			}
			if !strings.HasPrefix(rec.Body.String(), tc.prefix) {
				t.Errorf("body starts %.40q, want %.40q", rec.Body.String(), tc.prefix)
			}
			head := seoGet(t, tc.h, http.MethodHead, tc.target)
			if head.Code != http.StatusOK || head.Body.Len() != 0 {
				t.Errorf("HEAD: status %d, %d bytes of body", head.Code, head.Body.Len())
			}
		})
	}
	t.Run("ico holds a 32×32 PNG", func(t *testing.T) {
		b := seoGet(t, bare, http.MethodGet, "/favicon.ico").Body.Bytes()
		if len(b) < 22 {
			t.Fatalf("%d bytes", len(b))
		}
		size, off := binary.LittleEndian.Uint32(b[14:18]), binary.LittleEndian.Uint32(b[18:22])
		if b[6] != 32 || b[7] != 32 || off != 22 || int(off+size) != len(b) {
			t.Fatalf("entry %dx%d size %d offset %d in %d bytes", b[6], b[7], size, off, len(b))
		}
		img, err := png.Decode(bytes.NewReader(b[off:]))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != 32 || r.Dy() != 32 {
			t.Errorf("image is %v", r)
		}
	})
}
