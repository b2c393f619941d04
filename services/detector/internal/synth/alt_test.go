package synth

import (
	"math"
	"reflect"
	"testing"
)

func altSeries(sv *AltService) []int {
	out := make([]int, 0, sv.Minutes())
	for _, n := range sv.Counts() {
		out = append(out, n)
	}
	return out
}

func TestAltIsDeterministicBySeed(t *testing.T) {
	c := AltConfig()
	a, b := NewAltService(c, 3), NewAltService(c, 3)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and index gave different services")
	}
	if !reflect.DeepEqual(altSeries(a), altSeries(b)) {
		t.Fatal("same service gave different series")
	}
	c2 := c
	c2.Seed++
	if other := NewAltService(c2, 3); other.Level == a.Level || reflect.DeepEqual(other.Outages, a.Outages) {
		t.Fatal("another seed gave the same service")
	}
	// The alt suite draws from its own streams: the same seed and index
	// give a main-suite service of another level.
	if NewService(DefaultConfig(), 3, nil).Level == a.Level {
		t.Fatal("alt and main services share a level")
	}
}

// The alt generator keeps to its description, over several seeds.
func TestAltRanges(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := AltConfig()
		c.Seed = seed
		if c.total() != 28*minutesPerDay || c.warmup() != 21*minutesPerDay {
			t.Fatalf("%d minutes with %d of history, want 28 days with 21", c.total(), c.warmup())
		}
		var eval, hist, headline int
		for i := range c.Services {
			sv := NewAltService(c, i)
			if sv.Level < altMinLevel || sv.Level >= altMaxLevel ||
				sv.Amplitude < altMinAmp || sv.Amplitude >= altMaxAmp ||
				sv.Weekend < altMinWeekend || sv.Weekend >= altMaxWeekend ||
				sv.Phase < 0 || sv.Phase >= 2*math.Pi {
				t.Fatalf("seed %d service %d out of range: %+v", seed, i, sv)
			}
			for k, o := range sv.Outages {
				if o.Shape != Step || o.Floor != 0 || o.Size < 3 || o.Size >= 100 || o.Len < 10 || o.Len > 240 {
					t.Fatalf("seed %d service %d: outage out of range: %+v", seed, i, o)
				}
				if o.History != (o.Start < c.warmup()) || (o.History && o.End()+gap > c.warmup()) || o.End()+c.Grace > c.total() {
					t.Fatalf("seed %d service %d: outage in the wrong span: %+v", seed, i, o)
				}
				if k > 0 && sv.Outages[k-1].End()+gap > o.Start {
					t.Fatalf("seed %d service %d: outages %d and %d too close", seed, i, k-1, k)
				}
				if o.History {
					hist++
					continue
				}
				eval++
				if c.Headline(o) {
					headline++
				}
			}
		}
		// About two per service in the evaluated week, 70 in all; a few
		// in the history; most evaluated ones big enough for the headline.
		if eval < 50 || eval > 95 || hist < 10 || hist > 55 || headline < eval/2 {
			t.Fatalf("seed %d: %d evaluation (%d headline) and %d history outages, want about 70 (most) and 30",
				seed, eval, headline, hist)
		}
	}
}

// An outage multiplies the rate, with no floor, and Added is what it adds
// to the usual rate.
func TestAltOutagesMultiply(t *testing.T) {
	c := AltConfig()
	for i := range c.Services {
		sv := NewAltService(c, i)
		for _, o := range sv.Outages {
			for _, tm := range []int{o.Start, o.Start + o.Len/2, o.End() - 1} {
				want := sv.Usual(tm) * sv.DayLevel[tm/minutesPerDay] * o.Size
				if got := sv.Rate(tm); math.Abs(got-want) > 1e-9*want {
					t.Fatalf("service %d minute %d: rate %v, want %v", i, tm, got, want)
				}
			}
			if r, u := sv.Rate(o.End()), sv.Usual(o.End())*sv.DayLevel[o.End()/minutesPerDay]; r != u {
				t.Fatalf("service %d: rate %v after the outage, want %v", i, r, u)
			}
			sum := 0.0
			for tm := o.Start; tm < o.End(); tm++ {
				sum += (o.Size - 1) * sv.Usual(tm)
			}
			if want := sum / float64(o.Len); math.Abs(o.Added-want) > 1e-9*want {
				t.Fatalf("service %d: Added %v, want %v", i, o.Added, want)
			}
		}
	}

	// In a generated series: a busy service's outage brings about its size
	// times the reports the rate without it would.
	var checked bool
	for i := 0; i < 200 && !checked; i++ {
		sv := NewAltService(c, i)
		if sv.Level < 5 {
			continue
		}
		xs := altSeries(sv)
		for _, o := range sv.Outages {
			var in, base float64
			for tm := o.Start; tm < o.End(); tm++ {
				in += float64(xs[tm])
				base += sv.Usual(tm) * sv.DayLevel[tm/minutesPerDay]
			}
			if got := in / base; got < 0.9*o.Size || got > 1.1*o.Size {
				t.Fatalf("service %d: outage of size %.1f gives %.2f× the rate", i, o.Size, got)
			}
			checked = true
		}
	}
	if !checked {
		t.Fatal("no outage on a busy service to check")
	}
}

// The daily wave and the weekend keep the weekly mean at Level, and the
// day-level factor has mean 1 and the spread of a gamma of shape 50.
func TestAltTraffic(t *testing.T) {
	c := AltConfig()
	var levels []float64
	for i := range 20 {
		sv := NewAltService(c, i)
		sum := 0.0
		for tm := range minutesPerWeek {
			sum += sv.Usual(tm)
		}
		if mean := sum / minutesPerWeek; math.Abs(mean/sv.Level-1) > 1e-9 {
			t.Fatalf("service %d: weekly mean %v, level %v", i, mean, sv.Level)
		}
		sat, mon := sv.Usual(5*minutesPerDay+600), sv.Usual(600)
		if math.Abs(sat/mon-sv.Weekend) > 1e-9 {
			t.Fatalf("service %d: Saturday over Monday %v, want %v", i, sat/mon, sv.Weekend)
		}
		levels = append(levels, sv.DayLevel...)
	}
	var s, s2 float64
	for _, v := range levels {
		s += v
		s2 += v * v
	}
	n := float64(len(levels))
	mean := s / n
	sd := math.Sqrt(s2/n - mean*mean)
	if math.Abs(mean-1) > 0.03 || math.Abs(sd-1/math.Sqrt(altDayShape)) > 0.03 {
		t.Fatalf("day levels: mean %.3f sd %.3f, want 1 and %.3f", mean, sd, 1/math.Sqrt(altDayShape))
	}
}
