package spike

import "math"

// Judgement is one span's numbers at a service's latest bucket: what it
// held, what it was expected to hold, and the counts at which it would
// have opened "possible problems" and "problems detected" there. They are
// what a chart should draw the count against, so that a reader sees the
// same line the detector used.
type Judgement struct {
	Span     int     // buckets summed, ending with the latest
	Count    float64 // reporters the span holds
	Expected float64 // its expected sum
	// Possible and Detected are the fewest reporters in the span that
	// reach each level at its current dispersion and calibration: the
	// largest of the minimum reporters, the ratio over Expected and the
	// count whose evidence reaches the level's threshold.
	Possible, Detected float64
}

// Judgements appends to dst one Judgement per scale of Scales for the
// service's latest bucket, or returns dst unchanged for a service never
// stepped. A span counts the buckets the ring holds even after an
// incident emptied it for judging (the counts are still the real ones),
// so the numbers exist every bucket, also in the hour after an outage
// when the long spans cannot open a new one yet.
func (t *Tracker) Judgements(service string, dst []Judgement) []Judgement {
	s := t.series[service]
	if s == nil || s.at.IsZero() {
		return dst
	}
	for j, w := range Scales {
		var c, e float64
		for k := range w {
			i := s.back(k)
			c += s.counts[i]
			e += s.rates[i]
		}
		phi := s.disp[j].dispersion(t.p.Dispersion)
		tail := s.tail[j]
		dst = append(dst, Judgement{
			Span: w, Count: c, Expected: e,
			Possible: t.p.reach(e, phi, tail, s.alpha, t.p.MinReporters, t.p.PossibleRatio, t.p.PossibleEvidence),
			Detected: t.p.reach(e, phi, tail, s.alpha, 2*t.p.MinReporters, t.p.DetectedRatio, t.p.DetectedEvidence),
		})
	}
	return dst
}

// reach is the fewest whole reporters in a span expected to hold e that
// judge counts at a level: at least least, at least ratio·e, and with
// calibrated evidence of at least ev (see series.judge). Evidence only
// grows with the count, so a doubling search and then a bisection find it.
func (p Params) reach(e, phi float64, tail Tail, alpha, least, ratio, ev float64) float64 {
	lo := math.Ceil(math.Max(least, ratio*e))
	enough := func(c float64) bool {
		return tail.calibrated(math.Max(0, evidence(c, e, phi)-bonferroni), alpha) >= ev
	}
	if enough(lo) {
		return lo
	}
	hi := math.Max(lo, 1)
	for !enough(hi) {
		lo = hi
		hi *= 2
		if hi > 1e15 { // no finite count would: a corrupt state, not a reader's problem
			return math.Inf(1)
		}
	}
	// enough(hi) and not enough(lo): the answer is in (lo, hi].
	for hi-lo > 1 {
		mid := math.Floor((lo + hi) / 2)
		if enough(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
