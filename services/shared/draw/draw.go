// Package draw samples the count distributions that Lapor's simulations
// need and math/rand/v2 lacks: gamma, Poisson, and their mixture, the
// negative binomial of overdispersed report traffic. The simulator's
// traffic and the detector's synthetic suite draw from the same code.
package draw

import (
	"math"
	"math/rand/v2"
)

// Gamma returns a Gamma(shape, 1) variate (Marsaglia and Tsang's method;
// shapes below one are boosted by one and scaled back by U^(1/shape)).
func Gamma(r *rand.Rand, shape float64) float64 {
	if shape <= 0 {
		return 0
	}
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return Gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Poisson returns a Poisson(mean) variate: by multiplying uniforms for
// small means, by Hörmann's transformed rejection (PTRS) for larger ones,
// which costs about the same whatever the mean.
func Poisson(r *rand.Rand, mean float64) int {
	switch {
	case !(mean > 0):
		return 0
	case mean < 10:
		limit := math.Exp(-mean)
		k, p := 0, r.Float64()
		for p > limit {
			k++
			p *= r.Float64()
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
		u := r.Float64() - 0.5
		v := r.Float64()
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

// GammaPoisson returns a negative binomial count with the given mean and
// Var = mean + φ·mean²: a Poisson count whose rate is scaled by a gamma
// factor of mean 1 and variance φ.
func GammaPoisson(r *rand.Rand, mean, phi float64) int {
	if phi <= 0 {
		return Poisson(r, mean)
	}
	return Poisson(r, mean*Gamma(r, 1/phi)*phi)
}
