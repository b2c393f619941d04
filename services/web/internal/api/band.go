package api

import (
	"math"

	"github.com/lapor/lapor/services/shared/spike"
)

// bandCover is the share of buckets that the usual range holds when
// nothing is wrong.
const bandCover = 0.95

// exactBandBelow is the mean under which the band's quantiles are summed
// term by term; above it the sum would take too long and a gamma with the
// same mean and variance is within a fraction of a percent.
const exactBandBelow = 1000

// usualRange is the range that a count for a bucket whose baseline is mean
// falls in about 95% of the time: the 2.5% and 97.5% quantiles of a
// negative binomial with that mean and the detector's dispersion φ
// (variance mean + φ·mean²), the same overdispersed model that the
// detector's scores use.
func usualRange(mean float64) (lo, hi float64) {
	return nbRange(mean, spike.DefaultParams().Dispersion, (1-bandCover)/2)
}

// nbRange returns the tail and 1−tail quantiles of a negative binomial
// with the given mean and dispersion.
func nbRange(mean, phi, tail float64) (lo, hi float64) {
	if !(mean > 0) || math.IsInf(mean, 0) {
		return 0, 0
	}
	if mean >= exactBandBelow {
		return gammaQuantile(mean, phi, -tailZ(tail)), gammaQuantile(mean, phi, tailZ(tail))
	}
	if phi <= 0 {
		phi = 1e-9 // Poisson; the sum below needs a finite r
	}
	r := 1 / phi
	p := r / (r + mean) // success probability; P(0) = p^r
	pk := math.Exp(r * math.Log(p))
	cdf := pk
	lo = -1
	for k := 0.0; ; k++ {
		if lo < 0 && cdf >= tail {
			lo = k
		}
		if cdf >= 1-tail {
			return lo, k
		}
		pk *= (k + r) / (k + 1) * (1 - p)
		cdf += pk
		if pk == 0 && k > mean {
			// Rounding left the sum short of 1−tail; the count here is far
			// past any real upper end.
			return math.Max(lo, 0), k
		}
	}
}

// tailZ is the standard normal quantile above which tail of the mass lies.
func tailZ(tail float64) float64 { return -math.Sqrt2 * math.Erfinv(2*tail-1) }

// gammaQuantile is the Wilson–Hilferty approximation of the quantile at
// normal score z of a gamma with the mean and variance of the negative
// binomial, rounded to a whole count.
func gammaQuantile(mean, phi, z float64) float64 {
	variance := mean + phi*mean*mean
	shape := mean * mean / variance
	c := 1 / (9 * shape)
	q := mean * math.Pow(math.Max(0, 1-c+z*math.Sqrt(c)), 3)
	if z < 0 {
		return math.Max(0, math.Floor(q))
	}
	return math.Ceil(q)
}
