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
	// chatHalfLife is how fast the record of chatter (bursts that were no
	// incident) fades: longer, since a series that chatters keeps doing so
	// (see "Opening").
	chatHalfLife = 3 * 24 * time.Hour
	// scoreRecordFloor stands in for the record of a series that has had
	// no burst yet (or none for many half-lives).
	scoreRecordFloor = 0.05
	// scoreRise is how much a burst's score must grow over the score it
	// last reported before it reports again.
	scoreRise = 1.5
	// scoreWindow is how many buckets the sustained-rise evidence pools:
	// their counts are summed before the log ratio is taken, so the
	// pseudo-count weighs against a window's worth of reports and a
	// modest rise held for many buckets counts.
	scoreWindow = 12
	// scoreWindowDrift is the log ratio the window's total must beat:
	// about 1.35 times its expected total (after the pseudo-count).
	scoreWindowDrift = 0.3
	// scoreWindowWeight turns the window's log ratio (a per-bucket size)
	// into evidence comparable with the CUSUM's sum over a burst.
	scoreWindowWeight = 4.0
)

// onset is a series' burst state: the evidence the opening rule reads
// (ratio) and the anomaly score's own state (rating).
//
// The opening evidence is a one-sided CUSUM of log ratios: each bucket
// adds log((c+k)/(e+k)) − drift (when its z says the rise is real) and the
// sum never drops below zero; a burst lasts while the sum is positive.
// Its opening record is the decaying maximum of the bursts that began
// against a known expected count (above the floor) only: a new service's
// first reports, a "burst" over the floor, do not make it look bursty to
// the opening rule.
type onset struct {
	decay      float64 // of the opening record, per bucket
	chatDecay  float64 // of the chatter record, per bucket
	sum        float64 // the current burst's evidence, 0 between bursts
	peak       float64 // the current burst's largest evidence
	openRecord float64 // decaying maximum of learnt bursts' evidence
	openBefore float64 // openRecord when the current burst began
	learn      bool    // the current burst began against a known level
	// chatRecord is the opening record of the bursts that never became
	// incidents (sub-threshold chatter) only, for the "possible" bar: a
	// real outage must not raise the bar for the next one.
	chatRecord float64
	chatBefore float64 // chatRecord when the current burst began
	incident   bool    // an incident was open during the current burst
	r          rating
}

// rating is the anomaly score's state. Its evidence is the larger of the
// opening CUSUM and a sustained-rise term from the last scoreWindow
// buckets, so its bursts (and its record) are its own; no decision reads
// it.
type rating struct {
	record float64 // decaying maximum of past bursts' evidence
	sum    float64 // the current burst's evidence, 0 between bursts
	before float64 // the record when the current burst began
	peak   float64 // the current burst's largest evidence
	shown  float64 // the current burst's largest reported score
	// The last scoreWindow buckets' counts and expected counts, a ring:
	// an array, so that copying the state (a bucket stepped again)
	// copies them too.
	counts, exps [scoreWindow]float64
	next, n      int
}

func newOnset(step time.Duration) onset {
	return onset{
		decay:     math.Pow(0.5, float64(step)/float64(scoreHalfLife)),
		chatDecay: math.Pow(0.5, float64(step)/float64(chatHalfLife)),
	}
}

// chatRatio is ratio against the record of chatter bursts only: +Inf for
// a series whose learnt bursts all became incidents.
func (o *onset) chatRatio() float64 { return o.over(o.chatBefore) }

// joined adds the burst that just ended to the opening records.
func (o *onset) joined() {
	if !o.learn {
		return
	}
	o.openRecord = math.Max(o.openRecord, o.peak)
	if !o.incident {
		o.chatRecord = math.Max(o.chatRecord, o.peak)
	}
}

// ratio is the current burst's evidence over the opening record as it
// stood when the burst began: 0 between bursts, +Inf for a series with no
// record.
func (o *onset) ratio() float64 { return o.over(o.openBefore) }

// over is the current burst's evidence as a share of record: 0 between
// bursts, +Inf when the record is too small to count.
func (o *onset) over(record float64) float64 {
	if o.sum <= 0 {
		return 0
	}
	if record <= scoreRecordFloor {
		return math.Inf(1)
	}
	return o.sum / record
}

// skip accounts for n buckets the series was not stepped in, as buckets
// with no reports: the records decay and each drains the burst by at
// least the drift. Their expected counts are unknown, so the score's
// window starts afresh.
func (o *onset) skip(n int) {
	if n <= 0 {
		return
	}
	f := math.Pow(o.decay, float64(n))
	o.openRecord *= f
	o.chatRecord *= math.Pow(o.chatDecay, float64(n))
	o.r.record *= f
	o.r.n, o.r.next = 0, 0
	if o.sum > 0 {
		o.sum = math.Max(0, o.sum-scoreDrift*float64(n))
		if o.sum == 0 {
			o.joined()
		}
	}
	if o.r.sum > 0 {
		o.r.sum = o.sum // the window is gone: only the CUSUM is left
		if o.r.sum == 0 {
			o.r.record = math.Max(o.r.record, o.r.peak)
		}
	}
}

// score rates count c against its decision, updates the state and returns
// the anomaly score. learn says whether the expected count is known
// rather than the floor: only bursts that begin against a known level
// join the opening record.
func (o *onset) score(c float64, d Decision, learn bool) float64 {
	c = math.Max(c, 0)
	u := math.Log((c + scorePseudo) / (d.Expected + scorePseudo))
	if math.IsNaN(u) {
		u = 0
	}
	if !(d.Score >= scoreMinZ) { // NaN too
		u = math.Min(u, 0)
	}
	o.openRecord *= o.decay
	o.chatRecord *= o.chatDecay
	was := o.sum > 0
	o.sum = math.Max(0, o.sum+u-scoreDrift)
	switch {
	case o.sum == 0:
		if was { // the burst is over: it joins the records
			o.joined()
		}
	case !was:
		o.peak = o.sum
		o.openBefore, o.learn = o.openRecord, learn
		o.chatBefore, o.incident = o.chatRecord, false
	default:
		o.peak = math.Max(o.peak, o.sum)
	}
	return o.r.rate(c, d.Expected, o.sum, o.decay)
}

// rate steps the score with count c against expected count e, given the
// opening CUSUM after this bucket.
func (r *rating) rate(c, e, cusum, decay float64) float64 {
	r.record *= decay
	ev := cusum
	if !math.IsNaN(e) {
		r.counts[r.next], r.exps[r.next] = c, e
		r.next = (r.next + 1) % scoreWindow
		r.n = min(r.n+1, scoreWindow)
	}
	if r.n == scoreWindow {
		var sc, se float64
		for i := range scoreWindow {
			sc += r.counts[i]
			se += r.exps[i]
		}
		w := scoreWindowWeight * (math.Log((sc+scorePseudo)/(se+scorePseudo)) - scoreWindowDrift)
		if w > ev { // false for NaN
			ev = w
		}
	}
	was := r.sum > 0
	r.sum = ev
	if !(r.sum > 0) {
		r.sum = 0
		if was { // the burst is over: it joins the record
			r.record = math.Max(r.record, r.peak)
		}
		return 0
	}
	if !was {
		r.before, r.peak, r.shown = r.record, 0, 0
	}
	r.peak = math.Max(r.peak, r.sum)
	x := math.Log(r.sum / math.Max(r.before, scoreRecordFloor))
	if !(x > 0) {
		return 0
	}
	s := x / (x + 1)
	if s <= scoreRise*r.shown {
		return 0
	}
	r.shown = s
	return s
}
