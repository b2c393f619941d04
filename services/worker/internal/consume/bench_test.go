package consume

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkWorker measures reports per second from a filled Redis stream
// into ClickHouse, acked and deleted, with the default batch settings.
// Run it briefly: go test -run '^$' -bench Worker -benchtime 1x ./services/worker/internal/consume/
func BenchmarkWorker(b *testing.B) {
	const n = 100000
	f := setup(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		reps, _ := makeReports(fmt.Sprintf("b%d", i), n)
		addAll(b, f, reps)
		cfg := testConfig{Consumer: "bench", Config: Config{ClaimInterval: time.Hour, ClaimIdle: time.Hour}}
		b.StartTimer()
		started := time.Now()
		r := start(b, f, f.store, cfg)
		// Polling every 20ms costs little next to the work measured.
		waitFor(b, "stream drained", 5*time.Minute, func() bool { return f.xlen(b) == 0 })
		total += time.Since(started)
		b.StopTimer()
		if err := r.stop(b); err != nil {
			b.Fatalf("Run: %v", err)
		}
		if got := f.rawCount(b); got != uint64(n*(i+1)) {
			b.Fatalf("uniqExact(id) = %d, want %d", got, n*(i+1))
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "reports/s")
}
