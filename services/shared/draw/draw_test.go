package draw

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, lambda := range []float64{0.05, 1, 7, 29, 31, 200} {
		var xs []float64
		for range 20000 {
			xs = append(xs, float64(Poisson(rng, lambda)))
		}
		mean, variance := meanVar(xs)
		if math.Abs(mean-lambda) > 0.05*lambda+0.02 || math.Abs(variance-lambda) > 0.1*lambda+0.02 {
			t.Errorf("Poisson(%v): mean %.3f variance %.3f", lambda, mean, variance)
		}
	}
	for _, shape := range []float64{0.5, 1, 5} {
		var xs []float64
		for range 20000 {
			xs = append(xs, Gamma(rng, shape))
		}
		mean, variance := meanVar(xs)
		if math.Abs(mean-shape) > 0.05*shape || math.Abs(variance-shape) > 0.1*shape {
			t.Errorf("Gamma(%v): mean %.3f variance %.3f", shape, mean, variance)
		}
	}
	if Poisson(rng, 0) != 0 || Poisson(rng, -1) != 0 || Poisson(rng, math.NaN()) != 0 {
		t.Error("non-positive mean gave arrivals")
	}
}

// The negative binomial keeps its mean and has Var = mean + φ·mean².
func TestGammaPoisson(t *testing.T) {
	tests := []struct {
		name      string
		mean, phi float64
	}{
		{"poisson small", 3, 0},
		{"poisson large", 250, 0},
		{"overdispersed", 200, 0.05},
		{"overdispersed small", 4, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 1))
			var xs []float64
			for range 40000 {
				xs = append(xs, float64(GammaPoisson(r, tt.mean, tt.phi)))
			}
			m, v := meanVar(xs)
			wantV := tt.mean + tt.phi*tt.mean*tt.mean
			if math.Abs(m-tt.mean) > 0.03*tt.mean || math.Abs(v-wantV) > 0.1*wantV {
				t.Errorf("mean %.2f variance %.2f, want %.2f and %.2f", m, v, tt.mean, wantV)
			}
		})
	}
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs))
}
