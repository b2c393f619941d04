package spike_test

import (
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

func TestEstimate(t *testing.T) {
	p := spike.DefaultParams() // floor 3, 2 weeks, 10 recent buckets
	tests := []struct {
		name     string
		sameSlot []float64
		recent   []float64
		want     float64
		from     spike.Source
	}{
		{"no history at all is the floor", nil, nil, 3, spike.FromFloor},
		{"a burst on a brand-new service is judged on the floor", nil, steady(9, 40), 3, spike.FromFloor},
		{"enough recent buckets give their median", nil, steady(10, 40), 40, spike.FromRecent},
		{"one week is not enough: recent buckets decide", []float64{400}, steady(30, 40), 40, spike.FromRecent},
		{"one week and too few recent buckets is the floor", []float64{400}, steady(5, 40), 3, spike.FromFloor},
		{"two weeks win over recent buckets", []float64{20, 30}, steady(60, 40), 25, spike.FromWeeks},
		{"weeks are a median: one past outage does not count", []float64{40, 900, 42, 38}, nil, 41, spike.FromWeeks},
		{"a quiet weekly slot is raised to the floor", []float64{0, 1, 0, 2}, steady(60, 40), 3, spike.FromWeeks},
		{"recent buckets are a median: a short spike does not count", nil, append(steady(20, 40), steady(9, 400)...), 40, spike.FromRecent},
		{"empty recent buckets count", nil, append(steady(20, 0), steady(11, 40)...), 3, spike.FromRecent},
		{"a quiet service's recent median is raised to the floor", nil, steady(60, 1), 3, spike.FromRecent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := p.Estimate(tt.sameSlot, tt.recent)
			if got != tt.want || from != tt.from {
				t.Fatalf("Estimate(%v, %d recent) = %v from %v, want %v from %v", tt.sameSlot, len(tt.recent), got, from, tt.want, tt.from)
			}
		})
	}
}

func TestEstimateHonoursParams(t *testing.T) {
	p := spike.DefaultParams()
	p.Floor, p.MinWeeks, p.MinRecent = 5, 1, 3
	tests := []struct {
		name     string
		sameSlot []float64
		recent   []float64
		want     float64
		from     spike.Source
	}{
		{"one week is enough with min weeks 1", []float64{50}, steady(3, 40), 50, spike.FromWeeks},
		{"three recent buckets are enough with min recent 3", nil, steady(3, 40), 40, spike.FromRecent},
		{"two are not", nil, steady(2, 40), 5, spike.FromFloor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := p.Estimate(tt.sameSlot, tt.recent)
			if got != tt.want || from != tt.from {
				t.Fatalf("Estimate = %v from %v, want %v from %v", got, from, tt.want, tt.from)
			}
		})
	}
}
