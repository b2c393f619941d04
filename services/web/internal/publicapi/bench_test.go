package publicapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/webtest"
)

// BenchmarkServicesCached serves GET /api/v1/services through the whole
// web handler, cached as in production (the status TTL, on the real
// clock, so the status expires and is read again while the benchmark
// runs), and then the same bytes from a bare gin handler, in the same run.
// It reports each one's ns per request and p99, and the ratio of the bare
// handler's time to the web's (1 would be as fast as serving static
// bytes). Both sides make b.N requests, so give a count, not a time:
//
//	go test -run '^$' -bench ServicesCached -benchtime 40000x ./services/web/internal/publicapi/
func BenchmarkServicesCached(b *testing.B) {
	f := webtest.New(b, func(o *Options) {
		o.CacheTTL = read.DefaultStatusTTL
		o.Now = time.Now
	})
	now := time.Now()
	if err := clickhouse.SaveIncidents(f.Ctx, f.Conn, []lapor.Incident{openIncident("inc", "whatsapp", lapor.LevelDetected, now.Add(-time.Hour), 1)}); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.H.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/services", nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	gin.SetMode(gin.ReleaseMode)
	static := gin.New()
	static.GET("/api/v1/services", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=5")
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	})
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			web, webP99 := serve(b, f.H, enc)
			bare, bareP99 := serve(b, static, enc)
			b.ReportMetric(0, "ns/op") // each side's time is reported on its own
			b.ReportMetric(web, "web-ns/req")
			b.ReportMetric(bare, "static-ns/req")
			b.ReportMetric(webP99, "web-p99-ms")
			b.ReportMetric(bareP99, "static-p99-ms")
			b.ReportMetric(bare/web, "ratio")
		})
	}
}

// serve makes b.N requests to h from parallel clients and returns the
// wall time per request in ns and the p99 latency in ms.
func serve(b *testing.B, h http.Handler, encoding string) (nsPerReq, p99ms float64) {
	var (
		mu   sync.Mutex
		lats []time.Duration
	)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		own := make([]time.Duration, 0, 1024)
		req := httptest.NewRequest(http.MethodGet, "/api/v1/services", nil)
		if encoding != "identity" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		for pb.Next() {
			t0 := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			own = append(own, time.Since(t0))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
		mu.Lock()
		lats = append(lats, own...)
		mu.Unlock()
	})
	b.StopTimer()
	elapsed := time.Since(start)
	if len(lats) == 0 {
		return 0, 0
	}
	slices.Sort(lats)
	return float64(elapsed.Nanoseconds()) / float64(len(lats)), float64(lats[len(lats)*99/100].Microseconds()) / 1000
}
