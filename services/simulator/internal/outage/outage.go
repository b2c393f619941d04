// Package outage describes simulated outages: a window in which a service
// receives a multiple of its usual reports, and the flag syntax that
// schedules them.
package outage

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Shape is how an outage's report rate evolves over its window.
type Shape int

// Shapes of an outage.
const (
	// Step jumps to the full multiplier for the whole window.
	Step Shape = iota
	// Spike jumps to the multiplier and decays back towards normal, like a
	// short outage that is fixed while reports are still trickling in.
	Spike
	// Ramp climbs to the multiplier over most of the window, like a
	// degradation that spreads.
	Ramp
)

func (s Shape) String() string {
	switch s {
	case Spike:
		return "spike"
	case Ramp:
		return "ramp"
	default:
		return "step"
	}
}

// ParseShape reads "step", "spike" or "ramp".
func ParseShape(s string) (Shape, error) {
	switch s {
	case "step":
		return Step, nil
	case "spike":
		return Spike, nil
	case "ramp":
		return Ramp, nil
	}
	return Step, fmt.Errorf("unknown shape %q (want step, spike or ramp)", s)
}

// Outage is a window of extra reports for one service.
type Outage struct {
	Service    string
	Start      time.Time
	Duration   time.Duration
	Multiplier float64
	Shape      Shape
	// Symptom is what most of the extra reports complain about; empty
	// means they follow the service's usual mix.
	Symptom string
	// Country is where most of the extra reports come from; empty means
	// the service's usual mix.
	Country string
	// MinBase is a floor under the rate that Multiplier multiplies, so a
	// random outage on a small service at night is still visible.
	MinBase float64
}

// The shares of an outage's extra reports that carry its Symptom and come
// from its Country (when set); the rest follow the service's usual mix.
// The live simulator and the backfilled history both draw with these.
const (
	SymptomShare = 0.75
	CountryShare = 0.8
)

// End is when the outage is over.
func (o Outage) End() time.Time { return o.Start.Add(o.Duration) }

// Active reports whether t falls in the outage window.
func (o Outage) Active(t time.Time) bool {
	return !t.Before(o.Start) && t.Before(o.End())
}

// Factor is the multiplier on the service's rate at t: 1 outside the
// window, up to Multiplier inside it.
func (o Outage) Factor(t time.Time) float64 {
	if !o.Active(t) || o.Duration <= 0 {
		return 1
	}
	x := float64(t.Sub(o.Start)) / float64(o.Duration)
	extra := o.Multiplier - 1
	switch o.Shape {
	case Spike:
		const rise = 0.05
		if x < rise {
			return 1 + extra*x/rise
		}
		return 1 + extra*math.Exp(-4*(x-rise)/(1-rise))
	case Ramp:
		const climb = 0.6
		if x < climb {
			return 1 + extra*x/climb
		}
		return o.Multiplier
	default:
		return o.Multiplier
	}
}

// Extra is the rate of reports the outage adds at t on top of a service
// whose normal rate is base.
func (o Outage) Extra(t time.Time, base float64) float64 {
	f := o.Factor(t)
	if f <= 1 {
		return 0
	}
	return (f - 1) * max(base, o.MinBase)
}

// ParseList reads a comma-separated list of outage specs (see Parse).
// known reports whether a service slug exists.
func ParseList(specs []string, now time.Time, known func(string) bool) ([]Outage, error) {
	var out []Outage
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		o, err := Parse(spec, now)
		if err != nil {
			return nil, err
		}
		if known != nil && !known(o.Service) {
			return nil, fmt.Errorf("outage %q: unknown service %q", spec, o.Service)
		}
		out = append(out, o)
	}
	return out, nil
}

// Parse reads one outage spec:
//
//	service@start:duration:multiplier[:shape]
//
// start is an offset from now ("+2m", "+0s", "-5m" for one already under
// way), "now", or an RFC 3339 time; duration is a Go duration; multiplier
// is a number above 1 with an optional "x"; shape is step (default), spike
// or ramp. Example: "whatsapp@+2m:10m:20x:spike".
func Parse(spec string, now time.Time) (Outage, error) {
	fail := func(err error) (Outage, error) { return Outage{}, fmt.Errorf("outage %q: %w", spec, err) }
	service, rest, ok := strings.Cut(spec, "@")
	if !ok || service == "" {
		return fail(errors.New("want service@start:duration:multiplier[:shape]"))
	}
	// Fields are read from the right because an RFC 3339 start holds colons.
	parts := strings.Split(rest, ":")
	shape := Step
	if n := len(parts); n > 0 {
		if s, err := ParseShape(parts[n-1]); err == nil {
			shape = s
			parts = parts[:n-1]
		}
	}
	if len(parts) < 3 {
		return fail(errors.New("want service@start:duration:multiplier[:shape]"))
	}
	n := len(parts)
	mult, err := parseMultiplier(parts[n-1])
	if err != nil {
		return fail(err)
	}
	dur, err := time.ParseDuration(parts[n-2])
	if err != nil {
		return fail(fmt.Errorf("duration: %w", err))
	}
	if dur <= 0 {
		return fail(errors.New("duration must be positive"))
	}
	start, err := parseStart(strings.Join(parts[:n-2], ":"), now)
	if err != nil {
		return fail(err)
	}
	return Outage{Service: service, Start: start, Duration: dur, Multiplier: mult, Shape: shape}, nil
}

func parseMultiplier(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(s), "x"), 64)
	if err != nil {
		return 0, fmt.Errorf("multiplier %q is not a number", s)
	}
	if !(f > 1) || f > 10000 {
		return 0, fmt.Errorf("multiplier %v must be above 1 and at most 10000", f)
	}
	return f, nil
}

func parseStart(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-"):
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("start offset: %w", err)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("start %q is neither +offset, now nor an RFC 3339 time", s)
	}
	return t, nil
}
