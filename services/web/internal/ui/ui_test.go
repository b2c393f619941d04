package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// testBuild is a small build made of the files in testdata.
func testBuild(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range map[string]string{
		"index.html": "index.html", "embed.html": "embed.html", "assets/index-abc123.js": "index-abc123.js",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	fsys["favicon.svg"] = &fstest.MapFile{Data: []byte("<svg/>")}
	return fsys
}

func newUI(t *testing.T, fsys fstest.MapFS) *UI {
	t.Helper()
	u, err := New(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestServePage(t *testing.T) {
	u := newUI(t, testBuild(t))
	tests := []struct {
		name      string
		kind      Kind
		status    int
		head      Head
		contains  []string
		forbidden []string
		frame     string
	}{
		{
			name: "service page", kind: App, status: http.StatusOK,
			head: Head{Title: "WhatsApp — Lapor", Description: "Reports", URL: "https://lapor.example/services/whatsapp?from=a&to=b",
				Image: "https://lapor.example/services/whatsapp/chart.png?from=a&to=b"},
			contains: []string{
				"<title>WhatsApp — Lapor</title>",
				`<meta property="og:url" content="https://lapor.example/services/whatsapp?from=a&amp;to=b">`,
				`<meta property="og:image" content="https://lapor.example/services/whatsapp/chart.png?from=a&amp;to=b">`,
				`<meta name="twitter:card" content="summary_large_image">`,
				`<script type="module" crossorigin src="/assets/index-abc123.js">`,
			},
			forbidden: []string{Marker},
			frame:     "frame-ancestors 'none'",
		},
		{
			name: "escapes everything", kind: App, status: http.StatusNotFound,
			head: Head{Title: `<script>alert(1)</script>`, Description: `"><img src=x onerror=alert(1)>`, URL: `http://h/"><script>`},
			contains: []string{
				"<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>",
				`content="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`,
				`<meta name="twitter:card" content="summary">`,
			},
			forbidden: []string{"<script>alert", "<img src=x", `"><script>`, "og:image"},
			frame:     "frame-ancestors 'none'",
		},
		{
			name: "embed", kind: Embed, status: http.StatusOK,
			head:     Head{Title: "WhatsApp chart", URL: "http://h/embed/services/whatsapp"},
			contains: []string{`<body class="embed">`, "<title>WhatsApp chart</title>"},
			frame:    "frame-ancestors *",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			u.ServePage(rec, httptest.NewRequest(http.MethodGet, "/x", nil), tc.status, tc.kind, tc.head)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
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
			h := rec.Header()
			for k, want := range map[string]string{
				"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache",
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || !strings.HasSuffix(csp, tc.frame) {
				t.Errorf("CSP = %q, want script and style from self and %s", csp, tc.frame)
			}
		})
	}
}

func TestNotBuilt(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"empty":         {},
		"no index.html": {"embed.html": &fstest.MapFile{Data: []byte("<head>" + Marker + "</head>")}},
	} {
		t.Run(name, func(t *testing.T) {
			u := newUI(t, fsys)
			if u.Built() {
				t.Error("Built() = true")
			}
			for _, kind := range []Kind{App, Embed} {
				rec := httptest.NewRecorder()
				u.ServePage(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, kind, Head{Title: "x"})
				if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "run make build") {
					t.Errorf("kind %d: status %d body %q, want 503 saying to run make build", kind, rec.Code, rec.Body)
				}
				if rec.Header().Get("Content-Security-Policy") == "" {
					t.Error("no CSP on the not-built page")
				}
			}
		})
	}
}

func TestNewRefusesHTMLWithoutMarker(t *testing.T) {
	_, err := New(fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte("<head><title>x</title></head>")}})
	if err == nil {
		t.Error("New accepted an index.html without the head marker")
	}
}

func TestServeFiles(t *testing.T) {
	u := newUI(t, testBuild(t))
	tests := []struct {
		name, path string
		asset      bool
		found      bool
		cache, ct  string
	}{
		{"asset", "index-abc123.js", true, true, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"missing asset", "nope.js", true, false, "", ""},
		{"asset escaping its folder", "../index.html", true, false, "", ""},
		{"folder", "", true, false, "", ""},
		{"root file", "favicon.svg", false, true, "public, max-age=3600", "image/svg+xml"},
		{"HTML entry is not static", "index.html", false, false, "", ""},
		{"missing root file", "robots.txt", false, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			var found bool
			if tc.asset {
				found = u.ServeAsset(rec, req, tc.path)
			} else {
				found = u.ServeStatic(rec, req, tc.path)
			}
			if found != tc.found {
				t.Fatalf("found = %v, want %v", found, tc.found)
			}
			if !found {
				if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
					t.Errorf("wrote %d bytes and headers %v for a missing file", rec.Body.Len(), rec.Header())
				}
				return
			}
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Errorf("status %d with %d bytes", rec.Code, rec.Body.Len())
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tc.cache)
			}
			if got := rec.Header().Get("Content-Type"); got != tc.ct {
				t.Errorf("Content-Type = %q, want %q", got, tc.ct)
			}
		})
	}
}

// The binary's own build compiles and loads whether or not npm has run.
func TestDist(t *testing.T) {
	fsys, err := Dist()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(fsys); err != nil {
		t.Fatalf("embedded build: %v", err)
	}
}

// Text assets go gzipped to clients that take gzip, as they were to the rest.
func TestServeAssetGzip(t *testing.T) {
	fsys := testBuild(t)
	js := []byte(strings.Repeat("export const lapor = 'lapor';\n", 200))
	fsys["assets/app-def456.js"] = &fstest.MapFile{Data: js}
	fsys["assets/logo-1.png"] = &fstest.MapFile{Data: js} // not text: never compressed
	u := newUI(t, fsys)
	tests := []struct {
		name, file, accept string
		gzipped            bool
	}{
		{"gzip accepted", "app-def456.js", "gzip, deflate, br", true},
		{"gzip with a weight", "app-def456.js", "br;q=1.0, gzip;q=0.8", true},
		{"gzip refused", "app-def456.js", "gzip;q=0, identity", false},
		{"no Accept-Encoding", "app-def456.js", "", false},
		{"an image stays as it is", "logo-1.png", "gzip", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/assets/"+tc.file, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			if !u.ServeAsset(rec, req, tc.file) {
				t.Fatal("asset not found")
			}
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped = %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if rec.Body.Len() >= len(js)/4 {
					t.Errorf("sent %d bytes gzipped for %d plain", rec.Body.Len(), len(js))
				}
			}
			if !bytes.Equal(body, js) {
				t.Errorf("the client gets %d bytes that differ from the asset", len(body))
			}
			if vary := rec.Header().Get("Vary"); (vary == "Accept-Encoding") != strings.HasSuffix(tc.file, ".js") {
				t.Errorf("Vary = %q", vary)
			}
		})
	}
}
