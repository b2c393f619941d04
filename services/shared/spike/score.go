package spike

import (
	"math"
	"time"
)

// The anomaly score's settings (see the package doc, "Anomaly score").
const (
	// scorePseudo is added to count and expected count before their ratio
	// is taken, so that 0→3 on a tiny service is a small ratio.
	scorePseudo = 10.0
	// scoreMinZ is the z under which a ratio is not evidence at all.
	scoreMinZ = 3.0
	// scoreHalfLife is how fast the record of past surprises fades.
	scoreHalfLife = 3 * 24 * time.Hour
)

// onset turns a stream's verdicts into an anomaly score in [0, 1] that is
// high at the onset of an unusual rise and low while it lasts: the
// surprise of a bucket is its log ratio to the expected count (when its z
// says it is real), and the score is how far that surprise beats the
// record of surprises the series has had lately, a maximum that decays
// with a half-life of scoreHalfLife.
type onset struct {
	decay  float64 // per bucket
	record float64
}

func newOnset(step time.Duration) onset {
	return onset{decay: math.Pow(0.5, float64(step)/float64(scoreHalfLife))}
}

// score rates count c against its decision and updates the record.
func (o *onset) score(c float64, d Decision) float64 {
	u := math.Log((math.Max(c, 0) + scorePseudo) / (d.Expected + scorePseudo))
	if !(d.Score >= scoreMinZ) { // NaN too
		u = math.Min(u, 0)
	}
	record := o.record
	o.record = math.Max(o.record*o.decay, u)
	excess := u - math.Max(record, 0)
	if excess <= 0 {
		return 0
	}
	return excess / (excess + 1)
}
