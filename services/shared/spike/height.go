package spike

import "math"

// The score's height (see the package doc, "Anomaly score").
const (
	// heightShare is the busiest share of a series' buckets whose lowest
	// count is the series' height.
	heightShare = 0.01
	// heightBinsPerDoubling sets the histogram's resolution: a height is
	// known to within 2^(1/16), about 4%, which is far finer than the
	// score needs and keeps the histogram a fixed array.
	heightBinsPerDoubling = 16
	// heightBins spans counts up to 2^40.
	heightBins = 40*heightBinsPerDoubling + 1
)

// heights is a histogram, on a log scale, of the counts of a window of
// buckets, from which the series' height is read: the count that the
// busiest heightShare of the window's buckets reach.
type heights struct {
	bins [heightBins]int32
	n    int
}

// heightBin is the bin of count v: 0 for no reports (NaN too: a bucket
// with no row had no reports), then heightBinsPerDoubling bins for each
// doubling of v+1.
func heightBin(v float64) int {
	if !(v > 0) {
		return 0
	}
	return min(int(heightBinsPerDoubling*math.Log2(v+1)), heightBins-1)
}

func (h *heights) add(v float64)    { h.bins[heightBin(v)]++; h.n++ }
func (h *heights) remove(v float64) { h.bins[heightBin(v)]--; h.n-- }

// height is the lowest count among the busiest heightShare of the
// window's buckets (at least one of them), rounded down to its bin; NaN
// for an empty window.
func (h *heights) height() float64 {
	if h.n <= 0 {
		return math.NaN()
	}
	k := max(1, int32(math.Ceil(heightShare*float64(h.n))))
	var c int32
	for b := heightBins - 1; b > 0; b-- {
		if c += h.bins[b]; c >= k {
			return math.Exp2(float64(b)/heightBinsPerDoubling) - 1
		}
	}
	return 0
}

// heighted scales score s of a bucket with count c by how close c comes
// to the series' height, (c+k)/(height+k) with the score's pseudo-count
// k, when c is below it: a burst that stays below what the series'
// busiest buckets reach ranks lower than one that rises above them. An
// unknown (NaN) height leaves s alone.
func heighted(s, c, height float64) float64 {
	if !(s > 0) || math.IsNaN(height) {
		return s
	}
	return s * math.Min(1, (math.Max(c, 0)+scorePseudo)/(height+scorePseudo))
}
