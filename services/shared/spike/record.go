package spike

import (
	"math"
	"time"
)

// Record is what a service's past bursts left behind: the decaying
// maxima that the opening rules and the anomaly score compare a new burst
// with (see "Opening" and "Anomaly score"). The tracker keeps it in
// memory; Records and RestoreRecord let a restarted detector carry on
// with it instead of starting every service without one.
type Record struct {
	// At is the last bucket the record has taken into account; it decays
	// from there, as if the buckets since had no reports, until the
	// service is stepped again.
	At    time.Time
	Open  float64 // evidence of all learnt bursts (the "detected" bar)
	Chat  float64 // evidence of the bursts that were no incident (the "possible" bar)
	Score float64 // the anomaly score's record of its own bursts
}

// IsZero reports whether the record says nothing: every maximum is at or
// below the floor under which a record counts as none.
func (r Record) IsZero() bool {
	return !(r.Open > scoreRecordFloor || r.Chat > scoreRecordFloor || r.Score > scoreRecordFloor)
}

// Records calls fn with the record of every service that has one, as of
// the bucket before the latest one stepped (which may still be filling).
// A burst still under way joins it only if it has had an incident: that
// outage is announced, and a restart must not let it count as new and be
// announced again. A burst under way without an incident is left out, so
// that a restart in the middle of one can only make the detector as eager
// to open it as one that never saw it, never slower.
func (t *Tracker) Records(fn func(service string, r Record)) {
	for s, bs := range t.bursts {
		o := bs.base // a copy: joining below changes nothing kept
		if o.sum > 0 && o.incident {
			o.joined()
		}
		r := Record{At: bs.at.Add(-t.p.Bucket), Open: o.openRecord, Chat: o.chatRecord, Score: o.r.record}
		if o.r.sum > 0 {
			r.Score = math.Max(r.Score, o.r.peak)
		}
		if !r.IsZero() {
			fn(s, r)
		}
	}
}

// RestoreRecord gives a service the record a previous tracker had, as
// Records reported it. It replaces any state the service has; restore
// before the first step. Values that are not finite and positive count
// as no record.
func (t *Tracker) RestoreRecord(service string, r Record) {
	o := newOnset(t.p.Bucket)
	o.openRecord, o.chatRecord, o.r.record = finite(r.Open), finite(r.Chat), finite(r.Score)
	// As the state after r.At with the next bucket not stepped yet: the
	// next step is exact, and Records gives back r.At until it comes.
	t.bursts[service] = &bursts{at: r.At.Add(t.p.Bucket), base: o, cur: o}
}

// finite is v where it is a finite positive number, else 0.
func finite(v float64) float64 {
	if v > 0 && !math.IsInf(v, 1) {
		return v
	}
	return 0
}
