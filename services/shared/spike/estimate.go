package spike

import (
	"math"
	"slices"

	"github.com/lapor/lapor/services/shared/baseline"
)

// Source is the history a baseline was estimated from.
type Source uint8

// Sources of a baseline, from the least to the most informed.
const (
	FromFloor  Source = iota // too little history: the floor
	FromRecent               // the service's recent buckets
	FromDays                 // the same time of day in past days
	FromWeeks                // the same time of week in past weeks
)

func (s Source) String() string {
	switch s {
	case FromRecent:
		return "recent"
	case FromDays:
		return "days"
	case FromWeeks:
		return "weeks"
	default:
		return "floor"
	}
}

// History is what a service's past says about one bucket. Slot levels are
// the mean count per bucket over the slot: the bucket at the same time of
// day (or week) and SlotHalfWidth buckets either side, empty buckets as
// zero, so that one quiet or busy minute does not make the level.
type History struct {
	Weeks  []float64 // slot level in each past week inside the history, newest first
	Days   []float64 // slot level in each past day inside the history, newest first
	Recent []float64 // counts of the recent buckets inside the history, empty ones as zero
	// Since, after an incident whose buckets are still in the recent
	// window (which then stays where it was before the incident), holds
	// the counts from the incident's end on: what is normal right after
	// an outage is at least what its tail left.
	Since []float64
}

// Baseline is what a count is judged against.
type Baseline struct {
	Expected float64 // expected count, floor applied
	Scale    float64 // spread of the Anscombe residual at Expected: at least the model's
	Source   Source  // the seasonal history Expected came from, or recent, or the floor
}

// Estimate returns a service's baseline for a bucket from its history.
//
// The seasonal level is the median over past weeks of the slot's level
// once there are MinWeeks of them, else its baseline.DayLevel (the median,
// of two days the lower) over past days once there are MinDays; the recent level is the median of the recent buckets
// once there are MinRecent. The expected count is the larger of the two
// (the floor when neither is known): traffic that is normal now or normal
// at this time of day is not an outage. Medians make both blind to past
// outages shorter than half their span.
//
// The scale starts at the negative binomial's √(1+φe) and rises to the
// service's own spread on the Anscombe scale: the minute-to-minute noise
// of the recent buckets (from neighbours' differences, blind to the daily
// curve) or the day-to-day spread of the slot once there are MinDays, so
// a service whose counts jump about needs a larger jump to alarm.
func (p Params) Estimate(h History) Baseline {
	var (
		seasonal = math.NaN()
		src      = FromFloor
	)
	switch {
	case len(h.Weeks) >= p.MinWeeks:
		seasonal, src = median(h.Weeks), FromWeeks
	case len(h.Days) >= p.MinDays:
		var buf [scratch]float64
		seasonal, src = baseline.DayLevel(append(buf[:0], h.Days...)), FromDays
	}
	e := seasonal
	spread := 0.0
	if len(h.Recent) >= p.MinRecent {
		level := median(h.Recent)
		if len(h.Since) > 0 {
			level = math.Max(level, median(h.Since))
		}
		if math.IsNaN(e) || level > e {
			e, src = level, FromRecent
		}
		spread = anscombeSpread(h.Recent)
	}
	if len(h.Days) >= p.MinDays {
		spread = math.Max(spread, slotSpread(h.Days, h.Weeks, p.MinWeeks))
	}
	e = p.Expected(e)
	return Baseline{Expected: e, Scale: math.Max(p.modelScale(e), spread), Source: src}
}

// modelScale is the negative binomial's standard deviation of 2√X at mean
// e, by the delta method.
func (p Params) modelScale(e float64) float64 { return math.Sqrt(1 + p.Dispersion*e) }

// anscombe is the variance-stabilising transform of a Poisson count.
func anscombe(x float64) float64 { return 2 * math.Sqrt(math.Max(x, 0)+0.375) }

// anscombeSpread is the robust standard deviation of one bucket's noise in
// xs (oldest first) on the Anscombe scale, from the differences between
// neighbouring buckets: 1.4826 times their median absolute value, over √2.
// Differences ignore the slow moves within the window (the daily curve,
// growth), which a spread around the window's median would count as noise.
func anscombeSpread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var buf [scratch]float64
	d := buf[:0]
	prev := anscombe(xs[0])
	for _, x := range xs[1:] {
		a := anscombe(x)
		d = append(d, math.Abs(a-prev))
		prev = a
	}
	return 1.4826 * sortedMedian(d) / math.Sqrt2
}

// slotSpread is the robust spread, on the Anscombe scale, of the same
// slot's level from day to day (and from week to week once there are
// minWeeks of them): 1.4826 times the median absolute deviation of each
// history from its own median, pooled. A service whose traffic at this
// time differs a lot from one day to the next needs a bigger jump.
func slotSpread(days, weeks []float64, minWeeks int) float64 {
	var abuf, dbuf [scratch]float64
	dev := dbuf[:0]
	add := func(xs []float64) {
		a := abuf[:0]
		for _, x := range xs {
			a = append(a, anscombe(x))
		}
		m := sortedMedian(a)
		for _, v := range a {
			dev = append(dev, math.Abs(v-m))
		}
	}
	add(days)
	if len(weeks) >= minWeeks {
		add(weeks)
	}
	return 1.4826 * sortedMedian(dev)
}

// scratch is the length of the stack buffers the estimate sorts in: an
// hour of one-minute buckets fits, so a cycle allocates nothing per
// service; longer histories spill to the heap.
const scratch = 64

// median returns the median of xs (NaN for none). It does not change xs.
func median(xs []float64) float64 {
	var buf [scratch]float64
	return sortedMedian(append(buf[:0], xs...))
}

// sortedMedian returns the median of xs (NaN for none), sorting xs.
func sortedMedian(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
