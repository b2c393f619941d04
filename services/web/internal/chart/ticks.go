package chart

import (
	"strconv"
	"time"
)

// tick is a labelled time on the x axis.
type tick struct {
	at    time.Time
	label string
}

// tickKind is what a tick step counts in: wall-clock minutes, or calendar
// days, months or years of the chart's zone.
type tickKind int

const (
	minutes tickKind = iota
	days
	months
	years
)

// tickStep is one choice of spacing: every n of its kind; approx is its
// length, to skip steps that would give far too many ticks.
type tickStep struct {
	kind   tickKind
	n      int
	approx time.Duration
}

// tickSteps are the spacings tried, finest first: the page's (Chart.tsx
// HOUR_INCRS, DAY_INCRS) with finer ones for short ranges.
var tickSteps = func() []tickStep {
	var out []tickStep
	for _, m := range []int{1, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720} {
		out = append(out, tickStep{minutes, m, time.Duration(m) * time.Minute})
	}
	for _, d := range []int{1, 2, 3, 7, 14} {
		out = append(out, tickStep{days, d, time.Duration(d) * 24 * time.Hour})
	}
	for _, m := range []int{1, 2, 3, 6} {
		out = append(out, tickStep{months, m, time.Duration(m) * 30 * 24 * time.Hour})
	}
	for _, y := range []int{1, 2, 5, 10} {
		out = append(out, tickStep{years, y, time.Duration(y) * 365 * 24 * time.Hour})
	}
	return out
}()

// axisTicks picks the finest round spacing that puts at most maxTicks
// ticks between start and end, at round times of the zone (local
// midnights, whole hours), and labels them as the page does: "14:00", the
// date at midnight ("3 Dec"), "3 Dec" for days, "Dec 2026" for months.
func axisTicks(start, end time.Time, loc *time.Location, w *words) []tick {
	span := end.Sub(start)
	if span <= 0 {
		return nil
	}
	for _, st := range tickSteps {
		if span > st.approx*(maxTicks+1) {
			continue
		}
		ts := st.times(start, end, loc)
		if len(ts) > maxTicks {
			continue
		}
		out := make([]tick, len(ts))
		for i, t := range ts {
			out[i] = tick{t, st.label(t, w)}
		}
		return out
	}
	return nil
}

// times lists the step's round times from start to end, stopping once
// there are more than maxTicks.
func (st tickStep) times(start, end time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	add := func(t time.Time) bool {
		if t.Before(start) || t.After(end) || (len(out) > 0 && !t.After(out[len(out)-1])) {
			return true
		}
		out = append(out, t)
		return len(out) <= maxTicks
	}
	s := start.In(loc)
	switch st.kind {
	case minutes:
		for day := midnight(s, 0); !day.After(end); day = midnight(day, 1) {
			y, m, d := day.Date()
			for k := 0; k < 24*60; k += st.n {
				t := time.Date(y, m, d, 0, k, 0, 0, loc)
				// Where a clock change skips or repeats the time, the
				// tick would not be round: leave it out.
				if (t.Hour()*60+t.Minute())%st.n != 0 {
					continue
				}
				if !add(t) {
					return out
				}
			}
		}
	case days:
		for day := midnight(s, 0); !day.After(end); day = midnight(day, 1) {
			// Counted from a Monday, so weekly ticks fall on Mondays.
			y, m, d := day.Date()
			n := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 + 3
			if n%int64(st.n) == 0 && !add(day) {
				return out
			}
		}
	case months:
		for t := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, loc); !t.After(end); t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc) {
			if (int(t.Month())-1)%st.n == 0 && !add(t) {
				return out
			}
		}
	case years:
		for t := time.Date(s.Year(), 1, 1, 0, 0, 0, 0, loc); !t.After(end); t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, loc) {
			if t.Year()%st.n == 0 && !add(t) {
				return out
			}
		}
	}
	return out
}

// midnight is the start of the day days after t's, in t's zone.
func midnight(t time.Time, days int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+days, 0, 0, 0, 0, t.Location())
}

func (st tickStep) label(t time.Time, w *words) string {
	switch st.kind {
	case minutes:
		if t.Hour() == 0 && t.Minute() == 0 {
			return w.dayMonth(t)
		}
		return w.clock(t)
	case days:
		return w.dayMonth(t)
	case months:
		return w.monthYear(t)
	}
	return strconv.Itoa(t.Year())
}
