package spike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// BenchmarkCycle10k is one detection cycle over 10,000 services with four
// weeks of history, given as the detector gets it each cycle: per service
// the slot levels of four past weeks and seven past days and an hour of
// recent one-minute buckets. Each service's baseline is estimated and its
// tracker stepped; one in a hundred has an outage under way.
func BenchmarkCycle10k(b *testing.B) {
	const n = 10000
	type svc struct {
		name  string
		h     spike.History
		count uint32
	}
	services := make([]svc, n)
	for i := range services {
		level := float64(i % 200)
		s := svc{name: fmt.Sprintf("service-%05d", i), count: uint32(level)}
		for k := 0; k < 4; k++ {
			s.h.Weeks = append(s.h.Weeks, level+float64(k%3))
		}
		for k := 0; k < 7; k++ {
			s.h.Days = append(s.h.Days, level+float64(k%4))
		}
		for k := 0; k < 60; k++ {
			s.h.Recent = append(s.h.Recent, level+float64(k%5)-2)
		}
		if i%100 == 0 {
			s.count = uint32(10*level + 40)
		}
		services[i] = s
	}
	p := spike.DefaultParams()
	tr, err := spike.NewTracker(p)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bucket := t0.Add(time.Duration(i) * time.Minute)
		for j := range services {
			s := &services[j]
			tr.StepBaseline(s.name, bucket, s.count, p.Estimate(s.h))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/service")
}
