package publicapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// Every cached answer is written as encoded once: the same JSON with or
// without gzip, an ETag that a conditional GET answers 304 to, Vary on
// Accept-Encoding, and the Cache-Control the API always sent.
func TestCachedAnswersGzipAndETag(t *testing.T) {
	f := newFixture(t)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{openIncident("inc", "whatsapp", lapor.LevelDetected, testNow.Add(-time.Hour), 1)}); err != nil {
		t.Fatal(err)
	}
	f.insert(t, reportsAt("r", "whatsapp", testNow.Add(-30*time.Minute), 30, 30)...)
	for _, target := range []string{
		"/api/v1/services",
		"/api/v1/services?q=what",
		"/api/v1/services/whatsapp",
		"/api/v1/services/whatsapp/series",
		"/api/v1/sparklines",
		"/api/v1/services/whatsapp/countries",
		"/api/v1/services/whatsapp/comments",
		"/api/v1/services/whatsapp/recent",
		"/api/v1/incidents", // not cached, written the same way
	} {
		t.Run(target, func(t *testing.T) {
			get := func(header ...string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				for i := 0; i < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				return do(t, f.h, req)
			}
			plain := get()
			if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" {
				t.Fatalf("status %d, encoding %q", plain.Code, plain.Header().Get("Content-Encoding"))
			}
			etag := plain.Header().Get("ETag")
			for k, want := range map[string]string{"Cache-Control": "public, max-age=5", "Vary": "Accept-Encoding", "Content-Type": "application/json; charset=utf-8"} {
				if got := plain.Header().Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			if etag == "" {
				t.Error("no ETag")
			}

			zipped := get("Accept-Encoding", "br, gzip;q=0.8")
			body := zipped.Body.Bytes()
			if zipped.Header().Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if len(body) >= 512 {
				t.Errorf("a %d-byte answer was not gzipped", len(body))
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Errorf("gzip decodes to %.200s\nwant %.200s", body, plain.Body.Bytes())
			}
			if zipped.Header().Get("ETag") != etag {
				t.Errorf("gzip ETag %s, want %s", zipped.Header().Get("ETag"), etag)
			}

			for _, tt := range []struct {
				inm  string
				want int
			}{
				{etag, http.StatusNotModified},
				{`"other", ` + etag, http.StatusNotModified},
				{`"other"`, http.StatusOK},
				{"*", http.StatusNotModified},
			} {
				rec := get("If-None-Match", tt.inm, "Accept-Encoding", "gzip")
				if rec.Code != tt.want {
					t.Errorf("If-None-Match %s: status %d, want %d", tt.inm, rec.Code, tt.want)
				}
				if rec.Code == http.StatusNotModified && (rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") == "") {
					t.Errorf("If-None-Match %s: 304 with %d bytes, ETag %q, Cache-Control %q", tt.inm, rec.Body.Len(), rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
				}
			}
		})
	}
}
