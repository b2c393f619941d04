package ingest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/ingest/internal/ingest"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
)

// benchConcurrency is how many requests are in flight at once, as the
// issue's load generator's connections.
const benchConcurrency = 64

// BenchmarkReport measures the report handler in process, with
// benchConcurrency concurrent requests from distinct reporters (each of
// its own /24, so that no limit or cap refuses) against the test Redis,
// and, in the same run and for as many requests, a bare gin handler that
// decodes the same JSON and answers 202: the ceiling. It reports both
// rates, the ingest's p99 latency, and ingest/ceiling. It sends no
// requests over a socket; `make bench` measures the service end to end.
//
//	go test -run '^$' -bench Report -benchtime 20000x ./services/ingest/internal/ingest/
func BenchmarkReport(b *testing.B) {
	rdb := env.RedisClient(b)
	f := newFixture(b, rdb, func(d *ingest.Deps) {
		d.RateIP, d.RateNet = "1000000-M", "1000000-M"
		d.MaxBacklog = 100_000_000
		d.Now = time.Now
	})
	services := []string{"whatsapp", "messenger", "telegram", "signal", "discord", "slack", "instagram", "facebook", "x", "tiktok"}
	body := func(i int) string {
		return fmt.Sprintf(`{"service":%q,"symptom":"app","platform":"android"}`, services[i%len(services)])
	}
	for i := range services {
		if w := f.post(remote(1<<24-1-i), "ua", body(i)); w.Code != http.StatusAccepted {
			b.Fatalf("%s: %d %s", services[i], w.Code, w.Body)
		}
	}

	bare, err := httpapi.NewEngine(logging.Discard(), nil)
	if err != nil {
		b.Fatal(err)
	}
	bare.POST("/api/v1/reports", func(c *gin.Context) {
		var r struct {
			Service  string `json:"service"`
			Symptom  string `json:"symptom"`
			Platform string `json:"platform"`
			Comment  string `json:"comment"`
		}
		if err := c.ShouldBindJSON(&r); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"id": "x", "counted": true})
	})

	b.ResetTimer()
	ingestTime, lat, bad := drive(f.h, b.N, body)
	b.StopTimer()
	ginTime, _, ginBad := drive(bare, b.N, body)
	if bad+ginBad > 0 {
		b.Fatalf("%d ingest and %d gin answers other than 202", bad, ginBad)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/ingestTime.Seconds(), "ingest-req/s")
	b.ReportMetric(float64(b.N)/ginTime.Seconds(), "gin-req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(ginTime.Seconds()/ingestTime.Seconds(), "ingest/ceiling")
}

// drive sends n reports to h from benchConcurrency goroutines, the i-th
// from the i-th distinct address, and returns the time taken, each
// request's latency, and how many were not answered 202.
func drive(h http.Handler, n int, body func(int) string) (time.Duration, []time.Duration, int64) {
	var next, bad atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConcurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body(i)))
				req.RemoteAddr = remote(i)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(w, req)
				lat[i] = time.Since(t0)
				if w.Code != http.StatusAccepted {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), lat, bad.Load()
}

// remote is the i-th distinct client address, each in a /24 of its own.
func remote(i int) string {
	a := netip.AddrFrom4([4]byte{byte(11 + i>>16&0x3f), byte(i >> 8), byte(i), 1})
	return netip.AddrPortFrom(a, 40000).String()
}
