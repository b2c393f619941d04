package spike

import (
	"fmt"
	"math"
	"time"
)

// Point is a Stream's verdict on one bucket.
type Point struct {
	Score    float64 // anomaly score in [0, 1], from this bucket and earlier ones only
	Alert    bool    // an incident is open at this bucket
	Level    Level   // what this bucket's count alone is worth
	Kind     Kind    // what an incident tracker announces at this bucket
	Expected float64 // expected count, floor applied
	Source   Source  // where the expectation came from
}

// Stream scores one series causally, bucket by bucket, keeping its own
// history in memory: the offline scorer and the evaluations use it, with
// the same Params and decisions as the detector service.
type Stream struct {
	p       Params
	step    time.Duration
	recentN int
	weeks   int
	t0      time.Time
	hist    []float64 // by bucket index since t0; NaN where no row came
	tr      *Tracker
}

// NewStream returns a stream for buckets of the given step. recent is the
// recent window the baseline falls back to; weeks how many past weeks of
// the same slot it reads.
func NewStream(p Params, step, recent time.Duration, weeks int) (*Stream, error) {
	if step <= 0 {
		return nil, fmt.Errorf("step %s must be positive", step)
	}
	tr, err := NewTracker(p)
	if err != nil {
		return nil, err
	}
	n := int(recent / step)
	if n < p.MinRecent {
		// Coarse buckets: a fixed duration would hold too few of them.
		n = p.MinRecent
	}
	return &Stream{p: p, step: step, recentN: n, weeks: weeks, tr: tr}, nil
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

	var same []float64
	perWeek := int(Week / s.step)
	for k := 1; k <= s.weeks && perWeek > 0; k++ {
		j := i - k*perWeek
		if j < 0 {
			break
		}
		if v := s.hist[j]; !math.IsNaN(v) {
			same = append(same, v)
		}
	}
	var recent []float64
	for j := i - 1; j >= 0 && j >= i-s.recentN; j-- {
		if v := s.hist[j]; !math.IsNaN(v) {
			recent = append(recent, v)
		}
	}
	base, src := s.p.Estimate(same, recent)
	c := uint32(math.Max(0, math.Round(count)))
	d := s.tr.Step("", t, c, base)
	s.hist = append(s.hist, count)
	return Point{
		Score:    unitScore(d.Score, s.p.PossibleZ),
		Alert:    d.Open && d.Kind != Resolved,
		Level:    d.Level,
		Kind:     d.Kind,
		Expected: d.Expected,
		Source:   src,
	}
}

// Week is the season of report traffic.
const Week = 7 * 24 * time.Hour

// unitScore maps a z score onto [0, 1): 0 for nothing unusual, one half at
// the opening threshold, towards 1 far above it.
func unitScore(z, half float64) float64 {
	if z <= 0 || math.IsNaN(z) {
		return 0
	}
	return z / (z + half)
}
