package pages_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/catalog"
)

func TestPages(t *testing.T) {
	cat, err := catalog.Parse([]byte(`[{"slug":"x","name":"<script>alert(1)</script>","category":"c","countries":["*"],"aliases":[],"url":"https://x.example","indicators":["app"]},
		{"slug":"whatsapp","name":"WhatsApp","category":"messaging","countries":["*"],"aliases":[],"url":"https://whatsapp.com","indicators":["app"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.Catalog = cat })
	pub := newFixture(t, func(o *Options) { o.Catalog = cat; o.PublicURL = "https://lapor.example/" })
	tests := []struct {
		name, target string
		fx           *fixture
		status       int
		contains     []string
		forbidden    []string
		frame        string
	}{
		{name: "home", target: "/", status: 200, contains: []string{"<title>Lapor — is it down? Live outage reports</title>", "2 services", "<body>app</body>"}},
		{name: "home in Indonesian", target: "/?lang=id", fx: pub, status: 200, contains: []string{"apakah sedang down", `og:url" content="https://lapor.example/?lang=id"`}},
		{name: "search is escaped", target: "/?q=%3Cscript%3Ealert(2)%3C/script%3E", status: 200,
			contains: []string{"&lt;script&gt;alert(2)&lt;/script&gt;"}, forbidden: []string{"<script>alert"}},
		{name: "service", target: "/services/whatsapp?from=2025-03-09T00:00:00Z&to=2025-03-10T00:00:00Z&junk=1", fx: pub, status: 200, contains: []string{
			"<title>WhatsApp down? Live outage reports — Lapor</title>",
			`og:url" content="https://lapor.example/services/whatsapp?from=2025-03-09T00%3A00%3A00Z&amp;to=2025-03-10T00%3A00%3A00Z"`,
			`og:image" content="https://lapor.example/services/whatsapp/chart.png?from=2025-03-09T00%3A00%3A00Z&amp;to=2025-03-10T00%3A00%3A00Z"`,
			`twitter:card" content="summary_large_image"`,
		}, forbidden: []string{"junk"}},
		// og:image and og:url must be absolute; without a public URL they
		// are left out rather than taken from the request (see
		// TestPagesNeverReflectHost).
		{name: "service without a public URL", target: "/services/whatsapp", status: 200,
			contains:  []string{"<title>WhatsApp down? Live outage reports — Lapor</title>", `twitter:card" content="summary"`},
			forbidden: []string{"og:image", "og:url", "http://", "https://"}},
		{name: "service name is escaped", target: "/services/x", status: 200,
			contains: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, forbidden: []string{"<script>alert"}},
		{name: "service in Indonesian: its image too", target: "/services/whatsapp?lang=id", fx: pub, status: 200,
			contains: []string{`og:image" content="https://lapor.example/services/whatsapp/chart.png?lang=id"`}},
		{name: "an unknown language is not passed on", target: "/services/whatsapp?lang=xx", fx: pub, status: 200,
			contains: []string{`og:image" content="https://lapor.example/services/whatsapp/chart.png"`}},
		{name: "public URL wins over the host", target: "/services/whatsapp?from=bad", fx: pub, status: 200,
			contains: []string{`og:image" content="https://lapor.example/services/whatsapp/chart.png"`, `og:url" content="https://lapor.example/services/whatsapp?from=bad"`}},
		{name: "unknown service", target: "/services/nope", status: 404, contains: []string{"<title>Page not found — Lapor</title>", "<body>app</body>"}},
		{name: "unknown service with a public URL", target: "/services/nope", fx: pub, status: 404, contains: []string{`og:url" content="https://lapor.example/services/nope"`}},
		{name: "incidents", target: "/incidents", status: 200, contains: []string{"<title>Incidents — Lapor</title>"}},
		{name: "embed", target: "/embed/services/whatsapp", status: 200, contains: []string{"<body>embed</body>", "reports per 15 minutes"}, frame: "frame-ancestors *"},
		{name: "unknown embed", target: "/embed/services/nope", status: 404, contains: []string{"<body>embed</body>"}, frame: "frame-ancestors *"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := tc.fx
			if fx == nil {
				fx = f
			}
			rec := fx.get(t, tc.target)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			body := rec.Body.String()
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.forbidden {
				if strings.Contains(body, s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
			frame := tc.frame
			if frame == "" {
				frame = "frame-ancestors 'none'"
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, frame) {
				t.Errorf("CSP %q does not end in %s", csp, frame)
			}
			if rec.Header().Get("Referrer-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", rec.Header())
			}
		})
	}
}

// Without a public URL no page takes a host from the request: the Host
// header is the client's to choose, and a page carrying it could be
// cached and served to everyone.
func TestPagesNeverReflectHost(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/", "/?lang=id&q=x", "/incidents", "/services/whatsapp", "/services/whatsapp?from=2025-03-09T00:00:00Z",
		"/embed/services/whatsapp", "/services/nope", "/embed/services/nope", "/no/such/page", "/incidents/"} {
		t.Run(target, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("status %d", rec.Code)
			}
			if strings.Contains(rec.Body.String(), "evil.example") || strings.Contains(rec.Header().Get("Location"), "evil.example") {
				t.Errorf("the request's host is in the answer: Location %q\n%s", rec.Header().Get("Location"), rec.Body)
			}
		})
	}
}

// Paths outside the contract: assets, files at the build's root, wrong
// paths and methods (JSON on the APIs, never a redirect there; the HTML
// "not found" elsewhere), and anything else.
func TestNonAPIPaths(t *testing.T) {
	f := newFixture(t)
	const html, json = "text/html; charset=utf-8", "application/json; charset=utf-8"
	tests := []struct {
		target, method string
		status         int
		cache, ctype   string
		location       string
	}{
		{"/assets/app-1.js", "GET", 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", ""},
		{"/assets/old-0.js", "GET", 404, "no-cache", "text/plain; charset=utf-8", ""},
		{"/favicon.svg", "GET", 200, "public, max-age=3600", "image/svg+xml", ""},
		{"/index.html", "GET", 404, "no-cache", html, ""},
		{"/no/such/page", "GET", 404, "no-cache", html, ""},
		{"/no/such/page", "DELETE", 404, "", json, ""},
		{"/api/v1/nothing", "GET", 404, "", json, ""},
		{"/api/v1/services/", "GET", 404, "", json, ""},
		{"/api/v1/services/whatsapp/", "GET", 404, "", json, ""},
		{"/api/v1//services", "GET", 404, "", json, ""},
		{"/api", "GET", 404, "", json, ""},
		{"/api/", "GET", 404, "", json, ""},
		{"/v1", "GET", 404, "", json, ""},
		{"/v1/nothing", "GET", 404, "", json, ""}, // the partner API is off here
		{"/v1/alerts/", "GET", 404, "", json, ""},
		{"/healthz/", "GET", 404, "", json, ""},
		{"/api/v1/services", "POST", 405, "", json, ""},
		{"/api/v1/reports", "GET", 405, "", json, ""},
		{"/incidents/", "GET", 301, "", html, "/incidents"},
		{"/services/whatsapp/?lang=id", "GET", 301, "", html, "/services/whatsapp?lang=id"},
		{"//evil.example/", "GET", 404, "no-cache", html, ""},
		{"/%5Cevil.example/", "GET", 301, "", html, "/%5Cevil.example"},
		{"/apis/", "GET", 301, "", html, "/apis"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			h := rec.Header()
			if rec.Code != tc.status || h.Get("Cache-Control") != tc.cache || h.Get("Content-Type") != tc.ctype || h.Get("Location") != tc.location {
				t.Errorf("status %d Cache-Control %q Content-Type %q Location %q, want %d %q %q %q",
					rec.Code, h.Get("Cache-Control"), h.Get("Content-Type"), h.Get("Location"), tc.status, tc.cache, tc.ctype, tc.location)
			}
			if tc.ctype == json && !strings.Contains(rec.Body.String(), `"code":"not_found"`) && !strings.Contains(rec.Body.String(), `"code":"method_not_allowed"`) {
				t.Errorf("body %s is not the error shape", rec.Body)
			}
		})
	}
}

// Without a built frontend the pages say how to build it.
func TestPagesNotBuilt(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.UI = nil }) // the binary's own build: none in a clean checkout
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code == http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), "make build") {
		t.Errorf("not-built page says %q", rec.Body)
	}
	if rec.Code != http.StatusOK && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 200 (built) or 503 (not built)", rec.Code)
	}
}

// Link unfurlers ask with HEAD before they fetch a page or its image.
func TestPagesAnswerHead(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/", "/incidents", "/services/whatsapp", "/embed/services/whatsapp", "/services/whatsapp/chart.png"} {
		t.Run(target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, target, nil))
			if rec.Code != http.StatusOK {
				t.Errorf("HEAD %s: status %d, want 200", target, rec.Code)
			}
		})
	}
}
