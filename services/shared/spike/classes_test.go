package spike_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/draw"
	"github.com/lapor/lapor/services/shared/spike"
)

// TestVolumeClasses pins each volume class of service with an outage that
// must open an incident, and with a week of ordinary noise (a daily curve,
// days that differ, overdispersed minutes) that must open none.
func TestVolumeClasses(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64 // mean reporters a minute
		times float64 // the outage multiplies the rate by this
		mins  int     // for this many minutes
	}{
		{"under 0.1 a minute: 0.05 becomes 1 for an hour", 0.05, 20, 60},
		{"0.1–1 a minute: 0.5 becomes 2.5 for half an hour", 0.5, 5, 30},
		{"1–10 a minute: 5 becomes 15 for ten minutes", 5, 3, 10},
		{"10–100 a minute: 50 becomes 150 for ten minutes", 50, 3, 10},
		{"over 100 a minute: 500 becomes 1500 for ten minutes", 500, 3, 10},
	}
	const (
		history = 15 * 24 * 60 // two weeks and a day before the week judged
		week    = 7 * 24 * 60
	)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := spike.NewStream(spike.DefaultParams(), time.Minute, time.Hour, 4)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, uint64(i)))
			t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			day := 1.0
			outage := history + week + 14*60 // in the afternoon after the week of noise
			var falseOpen, found int
			for m := 0; m < outage+120; m++ {
				if m%(24*60) == 0 {
					day = 0.8 + 0.4*r.Float64() // days differ by ±20%
				}
				mean := tt.rate * day * (1 + 0.6*math.Sin(2*math.Pi*float64(m%(24*60))/(24*60)-math.Pi/2))
				if m >= outage && m < outage+tt.mins {
					mean *= tt.times
				}
				p := st.Observe(t0.Add(time.Duration(m)*time.Minute), float64(draw.GammaPoisson(r, mean, 0.02)))
				switch {
				case p.Kind != spike.Opened:
				case m >= history && m < outage:
					falseOpen++
				case m >= outage && m < outage+tt.mins && found == 0:
					found = m - outage + 1
				}
			}
			if falseOpen > 0 {
				t.Errorf("%d incidents in a week of ordinary noise", falseOpen)
			}
			if found == 0 {
				t.Errorf("the outage opened no incident")
			}
		})
	}
}
