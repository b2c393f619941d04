package synth

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// series collects a service's whole series.
func series(sv *Service) []int {
	out := make([]int, 0, sv.Minutes())
	for _, n := range sv.Counts() {
		out = append(out, n)
	}
	return out
}

func TestGeneratorIsDeterministicBySeed(t *testing.T) {
	c := QuickConfig()
	h := Holidays(c)
	a, b := NewService(c, 7, h), NewService(c, 7, h)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and index gave different services")
	}
	sa, sb := series(a), series(b)
	if !reflect.DeepEqual(sa, sb) {
		t.Fatal("same service gave different series")
	}

	c2 := c
	c2.Seed++
	other := NewService(c2, 7, Holidays(c2))
	if other.Level == a.Level && reflect.DeepEqual(series(other), sa) {
		t.Fatal("another seed gave the same service")
	}
	// Services are independent of each other: changing one's index
	// changes it, not the others.
	if NewService(c, 8, h).Level == a.Level {
		t.Fatal("services 7 and 8 share a level")
	}
}

// findService returns the first service of the config that satisfies ok.
func findService(t *testing.T, c Config, ok func(*Service) bool) *Service {
	t.Helper()
	h := Holidays(c)
	for i := 0; i < 2000; i++ {
		if sv := NewService(c, i, h); ok(sv) {
			return sv
		}
	}
	t.Fatal("no such service in 2000")
	return nil
}

func TestDailyShapes(t *testing.T) {
	for d := range numDailyShapes {
		tab := dailyTable(d, 0)
		sum := 0.0
		for _, v := range tab {
			if v <= 0 {
				t.Fatalf("%s: non-positive multiplier %v", d, v)
			}
			sum += v
		}
		if mean := sum / float64(len(tab)); math.Abs(mean-1) > 1e-9 {
			t.Fatalf("%s: mean %v, want 1", d, mean)
		}
	}
	office := dailyTable(OfficeHours, 0)
	night, day := office[3*60], office[13*60]
	if night*4 > day {
		t.Fatalf("office hours: 03:00 %.2f not well below 13:00 %.2f", night, day)
	}
	evening := dailyTable(EveningPeak, 0)
	if evening[21*60] <= evening[10*60] {
		t.Fatalf("evening peak: 21:00 %.2f not above 10:00 %.2f", evening[21*60], evening[10*60])
	}

	// In a generated series too: an office-hours service's nights are
	// quieter than its days.
	c := QuickConfig()
	sv := findService(t, c, func(sv *Service) bool { return sv.Daily == OfficeHours && sv.Level > 5 })
	var nightSum, daySum float64
	for i, n := range series(sv) {
		h := (i % minutesPerDay) / 60
		switch {
		case h >= 1 && h < 5:
			nightSum += float64(n)
		case h >= 11 && h < 15:
			daySum += float64(n)
		}
	}
	if nightSum*2 >= daySum {
		t.Fatalf("office-hours service: night reporters %.0f not well below day %.0f", nightSum, daySum)
	}
}

// The count model itself is tested in the shared draw package; here, the
// generated services carry its overdispersion.
func TestOverdispersion(t *testing.T) {
	// A high-volume generated service: within one time-of-week slot
	// across its plain days the variance is well above the mean.
	c := QuickConfig()
	sv := findService(t, c, func(sv *Service) bool { return sv.Level > 100 && sv.Dispersion > 0.02 })
	xs := series(sv)
	var ratios []float64
	for slot := 0; slot < minutesPerDay; slot += 7 {
		// Successive minutes around the slot, where the usual mean barely
		// moves: compare the spread with the mean.
		var s, s2 float64
		for k := 0; k < 5; k++ {
			x := float64(xs[minutesPerDay+slot+k])
			s += x
			s2 += x * x
		}
		m := s / 5
		ratios = append(ratios, (s2/5-m*m)*5/4/m)
	}
	if med := median(ratios); med < 1.5 {
		t.Fatalf("service with level %.0f and φ %.3f: median variance/mean %.2f, want well above 1", sv.Level, sv.Dispersion, med)
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func TestOutagesAreApplied(t *testing.T) {
	sv := &Service{Level: 100}
	sv.daily = dailyTable(Flat, 0)
	sv.week = [7]float64{1, 1, 1, 1, 1, 1, 1}
	sv.total = 3 * minutesPerDay
	sv.DayFactor = []float64{1, 1, 1}
	tests := []struct {
		name string
		o    Outage
		at   int     // minute into the outage
		want float64 // expected multiple of the usual traffic
	}{
		{"step 5× at its start", Outage{Size: 5, Len: 60, Shape: Step, Floor: 1}, 0, 5},
		{"step 5× at its end", Outage{Size: 5, Len: 60, Shape: Step, Floor: 1}, 59, 5},
		{"spike 10× at its start", Outage{Size: 10, Len: 30, Shape: SpikeDecay, Floor: 1}, 0, 10},
		{"spike decayed after τ", Outage{Size: 10, Len: 30, Shape: SpikeDecay, Floor: 1}, 10, 1 + 9*math.Exp(-1)},
		{"ramp halfway", Outage{Size: 3, Len: 60, Shape: Ramp, Ramp: 20, Floor: 1}, 9, 2},
		{"ramp at full size", Outage{Size: 3, Len: 60, Shape: Ramp, Ramp: 20, Floor: 1}, 30, 3},
		{"floor beats a tiny baseline", Outage{Size: 3, Len: 60, Shape: Step, Floor: 500}, 0, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Start = minutesPerDay
			sv.Outages = []Outage{o}
			tm := o.Start + tt.at
			usual := sv.Usual(tm)
			got := (usual + sv.Added(tm)) / usual
			if math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("traffic is %.4f× the usual, want %.4f×", got, tt.want)
			}
			if a := sv.Added(o.Start - 1); a != 0 {
				t.Fatalf("added %v before the outage", a)
			}
			if a := sv.Added(o.End()); a != 0 {
				t.Fatalf("added %v after the outage", a)
			}
		})
	}

	// In generated series: a step outage's counts are its size times the
	// same minutes a week before and after, on a large service.
	c := DefaultConfig()
	var found bool
	h := Holidays(c)
	for i := 0; i < 300 && !found; i++ {
		sv := NewService(c, i, h)
		if sv.Level < 20 {
			continue
		}
		for _, o := range sv.Outages {
			if o.Shape != Step || o.Len < 60 || o.Size < 3 || o.Start < minutesPerWeek || o.End()+minutesPerWeek > sv.Minutes() {
				continue
			}
			if overlaps(sv.Outages, o.Start-minutesPerWeek, o.End()-minutesPerWeek) || overlaps(sv.Outages, o.Start+minutesPerWeek, o.End()+minutesPerWeek) {
				continue
			}
			found = true
			xs := series(sv)
			var in, around float64
			for tm := o.Start; tm < o.End(); tm++ {
				in += float64(xs[tm])
				around += float64(xs[tm-minutesPerWeek]+xs[tm+minutesPerWeek]) / 2
			}
			if got := in / around; got < 0.8*o.Size || got > 1.25*o.Size {
				t.Fatalf("service %d: outage of size %.1f gives %.2f× the neighbouring weeks", i, o.Size, got)
			}
			break
		}
	}
	if !found {
		t.Fatal("no step outage on a large service to check")
	}
}

func TestOutageSchedule(t *testing.T) {
	c := DefaultConfig()
	h := Holidays(c)
	var hist, eval, faint int
	for i := 0; i < 100; i++ {
		sv := NewService(c, i, h)
		for k, o := range sv.Outages {
			if o.Size < 1.5 || o.Size > 50 || o.Len < 3 || o.Len > 360 || o.Floor < 0.3 || o.Floor > 10 {
				t.Fatalf("service %d: outage out of range: %+v", i, o)
			}
			if o.History != (o.Start < c.warmup()) || (o.History && o.End() > c.warmup()) {
				t.Fatalf("service %d: outage in the wrong span: %+v", i, o)
			}
			if o.End()+c.Grace > c.total() {
				t.Fatalf("service %d: outage runs past the series: %+v", i, o)
			}
			if k > 0 && sv.Outages[k-1].End()+gap > o.Start {
				t.Fatalf("service %d: outages %d and %d too close", i, k-1, k)
			}
			if o.Added < (o.Size-1)*o.Floor-1e-9 {
				t.Fatalf("service %d: outage adds %.2f, below its floor", i, o.Added)
			}
			if o.Floor < 1 {
				faint++
			}
			if o.History {
				hist++
			} else {
				eval++
			}
		}
	}
	// 100 services × 2 weeks × 2 a week, and × 4 weeks × 0.5 a week.
	if eval < 300 || eval > 500 || hist < 120 || hist > 280 {
		t.Fatalf("%d evaluation and %d history outages, want about 400 and 200", eval, hist)
	}
	// The floor factor reaches down to 0.3 a minute: with the log-uniform
	// 0.3–10, about a third of the floors are under 1.
	if faint < (eval+hist)/5 {
		t.Fatalf("%d of %d outages have a floor under 1 a minute, want about a third", faint, eval+hist)
	}
}

// TestQuickRun checks the report's structure, not the detector's figures:
// the detector is tuned apart, and its recall moves with it.
func TestQuickRun(t *testing.T) {
	for _, c := range []Config{QuickConfig(), AltQuickConfig()} {
		t.Run(c.Suite.String(), func(t *testing.T) {
			res, err := Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for _, k := range res.Classes {
				n += k
			}
			if n != c.Services {
				t.Fatalf("%d services in classes, want %d", n, c.Services)
			}
			h := res.HeadlineStat()
			if h.N < 10 {
				t.Fatalf("only %d headline outages", h.N)
			}
			for name, v := range map[string]float64{"recall": h.Recall(), "precision": res.Precision()} {
				if !(v >= 0 && v <= 1) && !math.IsNaN(v) {
					t.Fatalf("%s %v out of [0, 1]", name, v)
				}
			}
			if f := res.FalsePerServiceWeek(); f < 0 || math.IsNaN(f) {
				t.Fatalf("false incidents per service-week %v", f)
			}
			if d := h.Delay(0.5); h.Detected > 0 && (d < 0 || d > h.Delay(0.9)) {
				t.Fatalf("median delay %d, p90 %d", d, h.Delay(0.9))
			}
			// The classes split the headline and the false incidents.
			var hn, fn int
			for k := range numClasses {
				cs := res.ClassStat(k)
				hn += cs.Headline.N
				fn += cs.False
			}
			if _, f := res.IncidentCount(EvalPhase, nil); hn != h.N || fn != f {
				t.Fatalf("classes hold %d headline outages and %d false incidents, want %d and %d", hn, fn, h.N, f)
			}

			var out strings.Builder
			if err := res.Write(&out); err != nil {
				t.Fatal(err)
			}
			wants := []string{
				"(" + c.Suite.String(), "HEADLINE", "adding ≥20 reporters in total",
				"headline recall ≥ 0.93", "median delay ≤ 5 min", "≤ 0.05 per service-week",
				"headline recall of 0.1–1/min services ≥ 0.85",
				"By volume class", "<0.1/min", "0.1–1/min", "1–10/min", "10–100/min", "≥100/min",
				"by reporters/min added", "<0.3 ", "0.3–1 ", "by reporters added in total", "per service-week",
			}
			if c.Suite == MainSuite {
				wants = append(wants, "slow ramp", "φ <0.01")
			}
			if _, f := res.IncidentCount(NewServicePhase, nil); f > 0 {
				wants = append(wants, "by day: day 1 ", "by likely cause: noise ")
			}
			for _, want := range wants {
				if !strings.Contains(out.String(), want) {
					t.Fatalf("report lacks %q:\n%s", want, out.String())
				}
			}
			t.Log("\n" + out.String())

			// The same services give the same results, whatever the
			// workers and however many services run with them.
			few := c
			few.Services, few.Workers = 5, 1
			again, err := Run(context.Background(), few)
			if err != nil {
				t.Fatal(err)
			}
			if want := firstServices(res, few.Services); !reflect.DeepEqual(want.Outages, again.Outages) || !reflect.DeepEqual(want.Incidents, again.Incidents) {
				t.Fatal("a second run with one worker differs")
			}
		})
	}
}

// firstServices returns the outages and incidents of a result's first n
// services.
func firstServices(r *Result, n int) *Result {
	out := &Result{Config: r.Config}
	for _, o := range r.Outages {
		if o.Service < n {
			out.Outages = append(out.Outages, o)
		}
	}
	for _, in := range r.Incidents {
		if in.Service < n {
			out.Incidents = append(out.Incidents, in)
		}
	}
	return out
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		level float64
		want  Class
	}{
		{1.0 / minutesPerDay, Sparse},
		{0.0999, Sparse},
		{0.1, Low},
		{0.999, Low},
		{1, Moderate},
		{9.99, Moderate},
		{10, Busy},
		{99.9, Busy},
		{100, Heavy},
		{300, Heavy},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.level), func(t *testing.T) {
			if got := ClassOf(tt.level); got != tt.want {
				t.Fatalf("ClassOf(%v) = %s, want %s", tt.level, got, tt.want)
			}
		})
	}
}

// Every volume class holds some services in the runs the suite ships
// with, so that each class's row means something. The alt suite's levels
// stop at 40 a minute, below the top class.
func TestClassesArePopulated(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		min  [numClasses]int
	}{
		{"default", DefaultConfig(), [numClasses]int{40, 20, 20, 20, 10}},
		{"quick", QuickConfig(), [numClasses]int{5, 5, 5, 5, 3}},
		{"alt", AltConfig(), [numClasses]int{5, 5, 5, 3, 0}},
		{"alt quick", AltQuickConfig(), [numClasses]int{2, 2, 2, 2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen := tt.c.generator()
			var got [numClasses]int
			for i := range tt.c.Services {
				got[gen(i).info().Class]++
			}
			for k := range numClasses {
				if got[k] < tt.min[k] {
					t.Fatalf("services by class %v, want at least %v", got, tt.min)
				}
			}
			if tt.c.Suite == AltSuite && got[Heavy] != 0 {
				t.Fatalf("alt suite has %d services at 100 a minute or more", got[Heavy])
			}
			t.Logf("services by class %v", got)
		})
	}
}

func TestParseSuite(t *testing.T) {
	tests := []struct {
		name string
		want Suite
		ok   bool
	}{
		{"main", MainSuite, true},
		{"alt", AltSuite, true},
		{"", 0, false},
		{"Alt", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSuite(tt.name)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseSuite(%q) = %v, %v", tt.name, got, err)
			}
		})
	}
	for _, s := range []Suite{MainSuite, AltSuite} {
		for _, quick := range []bool{false, true} {
			if c := ConfigFor(s, quick); c.Suite != s || c.Validate() != nil {
				t.Fatalf("ConfigFor(%s, %v) = suite %s, %v", s, quick, c.Suite, c.Validate())
			}
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, QuickConfig()); err == nil {
		t.Fatal("cancelled run returned no error")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []struct {
		name string
		set  func(*Config)
	}{
		{"no services", func(c *Config) { c.Services = 0 }},
		{"no warm-up", func(c *Config) { c.WarmupWeeks = 0 }},
		{"no evaluation", func(c *Config) { c.EvalDays = 0 }},
		{"negative outage rate", func(c *Config) { c.OutagesPerWeek = -1 }},
		{"negative headline total", func(c *Config) { c.MinTotal = -1 }},
		{"unknown suite", func(c *Config) { c.Suite = numSuites }},
		{"no step", func(c *Config) { c.Step = 0 }},
		{"bad detector params", func(c *Config) { c.Params.MinReporters = 0 }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := QuickConfig()
			tt.set(&c)
			if c.Validate() == nil {
				t.Fatal("bad config accepted")
			}
		})
	}
	for _, c := range []Config{DefaultConfig(), QuickConfig(), AltConfig(), AltQuickConfig()} {
		if err := c.Validate(); err != nil {
			t.Fatalf("%s suite: %v", c.Suite, err)
		}
	}
}
