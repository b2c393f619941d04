package spike

import (
	"math"
	"testing"
	"time"
)

// runOnset scores counts against a steady expected count of 30, z from the
// model, one five-minute bucket each.
func runOnset(counts []float64) []float64 {
	p := DefaultParams()
	o := newOnset(5 * time.Minute)
	out := make([]float64, len(counts))
	for i, c := range counts {
		b := Baseline{Expected: 30, Scale: p.modelScale(30)}
		_, z := p.Judge(uint32(c), b)
		out[i] = o.score(c, Decision{Score: z, Expected: 30}, true)
	}
	return out
}

// steady is n buckets of ordinary traffic around 30.
func steady(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(25 + 3*(i%4))
	}
	return out
}

func burst(n int, c float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func concat(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestOnsetScore(t *testing.T) {
	tests := []struct {
		name   string
		counts []float64
		check  func(t *testing.T, s []float64)
	}{
		{
			name:   "steady traffic scores zero",
			counts: steady(500),
			check: func(t *testing.T, s []float64) {
				for i, v := range s {
					if v != 0 {
						t.Fatalf("score %v at %d of steady traffic", v, i)
					}
				}
			},
		},
		{
			name:   "a burst scores at its start, not while it lasts",
			counts: concat(steady(300), burst(20, 200), steady(100)),
			check: func(t *testing.T, s []float64) {
				if s[300] < 0.5 {
					t.Fatalf("first bucket of the burst scores %v, want at least 0.5", s[300])
				}
				reported := 0
				for i := 301; i < len(s); i++ {
					if s[i] > 0 {
						reported++
					}
				}
				// Evidence grows for a while: a few larger reports at most.
				if reported > 3 {
					t.Fatalf("burst reported again in %d buckets, want at most 3", reported)
				}
			},
		},
		{
			name:   "the same burst soon again scores lower",
			counts: concat(steady(300), burst(3, 150), steady(300), burst(3, 150), steady(10)),
			check: func(t *testing.T, s []float64) {
				first, second := maxOf(s[300:310]), maxOf(s[603:613])
				if !(second < first) {
					t.Fatalf("repeat scores %v, first %v: want lower", second, first)
				}
			},
		},
		{
			// After a spike yesterday, one bucket at 80 is no news; twelve
			// in a row are.
			name:   "a moderate rise that persists builds a score",
			counts: concat(steady(300), burst(1, 150), steady(300), burst(1, 80), steady(20), burst(12, 80), steady(10)),
			check: func(t *testing.T, s []float64) {
				if v := maxOf(s[601:622]); v != 0 {
					t.Fatalf("one bucket at 80 scores %v", v)
				}
				if s[622] != 0 {
					t.Fatalf("first bucket of the rise scores %v, want 0", s[622])
				}
				if maxOf(s[622:634]) == 0 {
					t.Fatal("persistent rise never scored")
				}
			},
		},
		{
			// 1.5 times the level is under the per-bucket drift, but an
			// hour of it is a rise the window sees.
			name:   "a small rise held for an hour scores",
			counts: concat(steady(300), burst(24, 45), steady(10)),
			check: func(t *testing.T, s []float64) {
				if s[300] != 0 {
					t.Fatalf("first bucket of the rise scores %v, want 0", s[300])
				}
				if maxOf(s[300:324]) == 0 {
					t.Fatal("an hour at 1.5 times the level never scored")
				}
			},
		},
		{
			name:   "a slight rise held for an hour is noise",
			counts: concat(steady(300), burst(24, 36), steady(10)),
			check: func(t *testing.T, s []float64) {
				if v := maxOf(s[300:]); v != 0 {
					t.Fatalf("an hour at 1.2 times the level scores %v", v)
				}
			},
		},
		{
			name:   "a single bucket at twice the level is noise",
			counts: concat(steady(300), burst(1, 60), steady(10)),
			check: func(t *testing.T, s []float64) {
				if v := maxOf(s[300:]); v != 0 {
					t.Fatalf("one bucket at 2x scores %v", v)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := runOnset(tt.counts)
			for i, v := range s {
				if v < 0 || v > 1 || math.IsNaN(v) {
					t.Fatalf("score %v at %d out of [0, 1]", v, i)
				}
			}
			tt.check(t, s)
		})
	}
}

// TestOnsetWindowLeavesOpeningAlone checks that the score's sustained-rise
// evidence does not reach the opening rule, which reads the CUSUM only.
func TestOnsetWindowLeavesOpeningAlone(t *testing.T) {
	p := DefaultParams()
	o := newOnset(5 * time.Minute)
	for i, c := range concat(steady(300), burst(24, 45)) {
		b := Baseline{Expected: 30, Scale: p.modelScale(30)}
		_, z := p.Judge(uint32(c), b)
		o.score(c, Decision{Score: z, Expected: 30}, true)
		if r := o.ratio(); r != 0 {
			t.Fatalf("opening ratio %v at %d, want 0: the CUSUM never moves at 1.5 times", r, i)
		}
	}
	if o.r.sum <= 0 {
		t.Fatal("the score's evidence never moved")
	}
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}
