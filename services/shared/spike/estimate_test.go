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

func TestEstimate(t *testing.T) {
	p := spike.DefaultParams() // floor 3, 2 weeks, 2 days, 10 recent buckets
	tests := []struct {
		name string
		h    spike.History
		want float64
		from spike.Source
	}{
		{"no history at all is the floor", spike.History{}, 3, spike.FromFloor},
		{"a burst on a brand-new service is judged on the floor", spike.History{Recent: steady(9, 40)}, 3, spike.FromFloor},
		{"enough recent buckets give their median", spike.History{Recent: steady(10, 40)}, 40, spike.FromRecent},
		{"one week is not enough: recent buckets decide", spike.History{Weeks: []float64{400}, Recent: steady(30, 40)}, 40, spike.FromRecent},
		{"one week and too few recent buckets is the floor", spike.History{Weeks: []float64{400}, Recent: steady(5, 40)}, 3, spike.FromFloor},
		{"two weeks busier than now win", spike.History{Weeks: []float64{50, 60}, Recent: steady(60, 40)}, 55, spike.FromWeeks},
		{"a recent level above the weeks wins: growth is normal", spike.History{Weeks: []float64{20, 30}, Recent: steady(60, 40)}, 40, spike.FromRecent},
		{"weeks are a median: one past outage does not count", spike.History{Weeks: []float64{40, 900, 42, 38}}, 41, spike.FromWeeks},
		{"days stand in for missing weeks", spike.History{Days: []float64{50, 52, 900}, Recent: steady(60, 10)}, 52, spike.FromDays},
		{"two days are enough", spike.History{Days: []float64{50, 52}, Recent: steady(60, 10)}, 50, spike.FromDays},
		{"of two days the lower: one day's outage does not count", spike.History{Days: []float64{900, 50}, Recent: steady(60, 10)}, 50, spike.FromDays},
		{"of four days the median", spike.History{Days: []float64{900, 50, 60, 40}, Recent: steady(60, 10)}, 55, spike.FromDays},
		{"one day is not enough", spike.History{Days: []float64{50}, Recent: steady(60, 10)}, 10, spike.FromRecent},
		{"weeks win over days", spike.History{Weeks: []float64{30, 30}, Days: []float64{50, 52, 54}}, 30, spike.FromWeeks},
		{"a quiet weekly slot is raised to the floor", spike.History{Weeks: []float64{0, 1, 0, 2}, Recent: steady(60, 0)}, 3, spike.FromWeeks},
		{"recent buckets are a median: a short spike does not count", spike.History{Recent: append(steady(20, 40), steady(9, 400)...)}, 40, spike.FromRecent},
		{"empty recent buckets count", spike.History{Recent: append(steady(20, 0), steady(11, 40)...)}, 3, spike.FromRecent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.Estimate(tt.h)
			if b.Expected != tt.want || b.Source != tt.from {
				t.Fatalf("Estimate(%+v) = %v from %v, want %v from %v", tt.h, b.Expected, b.Source, tt.want, tt.from)
			}
		})
	}
}

func TestEstimateScale(t *testing.T) {
	p := spike.DefaultParams()
	model := func(e float64) float64 { return math.Sqrt(1 + p.Dispersion*e) }
	alternating := make([]float64, 60)
	for i := range alternating {
		alternating[i] = 10
		if i%2 == 0 {
			alternating[i] = 90
		}
	}
	tests := []struct {
		name     string
		recent   []float64
		min, max float64
	}{
		{"steady traffic keeps the model's spread", steady(60, 40), model(40), model(40)},
		{"jumpy traffic widens it", alternating, 3, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.Estimate(spike.History{Recent: tt.recent})
			if b.Scale < tt.min-1e-9 || b.Scale > tt.max+1e-9 {
				t.Fatalf("scale = %.3f, want within [%.3f, %.3f]", b.Scale, tt.min, tt.max)
			}
		})
	}
}

func TestJumpyTrafficNeedsABiggerJump(t *testing.T) {
	p := spike.DefaultParams()
	calm := p.Estimate(spike.History{Recent: steady(60, 40)})
	jumpy := make([]float64, 60)
	for i := range jumpy {
		jumpy[i] = float64(20 + 40*(i%2))
	}
	wild := p.Estimate(spike.History{Recent: jumpy})
	if lvl, _ := p.Judge(100, calm); lvl != spike.LevelPossible {
		t.Fatalf("100 on a calm 40: %v, want possible", lvl)
	}
	if lvl, z := p.Judge(100, wild); lvl != spike.LevelNone {
		t.Fatalf("100 on a jumpy 40: %v (z=%.2f), want none", lvl, z)
	}
}

func TestEstimateHonoursParams(t *testing.T) {
	p := spike.DefaultParams()
	p.Floor, p.MinWeeks, p.MinRecent = 5, 1, 3
	tests := []struct {
		name string
		h    spike.History
		want float64
		from spike.Source
	}{
		{"one week is enough with min weeks 1", spike.History{Weeks: []float64{50}, Recent: steady(3, 40)}, 50, spike.FromWeeks},
		{"three recent buckets are enough with min recent 3", spike.History{Recent: steady(3, 40)}, 40, spike.FromRecent},
		{"two are not", spike.History{Recent: steady(2, 40)}, 5, spike.FromFloor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.Estimate(tt.h)
			if b.Expected != tt.want || b.Source != tt.from {
				t.Fatalf("Estimate = %v from %v, want %v from %v", b.Expected, b.Source, tt.want, tt.from)
			}
		})
	}
}

func TestEstimateScaleFromSlots(t *testing.T) {
	p := spike.DefaultParams()
	calm := p.Estimate(spike.History{Days: []float64{40, 41, 39, 40, 42, 38, 40}})
	jumpy := p.Estimate(spike.History{Days: []float64{40, 90, 15, 60, 25, 80, 40}})
	if calm.Scale != math.Sqrt(1+p.Dispersion*40) {
		t.Fatalf("calm slots: scale %.3f, want the model's", calm.Scale)
	}
	if jumpy.Scale < 2*calm.Scale {
		t.Fatalf("slots that differ a lot from day to day: scale %.3f, want at least twice %.3f", jumpy.Scale, calm.Scale)
	}
}

func TestEstimateScaleIgnoresTheDailyCurve(t *testing.T) {
	p := spike.DefaultParams()
	falling := make([]float64, 60)
	for i := range falling {
		falling[i] = 250 - 2.5*float64(i) // an evening's steady fall
	}
	if b := p.Estimate(spike.History{Recent: falling}); b.Scale > 1.5*math.Sqrt(1+p.Dispersion*b.Expected) {
		t.Fatalf("scale %.3f on a smooth fall, want about the model's", b.Scale)
	}
}

// Estimate sorts in scratch buffers: the history it is given must come
// back unchanged, and a history longer than the buffers (here 200 recent
// buckets) must be estimated the same whatever its order.
func TestEstimateLeavesHistoryAlone(t *testing.T) {
	p := spike.DefaultParams()
	h := spike.History{Weeks: []float64{9, 3, 6}, Days: []float64{8, 1, 5, 2, 7, 4, 6}}
	for i := range 200 {
		h.Recent = append(h.Recent, float64((i*37)%50))
	}
	want := spike.History{
		Weeks:  append([]float64(nil), h.Weeks...),
		Days:   append([]float64(nil), h.Days...),
		Recent: append([]float64(nil), h.Recent...),
	}
	first := p.Estimate(h)
	for name, pair := range map[string][2][]float64{"weeks": {h.Weeks, want.Weeks}, "days": {h.Days, want.Days}, "recent": {h.Recent, want.Recent}} {
		for i := range pair[0] {
			if pair[0][i] != pair[1][i] {
				t.Fatalf("Estimate changed %s[%d]: %v, was %v", name, i, pair[0][i], pair[1][i])
			}
		}
	}
	if again := p.Estimate(h); again != first {
		t.Fatalf("second Estimate = %+v, first %+v", again, first)
	}
	if first.Expected != 24.5 || !(first.Scale > 1) {
		t.Fatalf("Estimate = %+v, want the recent median 24.5 and a spread above the model's", first)
	}
}
