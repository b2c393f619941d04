package pages_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/pages"
	"github.com/lapor/lapor/services/web/internal/read"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// seedIncidentPages stores incidents for the incident page tests: Gojek's
// ended an hour into it, WhatsApp's is open, one belongs to a service the
// catalog no longer has, and one to a service whose name is markup.
func seedIncidentPages(t *testing.T, f *fixture) {
	t.Helper()
	gojek := openIncident("inc-gojek", "gojek", lapor.LevelDetected, testNow.Add(-3*time.Hour), 1)
	long := openIncident("inc-long", "gojek", lapor.LevelDetected, testNow.Add(-30*24*time.Hour), 1)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{
		resolved(gojek, testNow.Add(-2*time.Hour), 2),
		resolved(long, testNow.Add(-20*24*time.Hour-5*time.Minute), 2),
		openIncident("inc-wa", "whatsapp", lapor.LevelPossible, testNow.Add(-20*time.Minute), 1),
		openIncident("inc-gone", "gone", lapor.LevelDetected, testNow.Add(-time.Hour), 1),
		openIncident("inc-x", "x", lapor.LevelDetected, testNow.Add(-time.Hour), 1),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestIncidentPage(t *testing.T) {
	cat, err := catalog.Parse([]byte(`[{"slug":"x","name":"<script>alert(1)</script>","category":"c","countries":["*"],"aliases":[],"url":"https://x.example","indicators":["app"]},
		{"slug":"whatsapp","name":"WhatsApp","category":"messaging","countries":["*"],"aliases":[],"url":"https://whatsapp.com","indicators":["app"]},
		{"slug":"gojek","name":"Gojek","category":"transport","countries":["ID"],"aliases":[],"url":"https://gojek.com","indicators":["app"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.Catalog = cat })
	pub := newFixture(t, func(o *Options) { o.Catalog = cat; o.PublicURL = "https://lapor.example/" })
	seedIncidentPages(t, f)
	seedIncidentPages(t, pub)
	tests := []struct {
		name, target string
		fx           *fixture
		status       int
		contains     []string
		forbidden    []string
	}{
		{name: "ended incident", target: "/incidents/inc-gojek?junk=1", fx: pub, status: 200, contains: []string{
			"<title>Gojek incident, 2025-03-10 09:07 UTC — Lapor</title>",
			`<meta name="description" content="Problems detected with Gojek, from people&#39;s reports: started 2025-03-10 09:07 UTC, ended 2025-03-10 10:07 UTC after 1 h 00 min. Peak: 40 reports in one minute.">`,
			`og:url" content="https://lapor.example/incidents/inc-gojek"`,
			// Three hours before the start (the least padding) up to now,
			// which comes before the padding after the end.
			`og:image" content="https://lapor.example/services/gojek/chart.png?from=2025-03-10T06%3A07%3A00Z&amp;step=15m&amp;to=2025-03-10T12%3A07%3A30Z"`,
			`twitter:card" content="summary_large_image"`,
			"<body>app</body>",
		}, forbidden: []string{"junk"}},
		{name: "in Indonesian, open", target: "/incidents/inc-wa?lang=id", fx: pub, status: 200, contains: []string{
			"<title>Insiden WhatsApp, 2025-03-10 11:47 UTC — Lapor</title>",
			"Kemungkinan ada masalah pada WhatsApp, dari laporan orang-orang: mulai 2025-03-10 11:47 UTC, masih berlangsung. Puncak: 40 laporan dalam satu menit.",
			`og:url" content="https://lapor.example/incidents/inc-wa?lang=id"`,
			// Open: no `to`, so the image follows now.
			`og:image" content="https://lapor.example/services/whatsapp/chart.png?from=2025-03-10T08%3A47%3A00Z&amp;lang=id&amp;step=15m"`,
		}},
		{name: "a long incident gets hourly buckets", target: "/incidents/inc-long?lang=id", fx: pub, status: 200, contains: []string{
			"berakhir 2025-02-18 12:02 UTC setelah 239 jam 55 menit",
			// Padded by half its 10 days on each side: 20 days, hourly.
			`og:image" content="https://lapor.example/services/gojek/chart.png?from=2025-02-03T12%3A10%3A00Z&amp;lang=id&amp;step=1h&amp;to=2025-02-23T12%3A00%3A00Z"`,
		}},
		// og:image and og:url need the public URL; the request's host is
		// never used (see TestPagesNeverReflectHost).
		{name: "without a public URL", target: "/incidents/inc-gojek", status: 200,
			contains:  []string{"<title>Gojek incident, 2025-03-10 09:07 UTC — Lapor</title>", `twitter:card" content="summary"`},
			forbidden: []string{"og:image", "og:url", "http://", "https://"}},
		{name: "service no longer in the catalog", target: "/incidents/inc-gone", fx: pub, status: 200,
			contains:  []string{"<title>gone incident, 2025-03-10 11:07 UTC — Lapor</title>", "still ongoing"},
			forbidden: []string{"og:image", "chart.png"}},
		{name: "service name is escaped", target: "/incidents/inc-x", status: 200,
			contains: []string{"&lt;script&gt;alert(1)&lt;/script&gt; incident"}, forbidden: []string{"<script>alert"}},
		{name: "unknown incident", target: "/incidents/nope", status: 404, contains: []string{"<title>Page not found — Lapor</title>", "<body>app</body>"}},
		{name: "unknown incident with a public URL", target: "/incidents/nope?lang=id", fx: pub, status: 404,
			contains: []string{"<title>Halaman tidak ditemukan — Lapor</title>", `og:url" content="https://lapor.example/incidents/nope"`}},
		{name: "id too long", target: "/incidents/" + strings.Repeat("x", 65), status: 404, contains: []string{"<title>Page not found — Lapor</title>"}},
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
			if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", cc)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q does not forbid framing", csp)
			}
		})
	}

	// Link unfurlers ask with HEAD first: the same status, no body.
	for target, status := range map[string]int{"/incidents/inc-gojek": 200, "/incidents/nope": 404} {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, target, nil))
		if rec.Code != status || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s: status %d with %d bytes, want %d and none", target, rec.Code, rec.Body.Len(), status)
		}
	}

	// The request's host is never reflected, with or without a public URL
	// (which wins).
	for _, fx := range []*fixture{f, pub} {
		for _, target := range []string{"/incidents/inc-gojek", "/incidents/inc-wa?lang=id", "/incidents/nope"} {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			rec := httptest.NewRecorder()
			fx.h.ServeHTTP(rec, req)
			if strings.Contains(rec.Body.String(), "evil.example") {
				t.Errorf("%s: the request's host is in the page:\n%s", target, rec.Body)
			}
		}
	}

	// The list's own path keeps redirecting its trailing slash, now that
	// /incidents/:id is a route too.
	if rec := httptestGet(f, "/incidents/"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/incidents" {
		t.Errorf("/incidents/: status %d Location %q, want 301 to /incidents", rec.Code, rec.Header().Get("Location"))
	}
}

// With ClickHouse gone the page is still the app, which retries, but
// answers 503 with Retry-After so that crawlers come back for its head.
func TestIncidentPageStoreDown(t *testing.T) {
	f := newFixture(t)
	f.conn.Close()
	rec := f.get(t, "/incidents/inc-gojek")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d Retry-After %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if body := rec.Body.String(); !strings.Contains(body, "<body>app</body>") || !strings.Contains(body, "<title>Incidents — Lapor</title>") {
		t.Errorf("body is not the app with the incidents head:\n%s", body)
	}
}

func TestIncidentWindow(t *testing.T) {
	now := testNow
	tests := []struct {
		name             string
		in               lapor.Incident
		wantFrom, wantTo time.Time
		step             string
	}{
		{"open and short: three hours before, up to now",
			openIncident("a", "s", lapor.LevelPossible, now.Add(-30*time.Minute), 1),
			time.Date(2025, 3, 10, 8, 37, 0, 0, time.UTC), now, "15m"},
		{"ended long ago: padded by three hours on each side, to a whole bucket",
			resolved(openIncident("b", "s", lapor.LevelDetected, now.Add(-48*time.Hour), 1), now.Add(-47*time.Hour), 2),
			time.Date(2025, 3, 8, 9, 7, 0, 0, time.UTC), time.Date(2025, 3, 8, 16, 15, 0, 0, time.UTC), "15m"},
		{"ended lately: up to now, not past it",
			resolved(openIncident("c", "s", lapor.LevelDetected, now.Add(-2*time.Hour), 1), now.Add(-time.Hour), 2),
			time.Date(2025, 3, 10, 7, 7, 0, 0, time.UTC), now, "15m"},
		{"open for a week: padded by half of it, hourly",
			openIncident("d", "s", lapor.LevelDetected, now.Add(-7*24*time.Hour), 1),
			time.Date(2025, 2, 28, 0, 7, 0, 0, time.UTC), now, "1h"},
		{"ended after ten years: the latest MaxPoints days, daily",
			resolved(openIncident("e", "s", lapor.LevelDetected, now.Add(-20*365*24*time.Hour), 1), now.Add(-10*365*24*time.Hour), 2),
			time.Date(2015, 3, 21, 0, 0, 0, 0, time.UTC).Add(-(read.MaxPoints - 1) * 24 * time.Hour),
			time.Date(2015, 3, 21, 0, 0, 0, 0, time.UTC), "24h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := pages.IncidentWindow(tc.in, now)
			if !from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo) {
				t.Errorf("window %s – %s, want %s – %s", from, to, tc.wantFrom, tc.wantTo)
			}
			if step := pages.WindowStep(to.Sub(from)); step != tc.step {
				t.Errorf("step %s, want %s", step, tc.step)
			}
			// The series API must accept the window at its step.
			if _, perr := read.ParseRange(from.Format(time.RFC3339), to.Format(time.RFC3339), pages.WindowStep(to.Sub(from)), now); perr != nil {
				t.Errorf("the series API refuses the window: %+v", *perr)
			}
		})
	}
}
