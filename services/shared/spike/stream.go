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
	Z        float64 // the count's score against its baseline, in spreads
	// Started is the bucket the open incident started at (its first hit,
	// which may precede the bucket that opened it); zero without one.
	Started time.Time
}

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
	calm    calm    // where the buckets before and after the latest incidents are
	h       History // reused buffers
}

// calm is where a series' recent window stands around its incidents, by
// bucket index: the window ends at pre (exclusive) while an incident is
// open and until its buckets have left the window, and the buckets from
// after on (up to upTo, while a next incident is open) are its Since.
// Each is -1 when unset.
type calm struct{ pre, after, upTo int }

// opened updates c for an incident starting at bucket start: a new
// window before it, unless the last incident's buckets are still in the
// recent window of n buckets, in which case the window stays before that
// one, and the calm between the two is the Since.
func (c *calm) opened(start, n int) {
	if c.after >= 0 && start-c.after < n {
		c.upTo = start
		return
	}
	*c = calm{pre: start - 1, after: -1, upTo: -1}
}

// resolved updates c for an incident whose quiet run began at bucket end;
// newNormal says it ended because its baseline thawed (see FreezeFor).
func (c *calm) resolved(end int, newNormal bool) {
	if newNormal {
		*c = calm{pre: -1, after: -1, upTo: -1}
		return
	}
	c.after, c.upTo = end, -1
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
		tr: tr, calm: calm{-1, -1, -1},
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
	c := uint32(math.Max(0, math.Round(count)))
	d := s.tr.StepBaseline("", t, c, b)
	switch d.Kind {
	case Opened:
		s.calm.opened(s.index(d.Incident.StartedAt), s.recentN)
	case Resolved:
		s.calm.resolved(s.index(d.Incident.EndedAt), s.p.Thawed(d.Incident.EndedAt.Sub(d.Incident.StartedAt)))
	}
	s.hist = append(s.hist, count)
	var started time.Time
	if d.Open {
		started = d.Incident.StartedAt
	}
	return Point{
		Started:  started,
		Score:    d.Onset,
		Alert:    d.Open && d.Kind != Resolved,
		Level:    d.Level,
		Kind:     d.Kind,
		Expected: d.Expected,
		Source:   b.Source,
		Z:        d.Score,
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
	c := s.calm
	freeze := false
	if in, open := s.tr.Lookup(""); open {
		freeze = c.pre < i && !s.p.Thawed(s.t0.Add(time.Duration(i)*s.step).Sub(in.StartedAt))
	} else if c.after >= 0 && i-c.after < s.recentN {
		freeze = true
	}
	end := i
	// The window ends a bucket before the incident's first, as the
	// detector's does: there, the bucket before is the previous one when
	// the current one opens it.
	if freeze && known(s.hist, c.pre-s.recentN, c.pre) >= s.p.MinRecent {
		end = c.pre
		if c.after >= 0 {
			to := i
			if c.upTo >= 0 {
				to = c.upTo
			}
			for j := c.after; j < to; j++ {
				if v := s.hist[j]; !math.IsNaN(v) {
					since = append(since, v)
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
