// Package synth is a synthetic outage suite for the spike detector: it
// generates, from a seed, many services' per-minute counts of distinct
// reporters with injected outages, streams each service through a
// spike.Stream with the production settings, and measures how well the
// incidents it opens match the outages.
//
// There are two generators, chosen by Config.Suite, and one scoring. The
// main suite is described below. The alt suite (AltService) is a small,
// deliberately different held-out check that the detector is not tuned to
// the main generator: it has multiplicative outages with no floor and
// another noise model.
//
// # Traffic
//
// Every service of the main suite gets, from its own random streams:
//
//   - a volume level, the mean reporters per minute over a plain week,
//     log-uniform from one report a day to 300 a minute;
//   - a daily shape (office hours, evening peak, double peak, late night,
//     flat) and a weekly pattern (plain, weekend-heavy, weekend-light);
//   - growth: a steady change of −20 % … +50 % over the whole period;
//   - holidays: whole days, shared by all services, on which each service's
//     traffic is 0.5 … 1.6 times its usual (not outages);
//   - news bumps: about one a week, 30–120 minutes, peaking at 1.2–1.6
//     times the usual traffic (not outages);
//   - noise: a slow log-normal drift (AR(1), half-hour memory) times a
//     gamma-Poisson count per minute with the service's own dispersion φ
//     (Var = mean + φ·mean², φ log-uniform in 0.005 … 0.1).
//
// Services fall in five volume classes by level: under 0.1, 0.1–1, 1–10,
// 10–100 and 100 or more reporters a minute.
//
// # Outages
//
// An outage has a size m (log-uniform 1.5×–50×), a length (log-uniform
// 3 minutes–6 hours), a shape (step; spike and decay, exp(−t/τ) with τ a
// third of the length; slow ramp, reaching full size over 10–30 minutes or
// its whole length if shorter) and a floor factor a (log-uniform 0.3–10
// reporters per minute). At full size it adds, on top of the usual traffic,
//
//	added(t) = max((m−1)·μ(t), (m−1)·a) reporters per minute
//
// where μ(t) is the service's usual mean at that minute. So an outage of
// size m is always at least m times the baseline, and tiny services, where
// m times almost nothing is still nothing, get a visible outage too, with
// a floor factor from 0.3 reporters a minute. The outage's Added is the
// mean of added(t) over its minutes, at full size whatever its shape, and
// its Total, Added × length, the reporters it adds over its length.
//
// Outages fall in the evaluation span (OutagesPerWeek per service) and in
// the warm-up (HistoryOutagesPerWeek), so that past outages sit in the
// history the baseline reads.
//
// # Scoring
//
// An incident is a run of buckets where Point.Alert is set. An outage is
// detected when an incident is open at some bucket in [start, end+Grace);
// its delay is that first bucket minus the start, in buckets. An incident
// that overlaps no outage's [start, end+Grace) is a false incident.
// Precision is the share of incidents that overlap an outage. Incidents
// belong to the span they start in.
//
// The headline numbers come from the evaluation span only. The warm-up is
// scored but reported apart, in two parts: its first two weeks, where the
// detector has no weekly baseline yet (the new-service regime, judged
// against the recent window), and the rest.
//
// The headline recall counts the outages that a person would call an
// outage of at least 3× the baseline lasting at least 10 minutes, and that
// leave enough reports to be seen at all: size m ≥ 3, length ≥ 10 minutes
// and Added × length ≥ MinTotal (20 reports in total by default), whatever
// the rate a minute. A quiet service's long outage of 0.2 added reporters a
// minute counts; a two-reporter blip does not. Recall is also reported by
// size, length, shape, volume class, Added and total added, so the rest is
// not hidden, and the headline recall, delays and false incidents are
// reported for each volume class.
package synth

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// Suite is the generator a run draws its services from.
type Suite uint8

// Suites.
const (
	MainSuite Suite = iota // the suite described in the package doc
	AltSuite               // the held-out check, see AltService
	numSuites
)

func (s Suite) String() string { return [...]string{"main", "alt"}[s] }

// ParseSuite returns the suite with the given name.
func ParseSuite(name string) (Suite, error) {
	for s := range numSuites {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown suite %q (want main or alt)", name)
}

// Config is one run of the suite.
type Config struct {
	Suite       Suite // the generator
	Seed        uint64
	Services    int
	WarmupWeeks int // weeks of history before the evaluation span
	EvalDays    int // days of the evaluation span

	OutagesPerWeek        float64 // outages per service-week in the evaluation span
	HistoryOutagesPerWeek float64 // outages per service-week in the warm-up

	Grace    int     // buckets after an outage's end that still count as detecting it
	MinTotal float64 // reporters an outage must add in total to count in the headline recall

	// The detector under test: production settings by default.
	Params spike.Params
	Step   time.Duration // bucket length
	Recent time.Duration // recent window of services without weekly history
	Weeks  int           // past weeks of the same slot the baseline reads

	Workers int // services scored at once
}

// DefaultConfig is the full run of the main suite: 200 services, four
// weeks of history and two weeks of evaluation.
func DefaultConfig() Config {
	return Config{
		Suite:                 MainSuite,
		Seed:                  1,
		Services:              200,
		WarmupWeeks:           4,
		EvalDays:              14,
		OutagesPerWeek:        2,
		HistoryOutagesPerWeek: 0.5,
		Grace:                 5,
		MinTotal:              20,
		Params:                spike.DefaultParams(),
		Step:                  time.Minute,
		Recent:                time.Hour,
		Weeks:                 4,
		Workers:               runtime.GOMAXPROCS(0),
	}
}

// QuickConfig is a run of the main suite small enough for CI: 50
// services (enough for a few in every volume class), three weeks of
// history and four days of evaluation, with more outages per week so that
// there are still some to count.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Services = 50
	c.WarmupWeeks = 3
	c.EvalDays = 4
	c.OutagesPerWeek = 4
	return c
}

// AltConfig is the full run of the alt suite: 40 services, 21 days of
// history and 7 days of evaluation, about two outages per service in the
// evaluated week (1.75, so some 70 in all) and a few in the history.
func AltConfig() Config {
	c := DefaultConfig()
	c.Suite = AltSuite
	c.Services = 40
	c.WarmupWeeks = 3
	c.EvalDays = 7
	c.OutagesPerWeek = 1.75
	c.HistoryOutagesPerWeek = 0.25
	return c
}

// AltQuickConfig is the alt suite for CI: the same span with fewer
// services (the detector needs the 21 days of history to settle).
func AltQuickConfig() Config {
	c := AltConfig()
	c.Services = 16
	return c
}

// ConfigFor returns the full or quick run of a suite.
func ConfigFor(s Suite, quick bool) Config {
	switch {
	case s == AltSuite && quick:
		return AltQuickConfig()
	case s == AltSuite:
		return AltConfig()
	case quick:
		return QuickConfig()
	}
	return DefaultConfig()
}

// Validate checks that a run makes sense.
func (c Config) Validate() error {
	switch {
	case c.Suite >= numSuites:
		return fmt.Errorf("unknown suite %d", c.Suite)
	case c.Services < 1:
		return errors.New("services must be at least 1")
	case c.WarmupWeeks < 1:
		return errors.New("warm-up must be at least 1 week")
	case c.EvalDays < 1:
		return errors.New("evaluation span must be at least 1 day")
	case c.OutagesPerWeek < 0 || c.HistoryOutagesPerWeek < 0:
		return errors.New("outage rates must not be negative")
	case c.Grace < 0:
		return errors.New("grace must not be negative")
	case c.MinTotal < 0:
		return errors.New("headline total must not be negative")
	case c.Step != time.Minute:
		// The traffic model is per minute.
		return fmt.Errorf("step %s: the generator makes 1-minute buckets only", c.Step)
	case c.Recent < c.Step:
		return errors.New("recent window must hold at least one bucket")
	case c.Weeks < 1:
		return errors.New("weeks must be at least 1")
	}
	return c.Params.Validate()
}

// Start is the first minute of every generated series (a Monday, UTC).
var Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// warmup is the number of minutes before the evaluation span.
func (c Config) warmup() int { return c.WarmupWeeks * minutesPerWeek }

// total is the number of minutes in a series.
func (c Config) total() int { return c.warmup() + c.EvalDays*minutesPerDay }

// newServiceRegime is how long a service runs without a weekly baseline:
// the weeks of history the baseline needs before it reads them.
func (c Config) newServiceRegime() int {
	n := c.Params.MinWeeks * minutesPerWeek
	if n > c.warmup() {
		n = c.warmup()
	}
	return n
}

// evalWeeks is the length of the evaluation span in weeks.
func (c Config) evalWeeks() float64 { return float64(c.EvalDays) / 7 }
