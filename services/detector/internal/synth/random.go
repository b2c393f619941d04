package synth

import (
	"math"
	"math/rand/v2"

	"github.com/lapor/lapor/services/shared/draw"
)

// rng is a deterministic source with the few distributions the suite needs.
// The gamma and Poisson samplers are the shared draw package's.
type rng struct{ r *rand.Rand }

// newRNG returns a source for one stream of a seed: the suite gives every
// service its own streams so that services do not depend on each other or
// on the order they are run in.
func newRNG(seed, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(seed, stream))}
}

// uniform returns a value in [lo, hi).
func (g rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.r.Float64() }

// logUniform returns a value in [lo, hi) whose logarithm is uniform, for
// quantities that span orders of magnitude.
func (g rng) logUniform(lo, hi float64) float64 {
	return math.Exp(g.uniform(math.Log(lo), math.Log(hi)))
}

// intn returns a value in [0, n).
func (g rng) intn(n int) int { return g.r.IntN(n) }

// normal returns a standard normal variate.
func (g rng) normal() float64 { return g.r.NormFloat64() }

// poisson returns a Poisson(mean) variate.
func (g rng) poisson(mean float64) int { return draw.Poisson(g.r, mean) }

// gamma returns a Gamma(shape, 1) variate.
func (g rng) gamma(shape float64) float64 { return draw.Gamma(g.r, shape) }

// gammaPoisson returns a negative binomial count with the given mean and
// Var = mean + φ·mean².
func (g rng) gammaPoisson(mean, phi float64) int { return draw.GammaPoisson(g.r, mean, phi) }
