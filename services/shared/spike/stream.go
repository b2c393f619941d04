package spike

import (
	"fmt"
	"math"
	"time"

	"github.com/lapor/lapor/services/shared/baseline"
)

// Point is a Stream's verdict on one bucket.
type Point struct {
	Score    float64 // anomaly score in [0, 1], from this bucket and earlier ones only
	Alert    bool    // an incident is open at this bucket
	Level    Level   // what this bucket's count alone is worth
	Kind     Kind    // what an incident tracker announces at this bucket
	Expected float64 // expected count, floor applied
	Source   Source  // where the expectation came from
	Evidence float64 // −log10 tail probability of the most surprising span big enough to be an outage
	// Started is the bucket the open incident started at (its first hit,
	// which may precede the bucket that opened it); zero without one.
	Started time.Time
	// Incident is the tracker's incident while one is open, and at the
	// bucket that resolves it (Kind Resolved) its final state.
	Incident Incident
}

// Alerted reports whether an alert goes out at this bucket: an incident
// opened or escalated, the two events partners are pushed.
func (p Point) Alerted() bool { return p.Kind == Opened || p.Kind == Escalated }

// Stream scores one series causally, bucket by bucket, keeping its own
// history in memory: the offline scorer and the evaluations use it, with
// the same Params and decisions as the detector service.
type Stream struct {
	p       Params
	step    time.Duration
	recentN int
	weeks   int
	perDay  int
	perWeek int
	t0      time.Time
	hist    []float64 // by bucket index since t0; NaN where no row came
	tr      *Tracker
	calm    Calm    // where the recent window stands around the incidents
	h       History // reused buffers
}

// NewStream returns a stream for buckets of the given step. recent is the
// recent window the baseline falls back to; weeks how many past weeks of
// the same slot it reads.
func NewStream(p Params, step, recent time.Duration, weeks int) (*Stream, error) {
	if step <= 0 {
		return nil, fmt.Errorf("step %s must be positive", step)
	}
	p.Bucket = step // persistence is counted in the stream's buckets
	tr, err := NewTracker(p)
	if err != nil {
		return nil, err
	}
	n := int(recent / step)
	if n < p.MinRecent {
		// Coarse buckets: a fixed duration would hold too few of them.
		n = p.MinRecent
	}
	return &Stream{
		p: p, step: step, recentN: n, weeks: weeks,
		perDay: int(24 * time.Hour / step), perWeek: int(baseline.Week / step),
		tr: tr,
	}, nil
}

// Observe feeds the count of the bucket starting at t. Buckets must come in
// time order; a gap is treated as buckets with no row (unknown, not zero).
func (s *Stream) Observe(t time.Time, count float64) Point {
	if s.hist == nil {
		s.t0 = t
	}
	i := int(math.Round(float64(t.Sub(s.t0)) / float64(s.step)))
	if i < len(s.hist) {
		i = len(s.hist) // out of order or duplicate: treat as the next bucket
	}
	for len(s.hist) < i {
		s.hist = append(s.hist, math.NaN())
	}

	h := &s.h
	h.Weeks = s.slots(h.Weeks[:0], i, s.perWeek, s.weeks)
	h.Days = s.slots(h.Days[:0], i, s.perDay, s.p.Days)
	h.Recent, h.Since = s.recent(h.Recent[:0], h.Since[:0], i)
	b := s.p.Estimate(*h)
	c := uint32(math.Min(math.Max(0, math.Round(count)), math.MaxUint32)) // out-of-range floats do not convert
	d := s.tr.StepBaseline("", t, c, b)
	switch d.Kind {
	case Opened:
		s.calm.Opened(d.Incident.StartedAt, s.window(), s.p)
	case Resolved:
		s.calm.Resolved(d.Incident, s.p)
	}
	s.hist = append(s.hist, count)
	var started time.Time
	if d.Open {
		started = d.Incident.StartedAt
	}
	return Point{
		Incident: d.Incident,
		Started:  started,
		Score:    d.Onset,
		Alert:    d.Open && d.Kind != Resolved,
		Level:    d.Level,
		Kind:     d.Kind,
		Expected: d.Expected,
		Source:   b.Source,
		Evidence: d.Evidence,
	}
}

// slots appends the slot levels of bucket i in each of n past periods of
// per buckets, newest first, stopping at the start of the history.
func (s *Stream) slots(dst []float64, i, per, n int) []float64 {
	w := s.p.SlotHalfWidth
	if per <= 2*w { // the slot would reach into the present
		return dst
	}
	for k := 1; k <= n; k++ {
		j := i - k*per
		if j < 0 {
			break
		}
		sum, m := 0.0, 0
		for x := max(j-w, 0); x <= j+w; x++ {
			if v := s.hist[x]; !math.IsNaN(v) {
				sum += v
				m++
			}
		}
		if m > 0 {
			dst = append(dst, sum/float64(m))
		}
	}
	return dst
}

// recent appends the counts of the recent window of bucket i to dst: the
// buckets just before it or, while an incident is open (for at most
// FreezeFor) and until its buckets have left the window, the buckets
// before the incident, so that an outage raises neither its own baseline
// nor the next one's. Once the incident has ended, it also appends to
// since the buckets from its end on (see History.Since). An incident
// opened with too little history keeps the window moving, as the detector
// service does: the series' own level is the only evidence.
func (s *Stream) recent(dst, since []float64, i int) ([]float64, []float64) {
	at := s.t0.Add(time.Duration(i) * s.step)
	var open *Incident
	if in, ok := s.tr.Lookup(""); ok {
		open = &in
	}
	end := i
	if pre, frozen := s.calm.Frozen(open, at, s.window(), s.p); frozen {
		if e := s.index(pre); e < i && known(s.hist, e-s.recentN, e) >= s.p.MinRecent {
			end = e
			if from, to, ok := s.calm.Since(at, s.window()); ok {
				for j := s.index(from); j < s.index(to); j++ {
					if v := s.hist[j]; !math.IsNaN(v) {
						since = append(since, v)
					}
				}
			}
		}
	}
	for j := max(end-s.recentN, 0); j < end; j++ {
		if v := s.hist[j]; !math.IsNaN(v) {
			dst = append(dst, v)
		}
	}
	return dst, since
}

// window is the recent window's length.
func (s *Stream) window() time.Duration { return time.Duration(s.recentN) * s.step }

// index is the bucket index of t.
func (s *Stream) index(t time.Time) int {
	return int(math.Round(float64(t.Sub(s.t0)) / float64(s.step)))
}

// known counts the buckets of [from, to) that have a value.
func known(hist []float64, from, to int) int {
	n := 0
	for j := max(from, 0); j < to; j++ {
		if !math.IsNaN(hist[j]) {
			n++
		}
	}
	return n
}

// Records calls fn with what the stream's series has taught its tracker
// (see Tracker.Records), under the service name "".
func (s *Stream) Records(fn func(service string, r Record)) { s.tr.Records(fn) }

// Judgements appends the spans' judgements of the latest bucket
// (Tracker.Judgements).
func (s *Stream) Judgements(dst []Judgement) []Judgement { return s.tr.Judgements("", dst) }
