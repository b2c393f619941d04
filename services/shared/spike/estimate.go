package spike

import (
	"math"
	"slices"
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
	Expected float64 // expected count of the bucket; NaN when nothing is known (the floor applies)
	Source   Source  // the seasonal history Expected came from, or recent, or the floor
}

// Estimate returns a service's baseline for a bucket from its history.
//
// The seasonal level is the level (see level) of the slot's values in past
// weeks once there are MinWeeks of them, else in past days once there are
// MinDays; the recent level is the level of the recent buckets once there
// are MinRecent, and at least that of History.Since. The expected count is
// the larger of the two: traffic that is normal now or normal at this
// time of day is not an outage. With neither it is NaN, and the tracker
// uses the floor.
func (p Params) Estimate(h History) Baseline {
	b := Baseline{Expected: math.NaN()}
	switch {
	case len(h.Weeks) >= p.MinWeeks:
		b.Expected, b.Source = level(h.Weeks), FromWeeks
	case len(h.Days) >= p.MinDays:
		b.Expected, b.Source = level(h.Days), FromDays
	}
	if len(h.Recent) >= p.MinRecent {
		l := level(h.Recent)
		if len(h.Since) > 0 {
			l = math.Max(l, level(h.Since))
		}
		if math.IsNaN(b.Expected) || l > b.Expected {
			b.Expected, b.Source = l, FromRecent
		}
	}
	return b
}

// level is a winsorized mean of xs: values above the median (the lower
// middle value of an even number, so that one of two days being an
// outage does not set it) plus one report are pulled down to it before
// averaging. For big counts this is close to the median, which a past
// outage or the start of this one cannot move; for small counts it is
// close to the mean, which is right where a median is not: the median
// minute of a service with a report every ten minutes is zero.
func level(xs []float64) float64 {
	var buf [scratch]float64
	s := append(buf[:0], xs...)
	slices.Sort(s)
	m := s[(len(s)-1)/2]
	limit := m + 1
	sum := 0.0
	for _, x := range s {
		sum += math.Min(x, limit)
	}
	return sum / float64(len(s))
}

// scratch is the length of the stack buffers the estimate sorts in: an
// hour of one-minute buckets fits, so a cycle allocates nothing per
// service; longer histories spill to the heap.
const scratch = 64
