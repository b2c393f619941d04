package outage

import (
	"math"
	"math/rand/v2"
	"time"
)

// Random draws the shape, length and size of an unscheduled outage starting
// at start: 5 to 25 minutes, 6x to 30x, a step half the time and a spike or
// a ramp otherwise. The caller fills in Service, Symptom and Country.
func Random(rng *rand.Rand, start time.Time) Outage {
	shape := Step
	switch x := rng.Float64(); {
	case x < 0.35:
		shape = Spike
	case x < 0.5:
		shape = Ramp
	}
	const lo, hi = 5 * time.Minute, 25 * time.Minute
	dur := lo + time.Duration(rng.Int64N(int64(hi-lo)))
	return Outage{
		Start:      start,
		Duration:   dur.Round(time.Second),
		Multiplier: math.Round(6 + 24*rng.Float64()),
		Shape:      shape,
		// At least a report every ~100s of "normal" traffic, so a 20x
		// outage on a small bank at night still shows.
		MinBase: 0.01,
	}
}
