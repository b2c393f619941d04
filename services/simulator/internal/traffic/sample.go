package traffic

import (
	"math"
	"math/rand/v2"
	"time"
)

// DefaultDispersion is the gamma shape of the per-minute noise that live
// traffic and backfilled history share.
const DefaultDispersion = 5.0

// Noise multiplies each service's rate by a gamma-distributed factor with
// mean 1, drawn afresh every minute. Arrivals that are Poisson given the
// factor are overdispersed (negative binomial) per minute, which is what
// the detector sees in real traffic.
type Noise struct {
	rng     *rand.Rand
	shape   float64
	minute  int64
	factors []float64
}

// NewNoise returns noise for n services. Smaller shape means burstier
// traffic: the variance of a minute's count with mean μ is μ + μ²/shape.
// A shape of 0 or less turns the noise off.
func NewNoise(rng *rand.Rand, n int, shape float64) *Noise {
	f := make([]float64, n)
	for i := range f {
		f[i] = 1
	}
	return &Noise{rng: rng, shape: shape, minute: math.MinInt64, factors: f}
}

// Factor is service i's multiplier during the minute that holds t.
func (n *Noise) Factor(i int, t time.Time) float64 {
	if n.shape <= 0 {
		return 1
	}
	if m := t.Unix() / 60; m != n.minute {
		n.minute = m
		for j := range n.factors {
			n.factors[j] = Gamma(n.rng, n.shape) / n.shape
		}
	}
	return n.factors[i]
}

// Poisson draws a Poisson-distributed count with mean lambda.
func Poisson(rng *rand.Rand, lambda float64) int {
	switch {
	case !(lambda > 0):
		return 0
	case lambda < 30:
		// Knuth: count uniform draws until their product falls below e^-λ.
		limit := math.Exp(-lambda)
		k, p := 0, rng.Float64()
		for p > limit {
			k++
			p *= rng.Float64()
		}
		return k
	default:
		// For large means the normal approximation is close enough for
		// load generation and costs one draw.
		n := math.Round(lambda + math.Sqrt(lambda)*rng.NormFloat64())
		if n < 0 {
			return 0
		}
		return int(n)
	}
}

// Gamma draws from a gamma distribution with the shape and scale 1
// (Marsaglia and Tsang).
func Gamma(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		// Boost: Gamma(a) = Gamma(a+1) · U^(1/a).
		return Gamma(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
