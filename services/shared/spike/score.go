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
	// scoreMinZ is the z under which a bucket adds no evidence of a rise.
	// It is below the alert's: several buckets of z ≥ 2 in a row are
	// evidence together that none is alone.
	scoreMinZ = 2.0
	// scoreDrift is the log ratio a bucket must beat to add to the
	// burst's evidence: about 1.8 times the expected count (after the
	// pseudo-count). Smaller rises are ordinary noise and drain it.
	scoreDrift = 0.6
	// scoreHalfLife is how fast the record of past bursts fades: a burst
	// is judged against the bursts of the last few days.
	scoreHalfLife = 2 * 24 * time.Hour
	// scoreRecordFloor stands in for the record of a series that has had
	// no burst yet (or none for many half-lives).
	scoreRecordFloor = 0.05
	// scoreRise is how much a burst's score must grow over the score it
	// last reported before it reports again.
	scoreRise = 1.5
)

// onset turns a stream's verdicts into an anomaly score in [0, 1] that is
// high when a burst starts (or grows well past what it was) and zero
// otherwise.
//
// The evidence of a burst is a one-sided CUSUM of log ratios: each bucket
// adds log((c+k)/(e+k)) − drift (when its z says the rise is real) and the
// sum never drops below zero; a burst lasts while the sum is positive. So
// one large bucket and a few moderately raised buckets in a row both make
// evidence. The score compares that evidence with the record of the
// series' past bursts (the largest evidence of each, a maximum decaying
// with a half-life of scoreHalfLife) as it stood when the burst began: a
// series full of bursts needs a bigger one to score high. Within a burst
// a score is reported only when it beats scoreRise times the last one
// reported, so a burst is announced once, again only if it becomes a
// clearly bigger one, and never bucket after bucket.
type onset struct {
	decay  float64 // of the record, per bucket
	record float64 // decaying maximum of past bursts' evidence
	sum    float64 // the current burst's evidence, 0 between bursts
	before float64 // the record when the current burst began
	peak   float64 // the current burst's largest evidence
	shown  float64 // the current burst's largest reported score
	// The opening record is the record of the bursts that began against
	// a known expected count (above the floor) only: a new service's
	// first reports, a "burst" over the floor, do not make it look bursty
	// to the opening rule. The score keeps the plain record.
	openRecord float64 // decaying maximum of those bursts' evidence
	openBefore float64 // openRecord when the current burst began
	learn      bool    // the current burst began against a known level
}

func newOnset(step time.Duration) onset {
	return onset{decay: math.Pow(0.5, float64(step)/float64(scoreHalfLife))}
}

// ratio is the current burst's evidence over the opening record as it
// stood when the burst began: 0 between bursts, +Inf for a series with no
// record.
func (o *onset) ratio() float64 {
	if o.sum <= 0 {
		return 0
	}
	if o.openBefore <= scoreRecordFloor {
		return math.Inf(1)
	}
	return o.sum / o.openBefore
}

// skip accounts for n buckets the series was not stepped in, as buckets
// with no reports: the record decays and each drains the burst by at
// least the drift.
func (o *onset) skip(n int) {
	if n <= 0 {
		return
	}
	o.record *= math.Pow(o.decay, float64(n))
	o.openRecord *= math.Pow(o.decay, float64(n))
	if o.sum > 0 {
		o.sum = math.Max(0, o.sum-scoreDrift*float64(n))
		if o.sum == 0 {
			o.end()
		}
	}
}

// end puts the burst that just ended into the records.
func (o *onset) end() {
	o.record = math.Max(o.record, o.peak)
	if o.learn {
		o.openRecord = math.Max(o.openRecord, o.peak)
	}
}

// score rates count c against its decision and updates the state.
// learn says whether the expected count is known rather than the floor:
// only bursts that begin against a known level join the record, so a new
// service's first reports (a "burst" over the floor) do not make it look
// bursty.
func (o *onset) score(c float64, d Decision, learn bool) float64 {
	u := math.Log((math.Max(c, 0) + scorePseudo) / (d.Expected + scorePseudo))
	if math.IsNaN(u) {
		u = 0
	}
	if !(d.Score >= scoreMinZ) { // NaN too
		u = math.Min(u, 0)
	}
	o.record *= o.decay
	o.openRecord *= o.decay
	was := o.sum > 0
	o.sum = math.Max(0, o.sum+u-scoreDrift)
	if o.sum == 0 {
		if was { // the burst is over: it joins the record
			o.end()
		}
		return 0
	}
	if !was {
		o.before, o.peak, o.shown = o.record, 0, 0
		o.openBefore, o.learn = o.openRecord, learn
	}
	o.peak = math.Max(o.peak, o.sum)
	x := math.Log(o.sum / math.Max(o.before, scoreRecordFloor))
	if !(x > 0) {
		return 0
	}
	s := x / (x + 1)
	if s <= scoreRise*o.shown {
		return 0
	}
	o.shown = s
	return s
}
