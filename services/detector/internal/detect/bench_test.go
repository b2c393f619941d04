package detect_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
)

// BenchmarkDetectorCycle10k is one real detection cycle, its ClickHouse
// queries included, over 10,000 services that each have reports in the
// slots the baseline reads (four past weeks and seven past days) and in
// the last hour; one in a hundred has an outage under way. Where spike's
// BenchmarkCycle10k times the statistics alone, this is what the detector
// spends of each minute. Iteration k is the cycle k minutes on, so each
// steps a complete bucket and a partial one, as in production (after the
// first hour of iterations the services' recent minutes run out, which
// only makes the queries lighter).
func BenchmarkDetectorCycle10k(b *testing.B) {
	const services = 10000
	s := setup(b)
	t0 := now.Truncate(time.Minute)
	var minutes []time.Time
	for m := -60; m <= 0; m++ { // the last hour and the current minute
		minutes = append(minutes, t0.Add(time.Duration(m)*time.Minute))
	}
	for k := 1; k <= 7; k++ { // the slots of past days and weeks
		minutes = append(minutes, t0.Add(-time.Duration(k)*24*time.Hour), t0.Add(-time.Duration(k)*24*time.Hour-time.Minute))
	}
	for k := 2; k <= 4; k++ {
		minutes = append(minutes, t0.Add(-time.Duration(k)*baseline.Week), t0.Add(-time.Duration(k)*baseline.Week-time.Minute))
	}
	start := time.Now()
	var rs []lapor.Report
	n := 0
	for i := range services {
		svc := fmt.Sprintf("svc-%05d", i)
		for _, m := range minutes {
			people := 1 + i%3
			if i%100 == 0 && !m.Before(t0.Add(-2*time.Minute)) {
				people = 60 // an outage in the last minutes
			}
			rs = append(rs, burst(svc, people, people, m, 50*time.Second, []string{"app"}, []string{"ID"})...)
		}
		if len(rs) >= 200000 {
			s.insert(b, rs)
			n += len(rs)
			rs = rs[:0]
		}
	}
	s.insert(b, rs)
	n += len(rs)
	b.Logf("inserted %d reports for %d services in %s", n, services, time.Since(start).Round(time.Millisecond))

	cfg := detect.DefaultConfig()
	d, err := detect.New(s.store(), s.rdb, logging.Discard(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := testenv.Ctx(b)
	if err := d.TakeLeaseOver(ctx); err != nil {
		b.Fatal(err)
	}
	if err := d.Load(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; b.Loop(); k++ {
		if err := d.Cycle(ctx, now.Add(time.Duration(k)*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/services, "µs/service")
}
