package synth

import (
	"math"
	"sort"
)

// OutageShape is how an outage's extra reports rise and fall.
type OutageShape uint8

// Outage shapes.
const (
	Step       OutageShape = iota // full size from the first minute to the last
	SpikeDecay                    // full size at once, then exp(−t/τ), τ = length/3
	Ramp                          // linear rise to full size over Outage.Ramp minutes
	numOutageShapes
)

func (s OutageShape) String() string {
	return [...]string{"step", "spike+decay", "slow ramp"}[s]
}

// Outage is an injected outage of one service.
type Outage struct {
	Start, Len int         // minutes since Start
	Size       float64     // m: traffic at full size is at least m × the usual
	Floor      float64     // a: full size adds at least (m−1)·a reporters a minute (0 in the alt suite)
	Shape      OutageShape //
	Ramp       int         // minutes to full size, for Ramp
	Added      float64     // mean reporters a minute added at full size over the outage
	History    bool        // in the warm-up rather than the evaluation span
}

// End is the first minute after the outage.
func (o Outage) End() int { return o.Start + o.Len }

// Total is the reporters the outage adds over its whole length at full
// size: Added × Len.
func (o Outage) Total() float64 { return o.Added * float64(o.Len) }

// profile is the share of full size at minute k of the outage.
func (o Outage) profile(k int) float64 {
	switch o.Shape {
	case SpikeDecay:
		return math.Exp(-float64(k) / (float64(o.Len) / 3))
	case Ramp:
		return math.Min(1, float64(k+1)/float64(o.Ramp))
	}
	return 1
}

// full is the reporters a minute the outage adds at full size when usual
// are expected.
func (o Outage) full(usual float64) float64 {
	return (o.Size - 1) * math.Max(usual, o.Floor)
}

// added is the mean reporters the outage adds at minute t.
func (o Outage) added(t int, usual float64) float64 {
	return o.profile(t-o.Start) * o.full(usual)
}

// gap is the least quiet time between two outages of a service, so that
// every incident can be told apart.
const gap = 3 * 60

// scheduleOutages draws a service's outages: a Poisson number in the
// warm-up and in the evaluation span, placed at random without overlap.
// They come from the service's own stream, apart from its traffic.
func scheduleOutages(c Config, i int, sv *Service) []Outage {
	g := newRNG(c.Seed, 3<<32|uint64(i))
	var out []Outage
	draw := func(n int, lo, hi int, history bool) {
		for range n {
			o := Outage{
				Size:    g.logUniform(1.5, 50),
				Len:     int(math.Round(g.logUniform(3, 360))),
				Floor:   g.logUniform(0.3, 10),
				Shape:   OutageShape(g.intn(int(numOutageShapes))),
				History: history,
			}
			o.Ramp = min(10+g.intn(21), o.Len)
			out = place(g, out, o, lo, hi)
		}
	}
	warm := c.warmup()
	draw(g.poisson(c.HistoryOutagesPerWeek*float64(c.WarmupWeeks)), minutesPerDay, warm-6*60, true)
	draw(g.poisson(c.OutagesPerWeek*c.evalWeeks()), warm, c.total()-c.Grace, false)
	return settle(out, sv.Usual)
}

// place adds o to out at a random start in [lo, hi−o.Len) at least gap
// from the other outages, or drops it when a few tries find no room.
func place(g rng, out []Outage, o Outage, lo, hi int) []Outage {
	if hi-o.Len <= lo {
		return out
	}
	for range 50 {
		o.Start = lo + g.intn(hi-o.Len-lo)
		if !overlaps(out, o.Start-gap, o.End()+gap) {
			return append(out, o)
		}
	}
	return out
}

// settle sorts the outages by start and works out each one's Added from
// the service's usual mean.
func settle(out []Outage, usual func(int) float64) []Outage {
	sort.Slice(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	for k := range out {
		o := &out[k]
		sum := 0.0
		for t := o.Start; t < o.End(); t++ {
			sum += o.full(usual(t))
		}
		o.Added = sum / float64(o.Len)
	}
	return out
}

// overlaps reports whether [lo, hi) overlaps an outage.
func overlaps(os []Outage, lo, hi int) bool {
	for _, o := range os {
		if o.Start < hi && lo < o.End() {
			return true
		}
	}
	return false
}
