package synth

import (
	"iter"
	"math"
)

// The alt suite is a held-out check that the detector is not tuned to the
// main suite's generator. It is written from its own short description and
// kept structurally different: one smooth daily wave instead of shaped
// days, a noise that is Poisson within a day and varies only from day to
// day, and outages that multiply the traffic with no floor, so a quiet
// service's outage stays quiet. Only the scoring is shared.
const (
	altMinLevel, altMaxLevel = 0.01, 40 // mean reports a minute, log-uniform
	altMinAmp, altMaxAmp     = 0.3, 0.8 // daily wave's amplitude, a share of the mean
	altMinWeekend            = 0.7      // weekend traffic over weekday traffic, uniform
	altMaxWeekend            = 1.2
	altDayShape              = 50      // gamma shape of the day-level factor: a 14 % spread
	altMinSize, altMaxSize   = 3, 100  // outage multiplier, log-uniform
	altMinLen, altMaxLen     = 10, 240 // outage minutes, log-uniform
)

// AltService is one service of the alt suite:
//
//   - a mean rate log-uniform from 0.01 to 40 reports a minute;
//   - a daily sinusoid of amplitude 0.3–0.8 of the mean at a random phase,
//     and weekends at 0.7–1.2 times the weekdays;
//   - Poisson counts of that rate times a gamma factor drawn per day
//     (shape 50, mean 1), the same for all of a day's minutes;
//   - step outages that multiply the rate by 3–100× (log-uniform) for
//     10 minutes to 4 hours (log-uniform), with no floor.
type AltService struct {
	Index     int
	Level     float64   // mean reports a minute over a week
	Amplitude float64   // of the daily sinusoid, a share of the mean
	Phase     float64   // of the daily sinusoid, radians
	Weekend   float64   // Saturday's and Sunday's traffic over a weekday's
	DayLevel  []float64 // each day's gamma factor, mean 1
	Outages   []Outage  // sorted by start, not overlapping; Floor 0

	seed             uint64
	total            int
	weekday, weekend float64 // day multipliers, so that the weekly mean is Level
}

// NewAltService generates service i of an alt-suite run. It depends only
// on the seed, i and the run's lengths and rates, and draws from streams
// the main suite does not use.
func NewAltService(c Config, i int) *AltService {
	g := newRNG(c.Seed, 4<<32|uint64(i))
	sv := &AltService{
		Index:     i,
		Level:     g.logUniform(altMinLevel, altMaxLevel),
		Amplitude: g.uniform(altMinAmp, altMaxAmp),
		Phase:     g.uniform(0, 2*math.Pi),
		Weekend:   g.uniform(altMinWeekend, altMaxWeekend),
		seed:      c.Seed,
		total:     c.total(),
	}
	sv.weekday = 7 / (5 + 2*sv.Weekend)
	sv.weekend = sv.Weekend * sv.weekday
	sv.DayLevel = make([]float64, (sv.total+minutesPerDay-1)/minutesPerDay)
	for d := range sv.DayLevel {
		sv.DayLevel[d] = g.gamma(altDayShape) / altDayShape
	}
	sv.Outages = sv.schedule(c)
	return sv
}

// schedule draws the service's step outages: a Poisson number in the
// history, ending at least gap before the evaluation span, and in the
// evaluation span.
func (sv *AltService) schedule(c Config) []Outage {
	g := newRNG(c.Seed, 5<<32|uint64(sv.Index))
	var out []Outage
	draw := func(n, lo, hi int, history bool) {
		for range n {
			o := Outage{
				Size:    g.logUniform(altMinSize, altMaxSize),
				Len:     int(math.Round(g.logUniform(altMinLen, altMaxLen))),
				Shape:   Step,
				History: history,
			}
			out = place(g, out, o, lo, hi)
		}
	}
	warm := c.warmup()
	draw(g.poisson(c.HistoryOutagesPerWeek*float64(c.WarmupWeeks)), minutesPerDay, warm-gap, true)
	draw(g.poisson(c.OutagesPerWeek*c.evalWeeks()), warm, c.total()-c.Grace, false)
	// With no floor, Added is (m−1) times the usual rate over the outage.
	return settle(out, sv.Usual)
}

// Usual is the service's mean reports at minute t without the day-level
// factor or outages: level × daily wave × weekday or weekend.
func (sv *AltService) Usual(t int) float64 {
	wave := 1 + sv.Amplitude*math.Sin(2*math.Pi*float64(t%minutesPerDay)/minutesPerDay+sv.Phase)
	day := sv.weekday
	if d := (t / minutesPerDay) % 7; d >= 5 { // Start is a Monday
		day = sv.weekend
	}
	return sv.Level * wave * day
}

// Rate is the Poisson mean at minute t: the usual rate times the day's
// factor, times the size of an outage under way.
func (sv *AltService) Rate(t int) float64 {
	r := sv.Usual(t) * sv.DayLevel[t/minutesPerDay]
	for _, o := range sv.Outages {
		if t >= o.Start && t < o.End() {
			return r * o.Size
		}
	}
	return r
}

// Minutes is the length of the service's series.
func (sv *AltService) Minutes() int { return sv.total }

// Class is the service's volume class.
func (sv *AltService) Class() Class { return ClassOf(sv.Level) }

// Counts yields the service's reports for every minute, in order, from
// the service's own noise stream.
func (sv *AltService) Counts() iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		g := newRNG(sv.seed, 6<<32|uint64(sv.Index))
		for t := range sv.total {
			if !yield(t, g.poisson(sv.Rate(t))) {
				return
			}
		}
	}
}

func (sv *AltService) info() ServiceInfo {
	return ServiceInfo{Index: sv.Index, Class: sv.Class(), Level: sv.Level}
}

func (sv *AltService) outages() []Outage { return sv.Outages }

// cause knows only outages: the alt suite has no holidays or news bumps.
func (sv *AltService) cause(in Span, grace int) Cause {
	if afterOutage(sv.Outages, in, grace) {
		return CauseAfterOutage
	}
	return CauseNoise
}
