package synth

import (
	"iter"
	"math"
)

// DailyShape is the family of a service's time-of-day profile.
type DailyShape uint8

// Daily shapes.
const (
	OfficeHours DailyShape = iota // busy 8–18, quiet at night
	EveningPeak                   // peak around 21
	DoublePeak                    // morning and evening peaks
	LateNight                     // peak near midnight (games, streaming)
	Flat                          // barely changes
	numDailyShapes
)

func (d DailyShape) String() string {
	return [...]string{"office hours", "evening peak", "double peak", "late night", "flat"}[d]
}

// WeeklyPattern is how a service's traffic changes over the week.
type WeeklyPattern uint8

// Weekly patterns.
const (
	PlainWeek WeeklyPattern = iota
	WeekendHeavy
	WeekendLight
	numWeeklyPatterns
)

func (w WeeklyPattern) String() string {
	return [...]string{"plain", "weekend-heavy", "weekend-light"}[w]
}

// weekly factors from Monday to Sunday, before normalising to mean 1.
var weeklyFactors = [numWeeklyPatterns][7]float64{
	PlainWeek:    {1, 1, 1, 1, 1, 0.92, 0.9},
	WeekendHeavy: {1, 1, 1, 1, 1.1, 1.5, 1.45},
	WeekendLight: {1, 1, 1, 1, 0.95, 0.5, 0.45},
}

// Bump is a short benign rise in traffic (news, a viral post): not an
// outage, and not labelled as one.
type Bump struct {
	Start, Len int     // minutes since Start
	Peak       float64 // traffic multiplier at the bump's middle
}

// factor is the bump's traffic multiplier at minute t (raised cosine).
func (b Bump) factor(t int) float64 {
	k := t - b.Start
	if k < 0 || k >= b.Len {
		return 1
	}
	return 1 + (b.Peak-1)*0.5*(1-math.Cos(2*math.Pi*float64(k)/float64(b.Len)))
}

// Service is one generated service: its traffic model and its outages.
type Service struct {
	Index      int
	Level      float64 // mean reporters per minute over a plain week
	Daily      DailyShape
	Weekly     WeeklyPattern
	Growth     float64   // relative change of traffic over the whole series
	Dispersion float64   // φ of the per-minute gamma-Poisson count
	Drift      float64   // standard deviation of the slow log-normal drift
	DayFactor  []float64 // traffic multiplier per day: 1, or the holiday's
	Bumps      []Bump
	Outages    []Outage // sorted by start, not overlapping

	seed  uint64
	total int
	daily []float64 // per minute of the day, mean 1
	week  [7]float64
}

// Class is a service's volume class, by its mean reporters a minute.
type Class uint8

// Volume classes, a decade apart.
const (
	Sparse   Class = iota // under 0.1 a minute: at most a report every ten minutes
	Low                   // 0.1–1 a minute
	Moderate              // 1–10 a minute
	Busy                  // 10–100 a minute
	Heavy                 // 100 a minute and more
	numClasses
)

// classEdges are the levels where the classes after the first begin.
var classEdges = [numClasses - 1]float64{0.1, 1, 10, 100}

func (c Class) String() string {
	return [...]string{"<0.1/min", "0.1–1/min", "1–10/min", "10–100/min", "≥100/min"}[c]
}

// ClassOf returns the volume class of a mean per-minute level.
func ClassOf(level float64) Class {
	c := Sparse
	for _, edge := range classEdges {
		if level < edge {
			break
		}
		c++
	}
	return c
}

// Class is the service's volume class.
func (sv *Service) Class() Class { return ClassOf(sv.Level) }

// Minutes is the length of the service's series.
func (sv *Service) Minutes() int { return sv.total }

// Holidays returns the days of the series that are holidays: the same for
// every service of a seed.
func Holidays(c Config) []int {
	g := newRNG(c.Seed, 0)
	days := c.total() / minutesPerDay
	warm := c.WarmupWeeks * 7
	var out []int
	// One in the warm-up after the new-service weeks when there is room,
	// one in the evaluation span, and now and then another.
	if warm > 15 {
		out = append(out, 15+g.intn(warm-15))
	}
	if c.EvalDays >= 3 {
		out = append(out, warm+1+g.intn(c.EvalDays-2))
	}
	for d := 1; d < days; d++ {
		if g.r.Float64() < 1.0/40 {
			out = append(out, d)
		}
	}
	return out
}

// NewService generates service i of a run. It depends only on the seed,
// i and the run's lengths and rates.
func NewService(c Config, i int, holidays []int) *Service {
	g := newRNG(c.Seed, 1<<32|uint64(i))
	sv := &Service{
		Index:      i,
		Level:      g.logUniform(1.0/minutesPerDay, 300),
		Daily:      DailyShape(g.intn(int(numDailyShapes))),
		Weekly:     WeeklyPattern(g.intn(int(numWeeklyPatterns))),
		Growth:     g.uniform(-0.2, 0.5),
		Dispersion: g.logUniform(0.005, 0.1),
		Drift:      g.uniform(0.03, 0.12),
		seed:       c.Seed,
		total:      c.total(),
	}
	shift := g.uniform(-1.5, 1.5) // hours: time zones and habits differ
	sv.daily = dailyTable(sv.Daily, shift)
	sum := 0.0
	for _, f := range weeklyFactors[sv.Weekly] {
		sum += f
	}
	for d, f := range weeklyFactors[sv.Weekly] {
		sv.week[d] = f * 7 / sum
	}

	sv.DayFactor = make([]float64, (sv.total+minutesPerDay-1)/minutesPerDay)
	for d := range sv.DayFactor {
		sv.DayFactor[d] = 1
	}
	for _, d := range holidays {
		f := g.logUniform(0.5, 1.6)
		if d < len(sv.DayFactor) {
			sv.DayFactor[d] = f
		}
	}

	nb := g.poisson(float64(sv.total) / minutesPerWeek)
	for range nb {
		b := Bump{Len: 30 + g.intn(91), Peak: g.uniform(1.2, 1.6)}
		b.Start = g.intn(sv.total - b.Len)
		sv.Bumps = append(sv.Bumps, b)
	}

	sv.Outages = scheduleOutages(c, i, sv)
	return sv
}

// dailyTable returns a shape's multiplier for every minute of the day,
// shifted by some hours and normalised to mean 1.
func dailyTable(d DailyShape, shift float64) []float64 {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	bump := func(h, centre, width float64) float64 {
		dist := math.Abs(h - centre)
		dist = math.Min(dist, 24-dist)
		return math.Exp(-dist * dist / (2 * width * width))
	}
	t := make([]float64, minutesPerDay)
	sum := 0.0
	for m := range t {
		h := math.Mod(float64(m)/60-shift+24, 24)
		var v float64
		switch d {
		case OfficeHours:
			v = 0.12 + sig((h-8)/0.6)*sig((18-h)/0.8)
		case EveningPeak:
			v = 0.15 + 0.4*sig((h-7)/1)*sig((23.5-h)/0.7) + 0.9*bump(h, 21, 1.5)
		case DoublePeak:
			v = 0.15 + 0.3*sig((h-6.5)/0.8)*sig((23-h)/0.8) + bump(h, 8.5, 1.2) + 0.8*bump(h, 19.5, 1.5)
		case LateNight:
			v = 0.2 + bump(h, 23, 3)
		default:
			v = 1 + 0.1*math.Sin(2*math.Pi*h/24)
		}
		t[m] = v
		sum += v
	}
	for m := range t {
		t[m] *= minutesPerDay / sum
	}
	return t
}

// Usual is the service's mean reporters at minute t without noise, news
// bumps or outages: level × time of day × day of week × growth × holiday.
func (sv *Service) Usual(t int) float64 {
	day := t / minutesPerDay
	grow := math.Pow(1+sv.Growth, float64(t)/float64(sv.total))
	f := 1.0
	if day < len(sv.DayFactor) {
		f = sv.DayFactor[day]
	}
	return sv.Level * sv.daily[t%minutesPerDay] * sv.week[day%7] * grow * f
}

// BumpFactor is the news bumps' traffic multiplier at minute t.
func (sv *Service) BumpFactor(t int) float64 {
	f := 1.0
	for _, b := range sv.Bumps {
		f *= b.factor(t)
	}
	return f
}

// Added is the mean reporters the outages add at minute t.
func (sv *Service) Added(t int) float64 {
	for _, o := range sv.Outages {
		if t >= o.Start && t < o.End() {
			return o.added(t, sv.Usual(t))
		}
	}
	return 0
}

// Counts yields the service's distinct reporters for every minute, in
// order. The noise comes from the service's own random stream, so the
// same service always yields the same series.
func (sv *Service) Counts() iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		g := newRNG(sv.seed, 2<<32|uint64(sv.Index))
		rho := math.Exp(-1.0 / 30) // half-hour memory
		innov := sv.Drift * math.Sqrt(1-rho*rho)
		x := sv.Drift * g.normal()
		for t := 0; t < sv.total; t++ {
			x = rho*x + innov*g.normal()
			drift := math.Exp(x - sv.Drift*sv.Drift/2) // mean 1
			mean := sv.Usual(t)*sv.BumpFactor(t)*drift + sv.Added(t)
			if !yield(t, g.gammaPoisson(mean, sv.Dispersion)) {
				return
			}
		}
	}
}
