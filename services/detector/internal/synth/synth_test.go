package synth

import (
	"context"
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
	var hist, eval int
	for i := 0; i < 100; i++ {
		sv := NewService(c, i, h)
		for k, o := range sv.Outages {
			if o.Size < 1.5 || o.Size > 50 || o.Len < 3 || o.Len > 360 {
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
}

func TestQuickRun(t *testing.T) {
	c := QuickConfig()
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
		if !(v >= 0 && v <= 1) {
			t.Fatalf("%s %v out of [0, 1]", name, v)
		}
	}
	if f := res.FalsePerServiceWeek(); f < 0 || math.IsNaN(f) {
		t.Fatalf("false incidents per service-week %v", f)
	}
	if d := h.Delay(0.5); h.Detected > 0 && (d < 0 || d > h.Delay(0.9)) {
		t.Fatalf("median delay %d, p90 %d", d, h.Delay(0.9))
	}
	var out strings.Builder
	if err := res.Write(&out); err != nil {
		t.Fatal(err)
	}
	wants := []string{"HEADLINE", "recall ≥ 0.97", "by volume class", "slow ramp", "per service-week"}
	if _, f := res.IncidentCount(NewServicePhase, nil); f > 0 {
		wants = append(wants, "by day: day 1 ", "by likely cause: noise ")
	}
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())

	// The same config gives the same result, whatever the workers.
	c.Workers = 1
	again, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Outages, again.Outages) || !reflect.DeepEqual(res.Incidents, again.Incidents) {
		t.Fatal("a second run with one worker differs")
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
	bad := []func(*Config){
		func(c *Config) { c.Services = 0 },
		func(c *Config) { c.WarmupWeeks = 0 },
		func(c *Config) { c.EvalDays = 0 },
		func(c *Config) { c.OutagesPerWeek = -1 },
		func(c *Config) { c.Step = 0 },
		func(c *Config) { c.Params.MinReporters = 0 },
	}
	for i, f := range bad {
		c := QuickConfig()
		f(&c)
		if c.Validate() == nil {
			t.Fatalf("bad config %d accepted", i)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
