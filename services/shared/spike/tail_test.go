package spike

import (
	"math"
	"testing"
)

// poissonTail is −log10 P(X ≥ c) for X ~ Poisson(e), summed exactly.
func poissonTail(c int, e float64) float64 {
	// P(X ≥ c) = 1 − P(X < c); summed from the top for small tails.
	sum, term := 0.0, math.Exp(-e+float64(c)*math.Log(e)-lgamma(float64(c)+1))
	for k := c; k < c+2000 && term > 0; k++ {
		sum += term
		term *= e / float64(k+1)
	}
	return -math.Log10(sum)
}

func lgamma(x float64) float64 { v, _ := math.Lgamma(x); return v }

func TestEvidenceAgreesWithTheExactPoissonTail(t *testing.T) {
	tests := []struct {
		name string
		c    int
		e    float64
	}{
		{"tiny mean, a handful", 5, 0.6},
		{"tiny mean, one hour of an outage", 240, 6},
		{"one report where a tenth was expected", 2, 0.1},
		{"moderate", 20, 5},
		{"big service, +50%", 150, 100},
		{"big service, ×3", 300, 100},
		{"huge service, +10%", 11000, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := evidence(float64(tt.c), tt.e, 0), poissonTail(tt.c, tt.e)
			// The deviance root errs on the side of less surprise, by
			// little: never more surprised, and within 15% (or 0.5).
			if got > want+0.05 || got < want-math.Max(0.5, 0.15*want) {
				t.Fatalf("evidence(%d, %v) = %.2f, exact %.2f", tt.c, tt.e, got, want)
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	t.Run("nothing above the mean is evidence", func(t *testing.T) {
		for _, c := range []float64{0, 1, 5, 10} {
			if got := evidence(c, 10, 0.05); got != 0 {
				t.Fatalf("evidence(%v, 10) = %v, want 0", c, got)
			}
		}
	})
	t.Run("grows with the count", func(t *testing.T) {
		prev := 0.0
		for c := 11.0; c < 200; c++ {
			got := evidence(c, 10, 0.05)
			if got < prev {
				t.Fatalf("evidence(%v) = %v < evidence(%v) = %v", c, got, c-1, prev)
			}
			prev = got
		}
	})
	t.Run("overdispersion lowers it", func(t *testing.T) {
		if a, b := evidence(300, 100, 0), evidence(300, 100, 0.1); !(b < a) {
			t.Fatalf("φ 0.1 gives %v, Poisson %v", b, a)
		}
	})
	t.Run("no mean is no evidence, not a panic", func(t *testing.T) {
		for _, e := range []float64{0, -1, math.NaN()} {
			if got := evidence(10, e, 0.05); got != 0 {
				t.Fatalf("evidence(10, %v) = %v", e, got)
			}
		}
	})
	t.Run("the normal tail is continuous where it changes method", func(t *testing.T) {
		a, b := normalTailLog10(29.999), normalTailLog10(30.001)
		if math.Abs(a-b) > 0.05 {
			t.Fatalf("tail at 30: %v then %v", a, b)
		}
	})
}
