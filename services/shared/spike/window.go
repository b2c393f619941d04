package spike

import (
	"math"
	"time"
)

// Scales are the spans, in buckets, whose sums are judged together each
// bucket: at one-minute buckets, the last minute, 5, 15 and 60 minutes.
var Scales = [...]int{1, 5, 15, 60}

const (
	nScales  = len(Scales)
	maxScale = 60 // the longest of Scales: the ring holds this many buckets
	// quietScale is the longest span quiet is judged over: an incident
	// opened on a long span ends once this many buckets are back to normal,
	// not once the whole long span has drained.
	quietScale = 5
	// halfLife is how fast what a series taught (its dispersion and its
	// tail) fades: a few days, so a service that changes is relearnt
	// within a week while one quiet night forgets nothing.
	halfLife = 3 * 24 * time.Hour
	// minDispersion bounds the learnt dispersion from below: no expected
	// count is known better than to a few per cent.
	minDispersion = 0.002
	// clipSD bounds how far, in standard deviations, one span's residual
	// may move the learnt dispersion, so an outage or a news spike that no
	// incident covered teaches the series less than its square would.
	clipSD = 4.0
	// tailFrom is the evidence over which a series' tail is learnt: the
	// model says it is exceeded by chance about once in 30 buckets.
	tailFrom = 1.5
	// priorRuns is how many runs over tailFrom, with the model's own
	// excess, the learnt tail starts with and always keeps: one or two
	// wild runs should not rewrite the tail of a series.
	priorRuns = 2.0
	// burstEvidence is the evidence under which a burst is over for the
	// score's onsets.
	burstEvidence = 1.0
	// scoreRise is how much a burst's score must grow over the score it
	// last reported before it reports again.
	scoreRise = 1.5
)

// bonferroni is −log10 of the number of scales: the evidence of a span is
// its tail probability times the number of spans judged, so that the
// chance of a false alarm on any of them is bounded by the chance the
// threshold names.
var bonferroni = math.Log10(float64(nScales))

// Moments are a series' learnt excess variance at one scale: exponentially
// weighted sums of ((C−E)² − E), clipped, and of E², whose ratio is the
// method-of-moments estimate of the negative binomial dispersion of the
// span's sum C against its expected sum E.
type Moments struct {
	Num, Den float64
}

// dispersion is the learnt dispersion, or prior before anything was learnt.
func (m Moments) dispersion(prior float64) float64 {
	if !(m.Den > 0) {
		return prior
	}
	return math.Max(minDispersion, m.Num/m.Den)
}

// series is one service's state: the last maxScale buckets' counts and
// expected counts (a ring, newest at head), the dispersion learnt at each
// scale, its tail, and the score's onset state.
type series struct {
	at     time.Time // latest bucket stepped; zero before the first
	counts [maxScale]float64
	rates  [maxScale]float64 // expected counts
	head   int
	n      int  // buckets in the ring since it was last emptied
	learn  bool // the latest bucket's expected count is known, not the floor
	open   bool // an incident was open at the latest bucket
	disp   [nScales]Moments
	alpha  float64 // weight of one bucket in the learnt averages

	raw  [nScales]float64 // the latest bucket's evidence of each span big enough to be an outage, before calibration
	tail [nScales]Tail    // the learnt tail of each span's evidence outside incidents
	runs [nScales]run     // each span's run over tailFrom under way

	burst bool    // the score's current burst is under way
	shown float64 // the current burst's largest reported score
}

func newSeries(bucket time.Duration) *series {
	s := &series{alpha: 1 - math.Pow(0.5, float64(bucket)/float64(halfLife))}
	for j := range s.tail {
		s.tail[j] = priorTail
	}
	return s
}

// Tail is a series' learnt upper tail of one span's evidence outside
// incidents: exponentially weighted averages, per bucket, of the runs of
// evidence over tailFrom that ended (each counted once, by its largest
// evidence, so that one long burst is one event, not fifty) and of their
// excess over tailFrom (see "Calibration").
type Tail struct {
	Rate, Excess float64
}

// priorTail is where a series' tail starts: exceeded as often as the
// model says one bucket exceeds tailFrom, by the model's exponential
// excess of mean 1/ln 10; the data replace it within days.
var priorTail = Tail{Rate: math.Pow(10, -tailFrom), Excess: math.Pow(10, -tailFrom) / math.Ln10}

// calibrated maps evidence x onto the series' own tail: −log10 of the
// rate at which the series exceeds x by chance, extrapolated from its
// runs over tailFrom as an exponential (a peaks-over-threshold fit with
// shape 0, whose mean excess always counts priorRuns runs at the model's),
// and never above x itself: a series can only be judged more wary than
// the model, never more eager. alpha is the averages' weight per bucket.
func (t Tail) calibrated(x, alpha float64) float64 {
	if !(x > tailFrom) || !(t.Rate > 0) || !(t.Excess > 0) {
		return x
	}
	beta := (t.Excess/alpha + priorRuns/math.Ln10) / (t.Rate/alpha + priorRuns)
	return math.Min(x, -math.Log10(t.Rate)+(x-tailFrom)/(beta*math.Ln10))
}

// advance makes bucket the latest, with count c and expected count e
// (learn: e is known), and reports whether bucket is not older than the
// latest. A newer bucket first lets the finished latest one teach the
// dispersion; buckets skipped in between count as having no reports at
// the last expected count.
func (s *series) advance(bucket time.Time, step time.Duration, c, e float64, learn bool, p Params) bool {
	switch {
	case s.at.IsZero() || bucket.After(s.at):
		if !s.at.IsZero() {
			s.teach(p)
			gap := min(int(bucket.Sub(s.at)/step)-1, maxScale)
			last := s.rates[s.head]
			for range gap {
				s.push(0, last)
			}
		}
		s.push(c, e)
	case bucket.Equal(s.at):
		if s.n == 0 {
			s.n = 1
		}
		s.counts[s.head], s.rates[s.head] = c, e
	default:
		return false
	}
	s.at, s.learn = bucket, learn
	return true
}

func (s *series) push(c, e float64) {
	s.head = (s.head + 1) % maxScale
	s.counts[s.head], s.rates[s.head] = c, e
	s.n = min(s.n+1, maxScale)
}

// back is the ring index of the bucket k before the latest.
func (s *series) back(k int) int { return (s.head - k + maxScale) % maxScale }

// sums are the count and expected count of the last w buckets; ok is
// false when the ring holds fewer.
func (s *series) sums(w int) (c, e float64, ok bool) {
	if w > s.n {
		return 0, 0, false
	}
	for k := range w {
		i := s.back(k)
		c += s.counts[i]
		e += s.rates[i]
	}
	return c, e, true
}

// teach lets the latest bucket, now final, teach the series: its spans'
// runs over tailFrom go on or end (and an ended run outside incidents
// joins the tail), and, unless an incident was open or the expected count
// was not known, its spans' residuals join the dispersion.
func (s *series) teach(p Params) {
	for j, raw := range s.raw {
		r := &s.runs[j]
		hit, over := 0.0, 0.0
		switch {
		case raw > tailFrom:
			if !r.on {
				*r = run{on: true}
			}
			r.max = math.Max(r.max, raw)
			r.incident = r.incident || s.open || !s.learn
		case r.on:
			if !r.incident {
				hit, over = 1, r.max-tailFrom
			}
			r.on = false
		}
		t := &s.tail[j]
		t.Rate += s.alpha * (hit - t.Rate)
		t.Excess += s.alpha * (over - t.Excess)
	}
	if !s.learn || s.open {
		return
	}
	for j, w := range Scales {
		c, e, ok := s.sums(w)
		if !ok || !(e > 0) {
			continue
		}
		m := &s.disp[j]
		if m.Den == 0 { // the prior, which fades over the half-life
			m.Num, m.Den = p.Dispersion*e*e, e*e
		}
		phi := m.dispersion(p.Dispersion)
		v := e + phi*e*e
		x := math.Min((c-e)*(c-e), clipSD*clipSD*v) - e
		m.Num += s.alpha * (x - m.Num)
		m.Den += s.alpha * (e*e - m.Den)
	}
}

// run is a run of buckets whose evidence exceeds tailFrom at one scale:
// the tail learns from each run once, by its largest evidence, when it
// ends, and not at all if an incident was open during it.
type run struct {
	on, incident bool
	max          float64
}

// span is one scale's judgement of the latest bucket.
type span struct {
	w     int
	c, e  float64
	ev    float64 // evidence: −log10 of the tail probability, Bonferroni-adjusted
	level Level
}

// judge weighs every scale whose span the ring holds and returns them,
// the bucket's level and the evidence of the spans big enough to be an
// outage (see "Decision" in the package doc).
func (s *series) judge(p Params, out *[nScales]span) (Level, float64, int) {
	var (
		lvl   Level
		ev    float64
		scale int
	)
	s.raw = [nScales]float64{}
	for j, w := range Scales {
		c, e, ok := s.sums(w)
		if !ok {
			out[j] = span{w: w}
			continue
		}
		sp := span{w: w, c: c, e: e}
		raw := math.Max(0, evidence(c, e, s.disp[j].dispersion(p.Dispersion))-bonferroni)
		sp.ev = s.tail[j].calibrated(raw, s.alpha)
		if c >= p.MinReporters && c >= p.PossibleRatio*e {
			s.raw[j] = raw
			ev = math.Max(ev, sp.ev)
			switch {
			case sp.ev >= p.DetectedEvidence && c >= 2*p.MinReporters && c >= p.DetectedRatio*e:
				sp.level = LevelDetected
			case sp.ev >= p.PossibleEvidence:
				sp.level = LevelPossible
			}
		}
		if sp.level > lvl {
			lvl, scale = sp.level, w
		}
		out[j] = sp
	}
	return lvl, ev, scale
}

// start is how many buckets back from the latest the excess of the
// latest w began: the oldest raised bucket from which on the counts are
// still at least PossibleRatio times their expected counts.
func (s *series) start(w int, p Params) int {
	back := 0
	var c, e float64
	for k := range min(w, s.n) {
		i := s.back(k)
		c += s.counts[i]
		e += s.rates[i]
		if s.counts[i] > s.rates[i] && c >= p.PossibleRatio*e {
			back = k
		}
	}
	return back
}

// quiet reports whether the latest bucket is back near normal for an
// incident opened on a span of w buckets: over the last min(w, quietScale)
// buckets the count is below QuietRatio times its expected count or no
// longer surprising (QuietEvidence, not adjusted for the scales: ending is
// one question, not four). It returns the span it read and its excess per
// bucket too.
func (s *series) quiet(w int, p Params) (int, bool, float64) {
	if w == 0 {
		w = quietScale
	}
	q := max(1, min(w, quietScale, s.n))
	c, e, _ := s.sums(q)
	phi := s.disp[scaleIndex(q)].dispersion(p.Dispersion)
	back := c < p.QuietRatio*e || evidence(c, e, phi) < p.QuietEvidence
	return q, back, (c - e) / float64(q)
}

// scaleIndex is the index in Scales of the longest scale not above w.
func scaleIndex(w int) int {
	j := 0
	for i, v := range Scales {
		if v <= w {
			j = i
		}
	}
	return j
}

// onset is the anomaly score of the latest bucket from its evidence ev:
// ev/(ev+PossibleEvidence), so that 0.5 is where an incident opens, but
// reported only as a burst begins or when it grows by scoreRise over what
// it last reported, so a burst is announced once, not bucket after bucket.
func (s *series) onset(ev float64, p Params) float64 {
	if !(ev >= burstEvidence) {
		s.burst = false
		return 0
	}
	if !s.burst {
		s.burst, s.shown = true, 0
	}
	score := ev / (ev + p.PossibleEvidence)
	if score <= scoreRise*s.shown {
		return 0
	}
	s.shown = score
	return score
}
