// Package spike decides, from counts of distinct reporters per service and
// bucket, whether a service is having an outage. It is pure: no Redis, no
// ClickHouse, no clock; the detector feeds it counts and baselines.
//
// # Score
//
// Reports are counts, so the question is how surprising a count c is when
// e are expected. For a Poisson count the Anscombe transform 2·√(x+3/8) has
// variance close to 1 whatever the mean, which makes
//
//	z = 2·(√(c+3/8) − √(e+3/8))
//
// a usable upper-tail score even for tiny counts, where (c−e)/√e explodes.
// Real report traffic is overdispersed (news, time of day, a viral post):
// we model it as negative binomial with Var = e + φe². By the delta method
// Var(2√X) ≈ 1 + φe, so z is divided by √(1+φe), or by the service's own
// recent spread when that is wider (see Baseline). Small services are
// judged almost as Poisson; big ones need a larger relative jump, as they
// should.
//
// # Levels
//
// A score alone is not enough: 0→3 reporters on a tiny service is a large z
// and no outage. So a level also needs the count to be a multiple of the
// expected count and an absolute number of people:
//
//	possible problems: z ≥ 4 and c ≥ 2e and c ≥ min reporters
//	problems detected: z ≥ 8 and c ≥ 4e and c ≥ 2·min reporters
//
// where e = max(baseline, floor): the floor stands in for history a new or
// quiet service does not have yet.
//
// # Baseline
//
// Params.Estimate combines three histories of the service, all medians so
// that past outages (shorter than half their span) do not raise them:
//
//   - the seasonal level: the median over past weeks of the count at the
//     same time of week, once there are MinWeeks of them, else over past
//     days at the same time of day, once there are MinDays (a young
//     service learns its day before its week); a slot may average
//     SlotHalfWidth buckets either side (0 by default: at one-minute
//     buckets a recurring burst at an exact minute stays normal);
//   - the recent level: the median of the last hour of buckets, frozen at
//     the incident's start while one is open, so an outage never becomes
//     its own baseline;
//   - the floor, for services with none of these.
//
// The expected count is max(seasonal, recent, floor): traffic that is
// normal at this time of week, or that the service has had all this
// hour (slow growth, a busy day), is not an outage. Taking the larger
// trades a little sensitivity for never crying wolf on a daily peak or a
// grown service.
//
// The scale of the score starts at the negative binomial's √(1+φe) and
// widens to the robust spread (1.4826·MAD) of the recent buckets on the
// Anscombe scale, so a service whose counts jump about needs a bigger
// jump; it never narrows below the model's.
//
// # Why this design
//
// Count surveillance offers these families, and we borrow from each:
//
//   - CDC's EARS C1–C3 compare today's count with the mean and standard
//     deviation of a short recent baseline (C2/C3 with a guard gap, C3
//     summing recent excesses). They need no history and react at once,
//     which is what a new service needs, but a Gaussian z on small counts
//     cries wolf (σ≈0) and a mean is raised by the last outage. We keep
//     their recent-baseline idea with a median and a count-aware score.
//   - Farrington (1996) and its improvement (Noufaily et al. 2013) fit a
//     quasi-Poisson regression on the same season in past years, with
//     a dispersion estimate, down-weight past outbreaks (2013 drops high
//     Anscombe residuals) and alarm on an upper quantile. That is the
//     right model (overdispersed counts, seasonal reference, robust to
//     past outbreaks) but a regression per service per minute is heavy;
//     we keep its ingredients: same-slot history, Anscombe residuals,
//     a dispersion that widens the band, and outbreak-proof medians.
//   - Seasonal CUSUM accumulates excesses over a seasonal mean and finds
//     slow, small shifts early, at the price of alarms that persist after
//     the shift. Outages are abrupt and large; the incident tracker's
//     hysteresis gives the persistence, and the anomaly score below keeps
//     the record of past surprises, a decaying-maximum cousin of CUSUM.
//   - Robust seasonal methods (median/MAD bands, Twitter's S-H-ESD) take a
//     median seasonal baseline and a MAD scale, which past anomalies do
//     not move. That is our baseline and our scale; S-H-ESD's generalised
//     ESD test is a batch procedure, so we use its robust statistics
//     in a streaming, one-bucket-at-a-time form.
//
// # Anomaly score
//
// Offline tools (score, the NAB evaluation) need a score in [0, 1], not
// only the alert. Stream rates each bucket by its surprise, the log ratio
// log((c+10)/(e+10)) (counted only when z ≥ 3; the pseudo-count makes
// 0→3 on a tiny service small), minus the largest surprise the series
// has had lately (a maximum decaying with a three-day half-life). So the
// first bucket of a rise scores high and its continuation low, and a
// series full of bursts needs a bigger one to score high: a burst is
// judged against the bursts the series is used to. The score does not
// change any decision; the alert column is the tracker's.
//
// # Hysteresis
//
// An open incident ends only after the count has been quiet (c < 1.5e or
// z < 2) for ResolveAfter consecutive buckets, so a count hovering around
// the opening threshold neither closes nor reopens the incident. Within an
// incident the level only goes up: escalation is announced at once, a
// calmer bucket never de-escalates. A peak rising by a quarter or more over
// the last announced peak is announced as an update; smaller rises are only
// saved.
//
// A Tracker may be stepped several times in the same bucket (the detector
// runs more often than a bucket lasts, while the bucket fills): the latest
// step's verdict is that bucket's verdict, and quiet buckets are counted by
// distinct bucket starts.
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
	Floor        float64 // lowest expected count per bucket
	MinReporters float64 // fewest distinct reporters that can open an incident
	Dispersion   float64 // φ in Var = e + φe²

	PossibleZ, PossibleRatio float64
	DetectedZ, DetectedRatio float64
	QuietZ, QuietRatio       float64

	ResolveAfter int     // quiet buckets in a row that end an incident
	UpdateRise   float64 // relative peak rise announced as an update

	MinWeeks      int // same-slot weeks of history that make a weekly baseline
	MinDays       int // same-slot days of history that make a daily baseline
	MinRecent     int // recent buckets of history that make a recent baseline
	Days          int // past days the daily slot looks at
	SlotHalfWidth int // buckets either side of a slot that its level averages
}

// DefaultParams returns the thresholds the package doc describes.
func DefaultParams() Params {
	return Params{
		Floor:         3,
		MinReporters:  5,
		Dispersion:    0.05,
		PossibleZ:     4,
		PossibleRatio: 2,
		DetectedZ:     8,
		DetectedRatio: 4,
		QuietZ:        2,
		QuietRatio:    1.5,
		ResolveAfter:  3,
		UpdateRise:    0.25,
		MinWeeks:      2,
		MinDays:       3,
		MinRecent:     10,
		Days:          7,
		SlotHalfWidth: 0,
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
	case p.Dispersion < 0:
		return errors.New("dispersion must not be negative")
	case p.ResolveAfter < 1:
		return errors.New("resolve-after must be at least 1 bucket")
	case p.UpdateRise <= 0:
		return errors.New("update rise must be positive")
	case p.MinWeeks < 1:
		return errors.New("min weeks must be at least 1")
	case p.MinRecent < 1:
		return errors.New("min recent must be at least 1 bucket")
	case p.MinDays < 1:
		return errors.New("min days must be at least 1")
	case p.Days < 0 || p.SlotHalfWidth < 0:
		return errors.New("days and slot half-width must not be negative")
	case p.QuietZ > p.PossibleZ || p.QuietRatio > p.PossibleRatio:
		return errors.New("quiet thresholds must lie below the opening thresholds")
	case p.PossibleZ > p.DetectedZ || p.PossibleRatio > p.DetectedRatio:
		return errors.New("detected thresholds must lie above the possible ones")
	}
	return nil
}

// Score is the overdispersed Anscombe z of count against expected.
func Score(count, expected, dispersion float64) float64 {
	expected = math.Max(expected, 0)
	d := 2 * (math.Sqrt(count+0.375) - math.Sqrt(expected+0.375))
	return d / math.Sqrt(1+dispersion*expected)
}

// Expected applies the floor to a baseline.
func (p Params) Expected(baseline float64) float64 {
	if math.IsNaN(baseline) {
		return p.Floor
	}
	return math.Max(baseline, p.Floor)
}

// Classify says what a count alone is worth against a baseline, and its
// score, with the model's spread.
func (p Params) Classify(count uint32, baseline float64) (Level, float64) {
	e := p.Expected(baseline)
	return p.Judge(count, Baseline{Expected: e, Scale: p.modelScale(e)})
}

// Judge says what a count alone is worth against a baseline, and its
// score.
func (p Params) Judge(count uint32, b Baseline) (Level, float64) {
	e := p.Expected(b.Expected)
	c := float64(count)
	z := p.z(c, e, b.Scale)
	switch {
	case z >= p.DetectedZ && c >= p.DetectedRatio*e && c >= 2*p.MinReporters:
		return LevelDetected, z
	case z >= p.PossibleZ && c >= p.PossibleRatio*e && c >= p.MinReporters:
		return LevelPossible, z
	}
	return LevelNone, z
}

// z is the Anscombe residual of c against e in units of scale (the
// model's when scale is unset).
func (p Params) z(c, e, scale float64) float64 {
	if !(scale > 0) {
		scale = p.modelScale(e)
	}
	return (anscombe(c) - anscombe(e)) / scale
}

// Quiet reports whether a count is back to normal, for ending incidents.
func (p Params) Quiet(count uint32, baseline float64) bool {
	e := p.Expected(baseline)
	return p.quiet(float64(count), Baseline{Expected: e, Scale: p.modelScale(e)})
}

func (p Params) quiet(c float64, b Baseline) bool {
	e := p.Expected(b.Expected)
	return c < p.QuietRatio*e || p.z(c, e, b.Scale) < p.QuietZ
}

// Incident is the tracker's state of one service's incident.
type Incident struct {
	Level        Level
	StartedAt    time.Time // bucket whose count first crossed a threshold
	Peak         uint32
	PeakAt       time.Time // bucket of the peak
	PeakExpected float64   // expected count (after the floor) at the peak
	Last         uint32    // latest count
	LastExpected float64   // expected count for Last
	Bucket       time.Time // bucket of the latest step
	Announced    uint32    // peak in the latest opened/escalated/updated announcement
	EndedAt      time.Time // once resolved: start of the quiet run that ended it

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
	Level    Level   // what this count alone is worth
	Score    float64 // z of this count
	Expected float64 // expected count after the floor
	Open     bool    // the service has an incident (Incident is set), including the one just resolved
	Incident Incident
}

// Tracker holds the open incidents of many services and steps them bucket
// by bucket. It is not safe for concurrent use.
type Tracker struct {
	p    Params
	open map[string]*Incident
}

// NewTracker returns a tracker with the given thresholds.
func NewTracker(p Params) (*Tracker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{p: p, open: make(map[string]*Incident)}, nil
}

// Params returns the tracker's thresholds.
func (t *Tracker) Params() Params { return t.p }

// Restore puts back an incident that was open before a restart. Its quiet
// run starts again from zero, which can only delay a resolution.
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

// Step feeds a service's count of distinct reporters for a bucket and the
// baseline for it, and says what changed. Services with an open incident
// must be stepped every cycle, with a zero count when nobody reported.
func (t *Tracker) Step(service string, bucket time.Time, count uint32, baseline float64) Decision {
	e := t.p.Expected(baseline)
	return t.StepBaseline(service, bucket, count, Baseline{Expected: e, Scale: t.p.modelScale(e)})
}

// StepBaseline is Step with a full baseline: expected count and spread.
func (t *Tracker) StepBaseline(service string, bucket time.Time, count uint32, b Baseline) Decision {
	e := t.p.Expected(b.Expected)
	b.Expected = e
	lvl, z := t.p.Judge(count, b)
	d := Decision{Level: lvl, Score: z, Expected: e}
	in, ok := t.open[service]
	if !ok {
		if lvl == LevelNone {
			return d
		}
		in = &Incident{
			Level: lvl, StartedAt: bucket,
			Peak: count, PeakAt: bucket, PeakExpected: e,
			Last: count, LastExpected: e, Bucket: bucket,
			Announced: count,
		}
		t.open[service] = in
		d.Kind, d.Save, d.Open, d.Incident = Opened, true, true, *in
		return d
	}

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

	in.quietNow = lvl == LevelNone && t.p.quiet(float64(count), b)
	if in.quietNow && in.quietPrior == 0 {
		in.quietSince = in.Bucket
	}
	if in.QuietRun() >= t.p.ResolveAfter {
		in.EndedAt = in.quietSince
		delete(t.open, service)
		d.Kind, d.Save = Resolved, true
	}
	d.Open, d.Incident = true, *in
	return d
}
