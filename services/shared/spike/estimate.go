package spike

import (
	"math"

	"github.com/lapor/lapor/services/shared/baseline"
)

// Source is the history a baseline was estimated from.
type Source uint8

// Sources of a baseline, from the least to the most informed.
const (
	FromFloor  Source = iota // too little history: the floor
	FromRecent               // the service's recent buckets
	FromWeeks                // the same time of week in past weeks
)

func (s Source) String() string {
	switch s {
	case FromRecent:
		return "recent"
	case FromWeeks:
		return "weeks"
	default:
		return "floor"
	}
}

// Estimate returns a service's expected count for a bucket, floor
// applied, and where it came from. sameSlot holds the counts at the same
// time of week in past weeks (only weeks inside the service's history);
// recent holds the counts of its recent buckets (only buckets inside its
// history, empty ones as zero). Weeks win when there are MinWeeks of them,
// because they know the time of day; recent buckets stand in for a
// service too new to have them, once there are MinRecent of them; with
// less than that nothing is known and the floor is all there is.
func (p Params) Estimate(sameSlot, recent []float64) (float64, Source) {
	switch {
	case len(sameSlot) >= p.MinWeeks:
		return math.Max(baseline.Median(sameSlot), p.Floor), FromWeeks
	case len(recent) >= p.MinRecent:
		return math.Max(baseline.Median(recent), p.Floor), FromRecent
	}
	return p.Floor, FromFloor
}
