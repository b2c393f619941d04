package traffic

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/lapor/lapor/services/shared/draw"
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
			n.factors[j] = draw.Gamma(n.rng, n.shape) / n.shape
		}
	}
	return n.factors[i]
}
