package consume

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

// benchReports is how many reports each benchmark round moves:
// LAPOR_BENCH_REPORTS, 200,000 by default (1,000,000 for the issue's
// "catching up a 1M backlog").
func benchReports(b *testing.B) int {
	b.Helper()
	if s := os.Getenv("LAPOR_BENCH_REPORTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("LAPOR_BENCH_REPORTS=%q: want a positive count", s)
		}
		return n
	}
	return 200000
}

// realisticReports are n reports shaped like what ingest writes: hashed
// reporter and network keys, a located place and ISP, and now and then a
// comment, spread over services, symptoms and the last two minutes.
func realisticReports(prefix string, n int) []lapor.Report {
	services := []string{"gojek", "bca", "whatsapp", "tokopedia", "instagram", "shopee", "telkomsel", "youtube"}
	symptoms := []string{"login", "app", "payments", "website", "messages"}
	cities := []string{"Jakarta", "Surabaya", "Bandung", "Medan", "Makassar"}
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]lapor.Report, n)
	for i := range out {
		r := lapor.Report{
			ID:       fmt.Sprintf("%s-%08d-5f0c2a9e", prefix, i),
			Service:  services[i%len(services)],
			Symptom:  symptoms[(i/len(services))%len(symptoms)],
			Time:     now.Add(-time.Duration(i%120) * time.Second),
			Country:  "ID",
			Region:   "Jakarta",
			City:     cities[i%len(cities)],
			ASN:      uint32(7713 + i%5),
			ISP:      "PT Telekomunikasi Indonesia",
			Platform: []string{"web", "android", "ios"}[i%3],
			Reporter: fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15),
			Network:  fmt.Sprintf("%064x", uint64(i/7)*0xbf58476d1ce4e5b9),
		}
		if i%10 == 0 {
			r.Comment = "Tidak bisa login sejak pagi, aplikasinya keluar terus"
		}
		out[i] = r
	}
	return out
}

// rawInsert is the reference the worker is measured against: clickhouse-go
// into the same table (and so the same rollup view) with PrepareBatch and
// one Append per row, batch rows at a time.
func rawInsert(ctx context.Context, conn driver.Conn, reps []lapor.Report, batch int) error {
	for lo := 0; lo < len(reps); lo += batch {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment)")
		if err != nil {
			return err
		}
		for _, r := range reps[lo:min(lo+batch, len(reps))] {
			if err := b.Append(r.ID, r.Service, r.Symptom, r.Time, r.Country, r.Region, r.City, r.ASN, r.ISP, r.Platform, r.Reporter, r.Network, r.Comment); err != nil {
				b.Close()
				return err
			}
		}
		if err := b.Send(); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkWorker measures the worker catching up a backlog: it fills the
// stream with LAPOR_BENCH_REPORTS reports, then times a Consumer with the
// worker's default settings until every entry is written, acked and
// deleted. In the same round it times the raw clickhouse-go insert of as
// many other reports into the same tables at the worker's largest batch,
// and reports both and their ratio.
//
//	go test -run '^$' -bench Worker -benchtime 1x ./services/worker/internal/consume/
//
// LAPOR_BENCH_LOG=1 logs every batch: its size, its insert time and its ack time.
//
//	LAPOR_BENCH_REPORTS=1000000 go test -run '^$' -bench Worker -benchtime 1x -timeout 30m ./services/worker/internal/consume/
func BenchmarkWorker(b *testing.B) {
	n := benchReports(b)
	f := setup(b)
	cfg := testConfig{Consumer: "bench", Config: Config{ClaimInterval: time.Hour, ClaimIdle: time.Hour}}
	if os.Getenv("LAPOR_BENCH_LOG") != "" {
		// Each batch's size and how long its insert and ack took.
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rawBatch := cfg.withDefaults().BatchMax
	var worker, raw time.Duration
	var want uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		addAll(b, f, realisticReports(fmt.Sprintf("w%d", i), n))
		want += uint64(n)
		b.StartTimer()
		started := time.Now()
		r := start(b, f, f.store, cfg)
		// Polling every 20ms costs little next to the work measured.
		waitFor(b, "stream drained", 30*time.Minute, f.drained(b))
		worker += time.Since(started)
		b.StopTimer()
		if err := r.stop(b); err != nil {
			b.Fatalf("Run: %v", err)
		}

		reps := realisticReports(fmt.Sprintf("raw%d", i), n)
		started = time.Now()
		if err := rawInsert(f.ctx, f.conn, reps, rawBatch); err != nil {
			b.Fatalf("raw insert: %v", err)
		}
		raw += time.Since(started)
		want += uint64(n)
	}
	if got := f.rawCount(b); got != want {
		b.Fatalf("uniqExact(id) = %d, want %d", got, want)
	}
	wrps, rrps := float64(n*b.N)/worker.Seconds(), float64(n*b.N)/raw.Seconds()
	b.ReportMetric(wrps, "reports/s")
	b.ReportMetric(rrps, "raw-rows/s")
	b.ReportMetric(wrps/rrps, "ratio")
	b.ReportMetric(float64(rawBatch), "raw-batch")
	b.Logf("worker %.0f reports/s, raw clickhouse-go at batch %d %.0f rows/s, ratio %.2f (%d reports a round)", wrps, rawBatch, rrps, wrps/rrps, n)
}
