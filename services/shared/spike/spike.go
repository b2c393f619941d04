// Package spike decides, from counts of distinct reporters per service and
// bucket, whether a service is having an outage. It is pure: no Redis, no
// ClickHouse, no clock; the detector feeds it counts and baselines.
//
// # Model
//
// Each bucket has an expected count (Params.Estimate): the larger of the
// service's usual level at this time of week (of day, for a young service)
// and its level over the last hour. Levels are means winsorized at the
// median plus one report: close to the median for big counts, so a past
// outage barely moves them, and a rate rather than a median of zero for a
// service with a report every ten minutes. A span's count is negative
// binomial around the sum of its expected counts, Var = E + φE².
//
// # Several time scales at once
//
// Every bucket, the sums of the last 1, 5, 15 and 60 buckets (Scales) are
// compared with their expected sums. A big service's outage shows in one
// minute; a small one's, where 0.1 reports a minute become 4, never does,
// but its hour holds hundreds of reports where fifteen were expected. This
// is a scan over a fixed family of trailing windows, as in EARS and the
// prospective scan statistic, rather than a CUSUM, which is tuned to one
// shift size and needs a reset after each alarm. A span's evidence is
// −log10 of its upper-tail probability (the deviance root, see evidence)
// minus log10 of the number of spans: a Bonferroni bound keeps the chance
// that any span crosses a threshold by chance at most the threshold's.
// MinReporters applies to a span's sum, not to one bucket.
//
// # Dispersion and calibration
//
// φ starts at Params.Dispersion and is learnt per service and span by the
// method of moments, E[(C−E)² − E] = φE², in averages with a three-day
// half-life (Farrington's quasi-likelihood dispersion, made online);
// residuals are clipped at four deviations and spans during an incident
// teach nothing. The model's tail is still only a model: a news-driven
// service bursts by chance far more often than it says. So each span's
// evidence is also calibrated against the service's own tail, a
// peaks-over-threshold fit (as in SPOT, Siffer et al. 2017) of the runs of
// evidence over 1.5 that ended without an incident, each run counted once
// by its peak; calibration can only lower evidence. What a service taught
// is its Record, saved across restarts.
//
// # Decision and score
//
// A span is an outage only if it holds MinReporters and PossibleRatio
// times its expected sum: surprise alone is not an outage (+10% on a huge
// service is significant and harmless). The evidence L of a bucket is the
// largest calibrated evidence of such spans. "Possible problems" opens at
// L ≥ PossibleEvidence; "problems detected" needs DetectedEvidence on a
// span with twice the reporters and DetectedRatio times its expected sum.
// The anomaly score is L/(L+PossibleEvidence) in [0, 1]: the same for
// equally surprising bursts on any series, 0.5 where an incident opens;
// offline it is reported as a burst begins and when it grows by half.
// An incident starts at the first raised bucket of the span that opened
// it; once it ends the spans restart empty, so the outage's own hour
// cannot reopen it.
//
// # Baseline around incidents
//
// While an incident is open the recent level stays where it was before it
// (for at most FreezeFor: a count up for half a day is a new normal), and
// for an hour after, at least at what the tail left (History.Since, Calm).
// The floor stands in for a service with no history at all.
//
// # Ending
//
// A bucket is quiet when the last min(span, 5) buckets of the span that
// opened the incident are below QuietRatio times normal or no longer
// surprising, or have faded to FadedShare of the peak's excess; those
// spans alone may hold it open. ResolveAfter of quiet ends it as normal,
// faded or a new normal. The level only rises within an incident; a peak
// a quarter above the last announced is an update. A bucket still filling
// (StepPartial) may open or escalate but is never quiet.
package spike

import (
	"errors"
	"math"
	"time"
)

// Level is how sure we are that a service has a problem, in rising order.
type Level uint8

// Levels.
const (
	LevelNone     Level = iota
	LevelPossible       // "possible problems"
	LevelDetected       // "problems detected"
)

func (l Level) String() string {
	switch l {
	case LevelPossible:
		return "possible"
	case LevelDetected:
		return "detected"
	default:
		return "none"
	}
}

// End is why an incident ended, in the words a reader needs: "resolved"
// alone would hide that an outage's reports can still be above normal.
type End uint8

// Ends.
const (
	EndNone End = iota // still open
	// EndNormal: the reports are back near the expected count.
	EndNormal
	// EndFaded: the reports fell to FadedShare of the peak's excess or
	// less, though they may still be above normal.
	EndFaded
	// EndNewNormal: the reports stayed up past FreezeFor, so their level
	// is now taken as the service's normal (see "Baseline"): the count is
	// still well above what was expected at the incident's peak.
	EndNewNormal
)

// String is the end's name: "", "normal", "faded" or "new_normal".
func (e End) String() string {
	switch e {
	case EndNormal:
		return "normal"
	case EndFaded:
		return "faded"
	case EndNewNormal:
		return "new_normal"
	default:
		return ""
	}
}

// ending says why count, the last of the quiet run that ends incident in,
// ended it; normal says whether that bucket was quiet by being back near
// normal rather than by having faded.
func (p Params) ending(count uint32, normal bool, in *Incident) End {
	switch {
	case p.Thawed(in.Bucket.Sub(in.StartedAt)) && float64(count) >= p.QuietRatio*in.PeakExpected:
		return EndNewNormal
	case normal:
		return EndNormal
	default:
		return EndFaded
	}
}

// Kind is what a step changed that is worth announcing.
type Kind uint8

// Kinds of decision.
const (
	None Kind = iota
	Opened
	Escalated
	Updated
	Resolved
)

func (k Kind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Escalated:
		return "escalated"
	case Updated:
		return "updated"
	case Resolved:
		return "resolved"
	default:
		return "none"
	}
}

// Params are the thresholds. DefaultParams gives the documented ones.
type Params struct {
	Floor        float64 // expected count per bucket of a service with no history
	MinReporters float64 // fewest reporters in a span that can open an incident
	Dispersion   float64 // φ in Var = E + φE² before a series has taught its own

	// PossibleEvidence and DetectedEvidence are −log10 of the
	// (Bonferroni-adjusted) tail probability that opens "possible" and
	// makes "detected"; QuietEvidence the one under which a span is back
	// to normal.
	PossibleEvidence, DetectedEvidence, QuietEvidence float64
	// PossibleRatio and DetectedRatio are how many times its expected sum
	// a span must hold to be an outage at all, and to be "detected";
	// QuietRatio the multiple under which it is back to normal.
	PossibleRatio, DetectedRatio, QuietRatio float64

	// ResolveAfter is how long the count must stay quiet, in buckets in a
	// row, before an incident ends: at least one bucket.
	ResolveAfter time.Duration
	UpdateRise   float64 // relative peak rise announced as an update
	// FadedShare is the share of the peak's excess over its expected count
	// under which a bucket's excess counts as quiet (0: only the ratio and
	// evidence thresholds do).
	FadedShare float64
	// FreezeFor is how long an incident's recent level stays frozen at
	// its start (see "Baseline around incidents"); after it, the level
	// follows the recent buckets again. 0 freezes it for as long as the
	// incident lasts.
	FreezeFor time.Duration
	Bucket    time.Duration // length of a bucket

	MinWeeks      int // same-slot weeks of history that make a weekly baseline
	MinDays       int // same-slot days of history that make a daily baseline
	MinRecent     int // recent buckets of history that make a recent baseline
	Days          int // past days the daily slot looks at
	SlotHalfWidth int // buckets either side of a slot that its level averages
}

// DefaultParams returns the thresholds the package doc describes.
func DefaultParams() Params {
	return Params{
		Floor:            3,
		MinReporters:     5,
		Dispersion:       0.05,
		PossibleEvidence: 6,
		DetectedEvidence: 12,
		QuietEvidence:    1.3,
		PossibleRatio:    1.8,
		DetectedRatio:    4,
		QuietRatio:       1.5,
		ResolveAfter:     3 * time.Minute,
		UpdateRise:       0.25,
		FadedShare:       0.2,
		FreezeFor:        12 * time.Hour,
		Bucket:           time.Minute,
		MinWeeks:         2,
		MinDays:          2,
		MinRecent:        10,
		Days:             7,
		SlotHalfWidth:    0,
	}
}

// Validate checks that the thresholds make sense together: a count that
// opens an incident must never also count as quiet.
func (p Params) Validate() error {
	switch {
	case p.Floor < 0 || math.IsNaN(p.Floor):
		return errors.New("floor must not be negative")
	case p.MinReporters < 1:
		return errors.New("min reporters must be at least 1")
	case p.Dispersion < 0 || math.IsNaN(p.Dispersion):
		return errors.New("dispersion must not be negative")
	case p.ResolveAfter <= 0:
		return errors.New("resolve-after must be positive")
	case p.UpdateRise <= 0:
		return errors.New("update rise must be positive")
	case p.FadedShare < 0 || p.FadedShare >= 1 || math.IsNaN(p.FadedShare):
		return errors.New("faded share must be in [0, 1)")
	case p.FreezeFor < 0:
		return errors.New("freeze-for must not be negative")
	case p.Bucket <= 0:
		return errors.New("bucket must be positive")
	case p.MinWeeks < 1:
		return errors.New("min weeks must be at least 1")
	case p.MinRecent < 1:
		return errors.New("min recent must be at least 1 bucket")
	case p.MinDays < 1:
		return errors.New("min days must be at least 1")
	case p.Days < 0 || p.SlotHalfWidth < 0:
		return errors.New("days and slot half-width must not be negative")
	case !(p.QuietEvidence > 0) || p.QuietRatio < 1:
		return errors.New("quiet evidence must be positive and the quiet ratio at least 1")
	case p.QuietEvidence > p.PossibleEvidence || p.QuietRatio > p.PossibleRatio:
		return errors.New("quiet thresholds must lie below the opening thresholds")
	case p.PossibleEvidence > p.DetectedEvidence || p.PossibleRatio > p.DetectedRatio:
		return errors.New("detected thresholds must lie above the possible ones")
	}
	return nil
}

// quietestDaily is the fewest reports a day any service is expected to
// have: a known expected count is never below its share of it, so a
// service whose history is silent still has a finite surprise.
const quietestDaily = 1.0

// Expected is the expected count the tracker uses for a baseline's: the
// floor for an unknown (NaN) one, else at least the quietest service's.
func (p Params) Expected(rate float64) float64 {
	if math.IsNaN(rate) {
		return p.Floor
	}
	return math.Max(rate, quietestDaily*float64(p.Bucket)/float64(24*time.Hour))
}

// Incident is the tracker's state of one service's incident.
type Incident struct {
	Level        Level
	StartedAt    time.Time // first raised bucket of the span that opened it
	Peak         uint32
	PeakAt       time.Time // bucket of the peak
	PeakExpected float64   // expected count at the peak
	Last         uint32    // latest count
	LastExpected float64   // expected count for Last
	Bucket       time.Time // bucket of the latest step
	Announced    uint32    // peak in the latest opened/escalated/updated announcement
	EndedAt      time.Time // once resolved: start of the quiet run that ended it
	End          End       // once resolved: why
	// Span is how many buckets the span that opened it summed; quiet is
	// judged over at most quietScale of them (0: quietScale).
	Span int

	quietPrior int       // quiet buckets in a row before Bucket
	quietNow   bool      // latest verdict for Bucket
	quietSince time.Time // first bucket of the current quiet run
}

// QuietRun is how many buckets in a row, up to the latest, were quiet.
func (in *Incident) QuietRun() int {
	if in.quietNow {
		return in.quietPrior + 1
	}
	return 0
}

// Decision is the outcome of one step.
type Decision struct {
	Kind     Kind    // what to announce, None for nothing
	Save     bool    // the incident's stored state is out of date
	Level    Level   // what this bucket and the spans it ends are worth
	Evidence float64 // −log10 tail probability of the most surprising span big enough to be an outage
	Expected float64 // expected count of this bucket
	Onset    float64 // anomaly score in [0, 1] of this bucket, reported at a burst's onsets only
	Open     bool    // the service has an incident (Incident is set), including the one just resolved
	Incident Incident
}

// Tracker holds the open incidents of many services and steps them bucket
// by bucket. It is not safe for concurrent use.
type Tracker struct {
	p      Params
	open   map[string]*Incident
	series map[string]*series
}

// NewTracker returns a tracker with the given thresholds.
func NewTracker(p Params) (*Tracker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{p: p, open: make(map[string]*Incident), series: make(map[string]*series)}, nil
}

// Params returns the tracker's thresholds.
func (t *Tracker) Params() Params { return t.p }

// Restore puts back an incident that was open before a restart. Its quiet
// run starts again from zero, which can only delay a resolution; one
// without its Span is judged over quietScale buckets.
func (t *Tracker) Restore(service string, in Incident) {
	if in.Announced == 0 {
		in.Announced = in.Peak
	}
	if in.Level == LevelNone {
		in.Level = LevelPossible
	}
	in.EndedAt = time.Time{}
	in.quietPrior, in.quietNow, in.quietSince = 0, false, time.Time{}
	t.open[service] = &in
}

// Withdraw takes back the incident a service's latest step opened, for a
// caller that declines it (the detector, when one network alone would
// carry it): the service has no incident open, and a later step may open
// it again. What the series learnt stays as it was; its latest bucket
// still counts as an incident's, so a burst that was declined teaches the
// series neither its dispersion nor its tail, and cannot make later
// bursts look less surprising.
func (t *Tracker) Withdraw(service string) {
	delete(t.open, service)
}

// Lookup returns a service's open incident.
func (t *Tracker) Lookup(service string) (Incident, bool) {
	in, ok := t.open[service]
	if !ok {
		return Incident{}, false
	}
	return *in, true
}

// OpenServices appends the services with an open incident to dst.
func (t *Tracker) OpenServices(dst []string) []string {
	for s := range t.open {
		dst = append(dst, s)
	}
	return dst
}

// Len is the number of open incidents.
func (t *Tracker) Len() int { return len(t.open) }

// StepBaseline feeds a service's count of distinct reporters for a bucket
// and the baseline for it, and says what changed. Every service with
// history should be stepped every bucket, with a zero count when nobody
// reported: its spans and its learnt dispersion follow its buckets, and a
// service with an open incident must be stepped to ever end it.
func (t *Tracker) StepBaseline(service string, bucket time.Time, count uint32, b Baseline) Decision {
	return t.step(service, bucket, count, b, false)
}

// StepPartial is StepBaseline for a bucket that is still filling: its
// count can only grow, so it may open, escalate or raise the peak, but it
// is never quiet, and the same bucket must be stepped again once full.
func (t *Tracker) StepPartial(service string, bucket time.Time, count uint32, b Baseline) Decision {
	return t.step(service, bucket, count, b, true)
}

func (t *Tracker) step(service string, bucket time.Time, count uint32, b Baseline, partial bool) Decision {
	e := t.p.Expected(b.Expected)
	learn := !math.IsNaN(b.Expected)
	d := Decision{Expected: e}
	s := t.series[service]
	if s == nil {
		s = newSeries(t.p.Bucket)
		t.series[service] = s
	}
	if !s.advance(bucket, t.p.Bucket, float64(count), e, learn, t.p) {
		return d // older than the latest bucket: already judged
	}
	var spans [nScales]span
	lvl, ev, scale := s.judge(t.p, &spans)
	d.Level, d.Evidence = lvl, ev
	if !partial {
		d.Onset = s.onset(ev, t.p)
	}
	in, ok := t.open[service]
	if !ok {
		s.open = false
		if lvl == LevelNone {
			return d
		}
		in = t.opening(s, bucket, lvl, scale)
		t.open[service] = in
		s.open = true
		d.Kind, d.Save, d.Open, d.Incident = Opened, true, true, *in
		return d
	}
	s.open = true

	if bucket.After(in.Bucket) {
		if in.quietNow {
			in.quietPrior++
		} else {
			in.quietPrior = 0
		}
		in.quietNow = false
		in.Bucket = bucket
		d.Save = true // a new bucket's count is worth storing
	}
	in.Last, in.LastExpected = count, e
	if count > in.Peak {
		in.Peak, in.PeakAt, in.PeakExpected = count, in.Bucket, e
		d.Save = true
	}
	switch {
	case lvl > in.Level:
		in.Level = lvl
		in.Announced = in.Peak
		d.Kind = Escalated
	case float64(in.Peak) >= (1+t.p.UpdateRise)*float64(in.Announced):
		in.Announced = in.Peak
		d.Kind = Updated
	}

	// Only the spans that quiet reads may hold an incident open: the long
	// ones still hold the outage long after the reports are back.
	q, back, excess := s.quiet(in.Span, t.p)
	short := LevelNone
	for _, sp := range spans {
		if sp.w <= q {
			short = max(short, sp.level)
		}
	}
	normal := short == LevelNone && back
	in.quietNow = !partial && (normal || short < LevelDetected && t.p.faded(excess, in))
	if in.quietNow && in.quietPrior == 0 {
		in.quietSince = in.Bucket
	}
	if in.QuietRun() >= t.p.resolveAfter() {
		in.EndedAt = in.quietSince
		in.End = t.p.ending(count, normal, in)
		delete(t.open, service)
		s.n = 0 // the outage's buckets must not reopen it through the long spans
		d.Kind, d.Save = Resolved, true
	}
	d.Open, d.Incident = true, *in
	return d
}

// opening is the incident that the latest bucket of s opens at level lvl
// through a span of w buckets: it starts at the span's first raised
// bucket (see series.start), and its peak is the largest count since.
func (t *Tracker) opening(s *series, bucket time.Time, lvl Level, w int) *Incident {
	back := s.start(w, t.p)
	in := &Incident{Level: lvl, Span: w, Bucket: bucket,
		StartedAt: bucket.Add(-time.Duration(back) * t.p.Bucket)}
	for k := back; k >= 0; k-- {
		i := s.back(k)
		if c := uint32(s.counts[i]); c > in.Peak || k == back {
			in.Peak, in.PeakAt, in.PeakExpected = c, bucket.Add(-time.Duration(k)*t.p.Bucket), s.rates[i]
		}
	}
	in.Last, in.LastExpected = uint32(s.counts[s.head]), s.rates[s.head]
	in.Announced = in.Peak
	return in
}

// faded reports whether an excess per bucket over the expected count has
// fallen to FadedShare of the incident's peak excess or less.
func (p Params) faded(excess float64, in *Incident) bool {
	peak := float64(in.Peak) - in.PeakExpected
	return p.FadedShare > 0 && peak > 0 && excess <= p.FadedShare*peak
}

// Thawed reports whether an incident that started this long ago no longer
// has its recent level frozen (see FreezeFor).
func (p Params) Thawed(since time.Duration) bool { return p.FreezeFor > 0 && since >= p.FreezeFor }

// resolveAfter is the quiet run, in buckets, that ends an incident: the
// quiet time rounded up to whole buckets, at least one.
func (p Params) resolveAfter() int {
	return max(1, int((p.ResolveAfter+p.Bucket-1)/p.Bucket))
}
