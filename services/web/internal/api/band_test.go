package api

import (
	"math"
	"testing"
)

func TestNBRange(t *testing.T) {
	tests := []struct {
		name           string
		mean, phi      float64
		wantLo, wantHi float64
	}{
		{"zero", 0, 0.05, 0, 0},
		{"NaN", math.NaN(), 0.05, 0, 0},
		// Poisson(1) has P(0)=0.368, P(≤3)=0.981: the 95% range is 0..3.
		{"poisson one", 1, 1e-9, 0, 3},
		// Poisson(10): P(≤3)=0.0103, P(≤4)=0.0293, P(≤15)=0.951, P(≤16)=0.973, P(≤17)=0.986.
		{"poisson ten", 10, 1e-9, 4, 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := nbRange(tc.mean, tc.phi, 0.025)
			if lo != tc.wantLo || hi != tc.wantHi {
				t.Errorf("nbRange(%v, %v) = %v..%v, want %v..%v", tc.mean, tc.phi, lo, hi, tc.wantLo, tc.wantHi)
			}
		})
	}
}

func TestUsualRangeHoldsTheMeanAndWidens(t *testing.T) {
	prevWidth := -1.0
	for _, mean := range []float64{0.5, 2, 5, 10, 50, 200, 999, 1000, 5000, 1e6} {
		lo, hi := usualRange(mean)
		if lo < 0 || lo > mean || hi < mean {
			t.Errorf("usualRange(%v) = %v..%v does not hold the mean", mean, lo, hi)
		}
		if w := hi - lo; w < prevWidth {
			t.Errorf("usualRange(%v) is %v wide, narrower than at a smaller mean (%v)", mean, w, prevWidth)
		} else {
			prevWidth = w
		}
	}
	// At the switch to the normal approximation the band barely moves.
	lo1, hi1 := usualRange(999.9)
	lo2, hi2 := usualRange(1000)
	if math.Abs(lo1-lo2) > 3 || math.Abs(hi1-hi2) > 3 {
		t.Errorf("band jumps at the approximation: %v..%v vs %v..%v", lo1, hi1, lo2, hi2)
	}
}
