package spike

import "math"

// evidence is −log10 of the upper-tail probability P(X ≥ c) of a negative
// binomial count X with mean e and dispersion phi (Var = e + phi·e²;
// phi 0 is Poisson): 0 when c is not above e.
//
// It uses the signed root of the deviance, r = √(2·[y·ln(y/e) −
// (y+k)·ln((y+k)/(e+k))]) with k = 1/phi and the continuity-corrected
// y = c − ½, as a standard normal deviate. The likelihood-ratio root is
// far closer to normal in the tail than the Pearson or Anscombe
// residuals, down to means well under one report, and it errs on the
// side of less surprise (TestEvidenceAgreesWithTheExactPoissonTail). It
// is a handful of logarithms, so every scale of every service can have
// it every bucket.
func evidence(c, e, phi float64) float64 {
	y := c - 0.5
	if !(y > e) || !(e > 0) { // NaN too
		return 0
	}
	dev := y * math.Log(y/e)
	if phi > 0 {
		k := 1 / phi
		dev -= (y + k) * math.Log1p((y-e)/(e+k))
	} else {
		dev -= y - e
	}
	if !(dev > 0) {
		return 0
	}
	return normalTailLog10(math.Sqrt(2 * dev))
}

// normalTailLog10 is −log10 of the standard normal upper tail at z ≥ 0.
// Past z = 30, where Erfc underflows, it uses the asymptotic expansion.
func normalTailLog10(z float64) float64 {
	if z < 30 {
		return -math.Log10(0.5 * math.Erfc(z/math.Sqrt2))
	}
	lnTail := -z*z/2 - math.Log(z*math.Sqrt(2*math.Pi)) + math.Log1p(-1/(z*z))
	return -lnTail / math.Ln10
}
