package synth

import (
	"math"
	"math/rand/v2"
)

// rng is a deterministic source with the few distributions the suite needs.
// math/rand/v2 has no gamma or Poisson sampler, so they are written here.
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

// gamma returns a Gamma(shape, 1) variate (Marsaglia and Tsang's method;
// shapes below one are boosted by one and scaled back by U^(1/shape)).
func (g rng) gamma(shape float64) float64 {
	if shape <= 0 {
		return 0
	}
	if shape < 1 {
		u := g.r.Float64()
		for u == 0 {
			u = g.r.Float64()
		}
		return g.gamma(shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := g.normal()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := g.r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// poisson returns a Poisson(mean) variate: by multiplying uniforms for
// small means, by Hörmann's transformed rejection (PTRS) for larger ones,
// which costs about the same whatever the mean.
func (g rng) poisson(mean float64) int {
	switch {
	case !(mean > 0):
		return 0
	case mean < 10:
		limit := math.Exp(-mean)
		k, p := 0, g.r.Float64()
		for p > limit {
			k++
			p *= g.r.Float64()
		}
		return k
	}
	slam := math.Sqrt(mean)
	loglam := math.Log(mean)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := g.r.Float64() - 0.5
		v := g.r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mean + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -mean+k*loglam-lg {
			return int(k)
		}
	}
}

// gammaPoisson returns a negative binomial count with the given mean and
// Var = mean + φ·mean²: a Poisson count whose rate is scaled by a gamma
// factor of mean 1 and variance φ.
func (g rng) gammaPoisson(mean, phi float64) int {
	if phi <= 0 {
		return g.poisson(mean)
	}
	return g.poisson(mean * g.gamma(1/phi) * phi)
}
