package spike_test

import (
	"math"
	"testing"

	"github.com/lapor/lapor/services/shared/spike"
)

// steady returns n buckets of the same count.
func steady(n int, count float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = count
	}
	return out
}

// sparse returns n buckets with one report in every k-th, the rest empty.
func sparse(n, k int) []float64 {
	out := make([]float64, n)
	for i := 0; i < n; i += k {
		out[i] = 1
	}
	return out
}

func TestEstimate(t *testing.T) {
	p := spike.DefaultParams() // 2 weeks, 2 days, 10 recent buckets
	nan := math.NaN()
	tests := []struct {
		name     string
		h        spike.History
		min, max float64 // the expected count lies in [min, max]; NaN for unknown
		from     spike.Source
	}{
		{"no history at all is unknown", spike.History{}, nan, nan, spike.FromFloor},
		{"a burst on a brand-new service is unknown", spike.History{Recent: steady(9, 40)}, nan, nan, spike.FromFloor},
		{"enough recent buckets give their level", spike.History{Recent: steady(10, 40)}, 40, 40, spike.FromRecent},
		{"one week is not enough: recent buckets decide", spike.History{Weeks: []float64{400}, Recent: steady(30, 40)}, 40, 40, spike.FromRecent},
		{"two weeks busier than now win", spike.History{Weeks: []float64{50, 60}, Recent: steady(60, 40)}, 50, 60, spike.FromWeeks},
		{"a recent level above the weeks wins: growth is normal", spike.History{Weeks: []float64{20, 30}, Recent: steady(60, 40)}, 40, 40, spike.FromRecent},
		{"one past outage in the weeks barely counts", spike.History{Weeks: []float64{40, 900, 42, 38}}, 40, 45, spike.FromWeeks},
		{"days stand in for missing weeks", spike.History{Days: []float64{50, 52, 900}, Recent: steady(60, 10)}, 50, 60, spike.FromDays},
		{"of two days, one day's outage barely counts", spike.History{Days: []float64{900, 50}, Recent: steady(60, 10)}, 50, 60, spike.FromDays},
		{"one day is not enough", spike.History{Days: []float64{50}, Recent: steady(60, 10)}, 10, 10, spike.FromRecent},
		{"weeks win over days", spike.History{Weeks: []float64{30, 30}, Days: []float64{50, 52, 54}}, 30, 30, spike.FromWeeks},
		{"a short spike in the recent hour barely counts", spike.History{Recent: append(steady(50, 40), steady(10, 400)...)}, 40, 45, spike.FromRecent},
		{"a report every ten minutes is a rate, not a median of zero", spike.History{Recent: sparse(60, 10)}, 0.1, 0.1, spike.FromRecent},
		{"a quiet slot keeps its rate", spike.History{Weeks: []float64{0, 1, 0, 0}}, 0.25, 0.25, spike.FromWeeks},
		{"what an outage's tail left is normal after it", spike.History{Recent: steady(60, 10), Since: steady(5, 30)}, 30, 30, spike.FromRecent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.Estimate(tt.h)
			if math.IsNaN(tt.min) {
				if !math.IsNaN(b.Expected) || b.Source != tt.from {
					t.Fatalf("Estimate = %v from %v, want unknown from %v", b.Expected, b.Source, tt.from)
				}
				return
			}
			if b.Expected < tt.min || b.Expected > tt.max || b.Source != tt.from {
				t.Fatalf("Estimate = %v from %v, want [%v, %v] from %v", b.Expected, b.Source, tt.min, tt.max, tt.from)
			}
		})
	}
}

func TestEstimateHonoursParams(t *testing.T) {
	p := spike.DefaultParams()
	p.MinWeeks, p.MinRecent = 3, 5
	h := spike.History{Weeks: []float64{50, 60}, Recent: steady(5, 40)}
	if b := p.Estimate(h); b.Expected != 40 || b.Source != spike.FromRecent {
		t.Fatalf("with min weeks 3, two weeks do not count: got %v from %v", b.Expected, b.Source)
	}
}

func TestEstimateLeavesHistoryAlone(t *testing.T) {
	h := spike.History{Weeks: []float64{9, 1, 5}, Days: []float64{3, 2, 1}, Recent: []float64{5, 4, 3, 2, 1, 0, 9, 8, 7, 6}}
	weeks, recent := append([]float64(nil), h.Weeks...), append([]float64(nil), h.Recent...)
	spike.DefaultParams().Estimate(h)
	for i := range weeks {
		if h.Weeks[i] != weeks[i] {
			t.Fatalf("weeks changed: %v", h.Weeks)
		}
	}
	for i := range recent {
		if h.Recent[i] != recent[i] {
			t.Fatalf("recent changed: %v", h.Recent)
		}
	}
}
