package traffic

import (
	"math"
	"math/rand/v2"
)

// SymptomWeights makes a service's first indicator the most common
// complaint and each later one rarer: weight 1/(j+1)^1.3 for the j-th of n,
// cumulated and normalised for PickCumulative.
func SymptomWeights(n int) []float64 {
	cum := make([]float64, n)
	sum := 0.0
	for j := range n {
		sum += 1 / math.Pow(float64(j+1), 1.3)
		cum[j] = sum
	}
	for j := range cum {
		cum[j] /= sum
	}
	return cum
}

// PickCumulative draws an index from cumulative weights that end at 1.
func PickCumulative(rng *rand.Rand, cum []float64) int {
	x := rng.Float64()
	for j, c := range cum {
		if x < c {
			return j
		}
	}
	return len(cum) - 1
}

// PickForOutage chooses a service for a random outage among those that
// busy does not exclude: big ones more often but small ones too (weight
// √popularity). It returns -1 when every service is busy.
func (m *Model) PickForOutage(rng *rand.Rand, busy func(i int) bool) int {
	total := 0.0
	for i, svc := range m.services {
		if !busy(i) {
			total += math.Sqrt(svc.Weight)
		}
	}
	if total == 0 {
		return -1
	}
	x := rng.Float64() * total
	for i, svc := range m.services {
		if busy(i) {
			continue
		}
		if x -= math.Sqrt(svc.Weight); x < 0 {
			return i
		}
	}
	return -1
}
