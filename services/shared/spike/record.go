package spike

import (
	"math"
	"time"
)

// Record is what a service's past taught the tracker: the dispersion and
// the tail learnt at each of Scales (see "Dispersion" and "Calibration"). The tracker keeps it in
// memory; Records and RestoreRecord let a restarted detector carry on
// with it instead of starting every service from the prior.
type Record struct {
	// At is the last bucket the record has taken into account.
	At     time.Time
	Spread [nScales]Moments // by scale, as Scales orders them
	Tail   [nScales]Tail
}

// IsZero reports whether the record says nothing: no scale has learnt.
func (r Record) IsZero() bool {
	for _, m := range r.Spread {
		if m.Den > 0 {
			return false
		}
	}
	return true
}

// Records calls fn with the record of every service that has one, as of
// the bucket before the latest one stepped (which may still be filling:
// a bucket teaches only once a newer one is stepped).
func (t *Tracker) Records(fn func(service string, r Record)) {
	for name, s := range t.series {
		r := Record{At: s.at.Add(-t.p.Bucket), Spread: s.disp, Tail: s.tail}
		if !r.IsZero() {
			fn(name, r)
		}
	}
}

// RestoreRecord gives a service the record a previous tracker had, as
// Records reported it. It replaces any state the service has; restore
// before the first step. Values that are not finite, weights that are not
// positive and rates above 1 count as nothing learnt. The spans start
// empty.
func (t *Tracker) RestoreRecord(service string, r Record) {
	s := newSeries(t.p.Bucket)
	for j, m := range r.Spread {
		if m.Den > 0 && !math.IsInf(m.Den, 0) && !math.IsNaN(m.Num) && !math.IsInf(m.Num, 0) {
			s.disp[j] = m
		}
	}
	for j, tl := range r.Tail {
		// A rate is a share of buckets: one above 1 (a corrupt save) would
		// make every burst ordinary and silence the service for good.
		if tl.Rate > 0 && tl.Rate <= 1 && tl.Excess > 0 && !math.IsInf(tl.Excess, 0) {
			s.tail[j] = tl
		}
	}
	// As the state after r.At with the next bucket not stepped yet: the
	// next step starts the spans, and Records gives back r.At until then.
	s.at = r.At.Add(t.p.Bucket)
	t.series[service] = s
}

// Prime gives a service whose spans are empty (new to the tracker, or
// only restored from a Record) the counts of the buckets just before
// bucket, oldest first, each at expected count e (NaN: the floor), so
// that a restarted detector's long spans hold the last hour at once
// instead of refilling over it. Primed buckets teach nothing. A service
// whose spans hold anything, or that was stepped at or after bucket, is
// left alone.
func (t *Tracker) Prime(service string, bucket time.Time, counts []float64, e float64) {
	s := t.series[service]
	if s == nil {
		s = newSeries(t.p.Bucket)
	}
	last := bucket.Add(-t.p.Bucket)
	if s.n > 0 || len(counts) == 0 || !s.at.IsZero() && s.at.After(last) {
		return
	}
	counts = counts[max(0, len(counts)-maxScale):]
	rate := t.p.Expected(e)
	for _, c := range counts {
		s.push(math.Max(0, c), rate)
	}
	s.at, s.learn, s.open = last, false, false
	t.series[service] = s
}
