package spike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name            string
		count, expected float64
		dispersion      float64
		min, max        float64
	}{
		{"as expected", 10, 10, 0.05, 0, 0},
		{"below expected is negative", 0, 10, 0.05, -10, -0.1},
		{"poisson 3 on 3", 3, 3, 0, 0, 0},
		{"poisson 40 on 3", 40, 3, 0, 9, 10},
		{"overdispersion shrinks a big service's score", 400, 40, 0.05, 15, 16.5},
		{"same jump without overdispersion", 400, 40, 0, 27, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spike.DefaultParams()
			p.Floor, p.Dispersion = 0, tt.dispersion
			_, got := p.Judge(uint32(tt.count), base(tt.expected))
			if got < tt.min || got > tt.max {
				t.Fatalf("z(%v, %v, %v) = %.3f, want within [%v, %v]", tt.count, tt.expected, tt.dispersion, got, tt.min, tt.max)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	p := spike.DefaultParams()
	tests := []struct {
		name     string
		count    uint32
		baseline float64
		want     spike.Level
	}{
		{"0 to 3 on a tiny service is no outage", 3, 0, spike.LevelNone},
		{"one person is no outage", 1, 0, spike.LevelNone},
		{"10 on a new service stays under the floor's bar", 10, 0, spike.LevelNone},
		{"20 on a new service is possible", 20, 0, spike.LevelPossible},
		{"40 at once on a new service is detected", 40, 0, spike.LevelDetected},
		{"a baseline under the floor counts as the floor", 20, 1, spike.LevelPossible},
		{"40 to 60 on a big service is noise", 60, 40, spike.LevelNone},
		{"40 to 100 on a big service is possible", 100, 40, spike.LevelPossible},
		{"40 to 400 on a big service is detected", 400, 40, spike.LevelDetected},
		{"10000 to 12000 on a huge service is noise", 12000, 10000, spike.LevelNone},
		{"10000 to 19000 on a huge service is not double", 19000, 10000, spike.LevelNone},
		{"10000 to 40000 on a huge service is detected", 40000, 10000, spike.LevelDetected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, z := p.Judge(tt.count, base(tt.baseline))
			if got != tt.want {
				t.Fatalf("Judge(%d, %v) = %v (z=%.2f), want %v", tt.count, tt.baseline, got, z, tt.want)
			}
		})
	}
}

func TestMinReporters(t *testing.T) {
	p := spike.DefaultParams()
	p.MinReporters = 20
	tests := []struct {
		count uint32
		want  spike.Level
	}{
		{19, spike.LevelNone},     // z and ratio are enough, people are not
		{38, spike.LevelPossible}, // z ≥ 8 and 4×, but detected needs 2×20
		{40, spike.LevelDetected},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.count), func(t *testing.T) {
			if got, z := p.Judge(tt.count, base(0)); got != tt.want {
				t.Fatalf("Judge(%d) = %v (z=%.2f), want %v", tt.count, got, z, tt.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*spike.Params)
		ok     bool
	}{
		{"defaults", func(*spike.Params) {}, true},
		{"negative floor", func(p *spike.Params) { p.Floor = -1 }, false},
		{"zero min reporters", func(p *spike.Params) { p.MinReporters = 0 }, false},
		{"zero resolve-after", func(p *spike.Params) { p.ResolveAfter = 0 }, false},
		{"negative resolve-possible-after", func(p *spike.Params) { p.ResolvePossibleAfter = -time.Minute }, false},
		{"zero min weeks", func(p *spike.Params) { p.MinWeeks = 0 }, false},
		{"zero min recent", func(p *spike.Params) { p.MinRecent = 0 }, false},
		{"quiet above opening", func(p *spike.Params) { p.QuietRatio = 3 }, false},
		{"detected below possible", func(p *spike.Params) { p.DetectedZ = 3 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spike.DefaultParams()
			tt.change(&p)
			if err := p.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// step is one call to Tracker.Step and what it must decide.
type step struct {
	bucket   int // minutes after t0
	count    uint32
	baseline float64
	kind     spike.Kind
	level    spike.Level // incident level after the step; none when closed
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// base is a baseline of expected count e with the model's spread.
func base(e float64) spike.Baseline { return spike.Baseline{Expected: e} }

func TestTracker(t *testing.T) {
	const (
		none = spike.LevelNone
		poss = spike.LevelPossible
		det  = spike.LevelDetected
	)
	// The hysteresis cases below are about ResolveAfter; a "possible"
	// incident's shorter quiet run has its own cases.
	resolveAfter := func(p *spike.Params) { p.ResolvePossibleAfter = 0 }
	tests := []struct {
		name   string
		steps  []step
		change func(*spike.Params)
	}{
		{"small noise never opens", []step{
			{0, 3, 0, spike.None, none}, {1, 0, 0, spike.None, none}, {2, 4, 0, spike.None, none},
		}, nil},
		{"opens, escalates, updates, resolves after 3 quiet buckets", []step{
			{-1, 20, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 20, 0, spike.Opened, poss},
			{1, 40, 0, spike.Escalated, det},
			{2, 45, 0, spike.None, det},    // +12% over the announced 40
			{3, 60, 0, spike.Updated, det}, // +50%
			{4, 2, 0, spike.None, det},
			{5, 1, 0, spike.None, det},
			{6, 0, 0, spike.Resolved, det},
			{7, 0, 0, spike.None, none},
		}, nil},
		{"no flapping on a count oscillating around the threshold", []step{
			{-1, 16, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 16, 0, spike.Opened, poss},
			{1, 15, 0, spike.None, poss},
			{2, 17, 0, spike.None, poss},
			{3, 14, 0, spike.None, poss},
			{4, 16, 0, spike.None, poss},
			{5, 15, 0, spike.None, poss},
			{6, 17, 0, spike.None, poss},
		}, nil},
		{"never de-escalates within an incident", []step{
			{0, 40, 0, spike.Opened, det},
			{1, 20, 0, spike.None, det},
			{2, 16, 0, spike.None, det},
			{3, 40, 0, spike.None, det},
		}, nil},
		{"quiet buckets must be consecutive", []step{
			{-1, 20, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{3, 10, 0, spike.None, poss}, // not quiet: 10 ≥ 1.5·3 and z ≥ 2
			{4, 0, 0, spike.None, poss},
			{5, 0, 0, spike.None, poss},
			{6, 0, 0, spike.Resolved, poss},
		}, resolveAfter},
		{"steps within one bucket count as one quiet bucket", []step{
			{-1, 20, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{1, 0, 0, spike.None, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{3, 0, 0, spike.Resolved, poss},
		}, resolveAfter},
		{"a bucket that fills up late breaks the quiet run", []step{
			{-1, 20, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{2, 12, 0, spike.None, poss}, // same bucket, later: no longer quiet
			{3, 0, 0, spike.None, poss},
			{4, 0, 0, spike.None, poss},
			{5, 0, 0, spike.Resolved, poss},
		}, resolveAfter},
		{"a new spike after resolving opens a new incident", []step{
			{-1, 20, 0, spike.None, none}, // "possible" needs two of three buckets
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{3, 0, 0, spike.Resolved, poss},
			{4, 50, 0, spike.Opened, det},
		}, resolveAfter},
		{"with ResolvePossibleAfter a possible incident ends after fewer quiet buckets", []step{
			{-1, 20, 0, spike.None, none},
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.Resolved, poss},
		}, func(p *spike.Params) { p.ResolvePossibleAfter = 2 * time.Minute }},
		{"by default a possible incident keeps the full quiet run", []step{
			{-1, 20, 0, spike.None, none},
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{3, 0, 0, spike.Resolved, poss},
		}, nil},
		{"the quiet time is a duration: one five-minute bucket outlasts three minutes", []step{
			{-5, 20, 0, spike.None, none},
			{0, 20, 0, spike.Opened, poss},
			{5, 0, 0, spike.Resolved, poss},
		}, func(p *spike.Params) { p.Bucket = 5 * time.Minute }},
		{"a quiet time between buckets rounds up to whole buckets", []step{
			{-1, 20, 0, spike.None, none},
			{0, 20, 0, spike.Opened, poss},
			{1, 0, 0, spike.None, poss},
			{2, 0, 0, spike.None, poss},
			{3, 0, 0, spike.Resolved, poss},
		}, func(p *spike.Params) { p.ResolveAfter = 150 * time.Second }},
		{"one that reached detected keeps the full quiet run", []step{
			{-1, 20, 0, spike.None, none},
			{0, 20, 0, spike.Opened, poss},
			{1, 40, 0, spike.Escalated, det},
			{2, 0, 0, spike.None, det},
			{3, 0, 0, spike.None, det},
			{4, 0, 0, spike.Resolved, det},
		}, nil},
		{"a big service's normal day is quiet, its outage is not", []step{
			{0, 45, 40, spike.None, none},
			{1, 60, 40, spike.None, none},
			{2, 400, 40, spike.Opened, det},
			{3, 480, 40, spike.None, det}, // +20%: saved, not announced
			{4, 520, 40, spike.Updated, det},
			{5, 50, 40, spike.None, det},
			{6, 40, 40, spike.None, det},
			{7, 35, 40, spike.Resolved, det},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spike.DefaultParams()
			if tt.change != nil {
				tt.change(&p)
			}
			tr, err := spike.NewTracker(p)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				d := tr.StepBaseline("svc", at(s.bucket), s.count, base(s.baseline))
				level := spike.LevelNone
				if in, ok := tr.Lookup("svc"); ok {
					level = in.Level
				} else if d.Kind == spike.Resolved {
					level = d.Incident.Level
				}
				if d.Kind != s.kind || level != s.level {
					t.Fatalf("step %d (bucket %d, count %d): got %v at level %v, want %v at level %v",
						i, s.bucket, s.count, d.Kind, level, s.kind, s.level)
				}
			}
		})
	}
}

func TestTrackerIncidentFields(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tr.StepBaseline("svc", at(0), 20, base(0))
	tr.StepBaseline("svc", at(1), 50, base(2))
	tr.StepBaseline("svc", at(2), 30, base(0))
	tr.StepBaseline("svc", at(3), 0, base(0))
	tr.StepBaseline("svc", at(4), 0, base(0))
	d := tr.StepBaseline("svc", at(5), 0, base(0))
	if d.Kind != spike.Resolved || !d.Open || !d.Save {
		t.Fatalf("decision = %+v, want a saved resolution", d)
	}
	in := d.Incident
	checks := []struct {
		name      string
		got, want any
	}{
		{"started at the first bucket above threshold", in.StartedAt, at(0)},
		{"peak", in.Peak, uint32(50)},
		{"peak at", in.PeakAt, at(1)},
		{"expected at the peak is floored", in.PeakExpected, 3.0},
		{"last count", in.Last, uint32(0)},
		{"ended at the start of the quiet run", in.EndedAt, at(3)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %v, want %v", c.got, c.want)
			}
		})
	}
	if tr.Len() != 0 {
		t.Fatalf("%d incidents still open", tr.Len())
	}
}

func TestTrackerSaves(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tr.StepBaseline("svc", at(-1), 20, base(0)) // the first of the two buckets that open
	tests := []struct {
		name   string
		bucket int
		count  uint32
		save   bool
	}{
		{"open", 0, 20, true},
		{"same bucket, same count", 0, 20, false},
		{"same bucket, higher peak", 0, 22, true},
		{"same bucket, lower count", 0, 21, false},
		{"new bucket", 1, 21, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := tr.StepBaseline("svc", at(tt.bucket), tt.count, base(0)); d.Save != tt.save {
				t.Fatalf("Save = %v, want %v", d.Save, tt.save)
			}
		})
	}
}

func TestTrackerRestore(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tr.Restore("svc", spike.Incident{Level: spike.LevelPossible, StartedAt: at(0), Peak: 30, PeakAt: at(0), PeakExpected: 3})
	steps := []step{
		{10, 30, 0, spike.None, spike.LevelPossible}, // still high: no second "opened"
		{11, 40, 0, spike.Escalated, spike.LevelDetected},
		{12, 0, 0, spike.None, spike.LevelDetected},
		{13, 0, 0, spike.None, spike.LevelDetected},
		{14, 0, 0, spike.Resolved, spike.LevelDetected},
	}
	for i, s := range steps {
		d := tr.StepBaseline("svc", at(s.bucket), s.count, base(s.baseline))
		if d.Kind != s.kind || d.Incident.Level != s.level {
			t.Fatalf("step %d: got %v at %v, want %v at %v", i, d.Kind, d.Incident.Level, s.kind, s.level)
		}
	}
}

func TestTrackerServicesAreIndependent(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.StepBaseline("a", at(0), 40, base(0)); d.Kind != spike.Opened {
		t.Fatalf("a: %v, want opened", d.Kind)
	}
	if d := tr.StepBaseline("b", at(0), 2, base(0)); d.Kind != spike.None || d.Open {
		t.Fatalf("b: %+v, want nothing", d)
	}
	if got := tr.OpenServices(nil); len(got) != 1 || got[0] != "a" {
		t.Fatalf("open services = %v, want [a]", got)
	}
}

// BenchmarkTrackerCycle steps 10,000 services once each, as one detector
// cycle does: most quiet, one in a hundred with an ongoing outage.
func BenchmarkTrackerCycle(b *testing.B) {
	const n = 10000
	services := make([]string, n)
	counts := make([]uint32, n)
	baselines := make([]float64, n)
	for i := range services {
		services[i] = fmt.Sprintf("service-%05d", i)
		baselines[i] = float64(i % 50)
		counts[i] = uint32(i % 50)
		if i%100 == 0 {
			counts[i] = uint32(10*(i%50) + 40)
		}
	}
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bucket := t0.Add(time.Duration(i) * time.Minute)
		for j, s := range services {
			tr.StepBaseline(s, bucket, counts[j], base(baselines[j]))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/service")
}

func TestTrackerOpening(t *testing.T) {
	none, poss, det := spike.LevelNone, spike.LevelPossible, spike.LevelDetected
	tests := []struct {
		name  string
		steps []step
	}{
		{"one possible bucket alone opens nothing", []step{
			{0, 20, 0, spike.None, none}, {1, 0, 0, spike.None, none}, {2, 0, 0, spike.None, none},
			{3, 20, 0, spike.None, none}, // the earlier hit is out of the last three buckets
		}},
		{"two possible buckets of three open", []step{
			{0, 20, 0, spike.None, none}, {1, 2, 0, spike.None, none}, {2, 20, 0, spike.Opened, poss},
		}},
		{"one bucket stepped twice counts once", []step{
			{0, 20, 0, spike.None, none}, {0, 22, 0, spike.None, none}, {0, 25, 0, spike.None, none},
		}},
		{"a bucket that falls back below possible is no longer a hit", []step{
			{0, 20, 0, spike.None, none}, {0, 20, 20, spike.None, none}, {1, 20, 0, spike.None, none},
		}},
		{"a detected bucket opens at once", []step{
			{0, 40, 0, spike.Opened, det},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := spike.NewTracker(spike.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				d := tr.StepBaseline("svc", at(s.bucket), s.count, base(s.baseline))
				in, _ := tr.Lookup("svc")
				if d.Kind != s.kind || in.Level != s.level {
					t.Fatalf("step %d: got %v at %v, want %v at %v", i, d.Kind, in.Level, s.kind, s.level)
				}
			}
		})
	}
}

func TestTrackerOpensFromItsFirstHit(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tr.StepBaseline("svc", at(0), 25, base(0))
	tr.StepBaseline("svc", at(1), 1, base(0))
	d := tr.StepBaseline("svc", at(2), 20, base(0))
	if d.Kind != spike.Opened || !d.Incident.StartedAt.Equal(at(0)) || d.Incident.Peak != 25 || !d.Incident.PeakAt.Equal(at(0)) {
		t.Fatalf("decision = %+v, want opened at the first hit with its peak", d)
	}
}

func TestTrackerPartialBuckets(t *testing.T) {
	b := spike.Baseline{Expected: 3}
	t.Run("a partial bucket opens and escalates", func(t *testing.T) {
		tr, _ := spike.NewTracker(spike.DefaultParams())
		if d := tr.StepPartial("svc", at(0), 40, b); d.Kind != spike.Opened {
			t.Fatalf("40 reporters in a filling bucket: %v, want opened", d.Kind)
		}
	})
	t.Run("a partial bucket is never quiet", func(t *testing.T) {
		tr, _ := spike.NewTracker(spike.DefaultParams())
		tr.StepBaseline("svc", at(0), 40, b)
		for m := 1; m <= 3; m++ {
			tr.StepBaseline("svc", at(m), 0, b) // complete and quiet
			if m < 3 {
				if d := tr.StepPartial("svc", at(m+1), 0, b); d.Kind == spike.Resolved {
					t.Fatalf("resolved on the partial bucket %d", m+1)
				}
			}
		}
		if _, open := tr.Lookup("svc"); open {
			t.Fatal("still open after three complete quiet buckets")
		}
	})
}

func TestTrackerResolvesOnceFaded(t *testing.T) {
	// A peak of 200 over 3 that has fallen to 30 is still 10× the
	// baseline but under a fifth of the peak's excess: quiet, unless the
	// bucket alone is worth "detected".
	b := spike.Baseline{Expected: 3}
	p := spike.DefaultParams()
	tr, _ := spike.NewTracker(p)
	tr.StepBaseline("svc", at(0), 200, b)
	tr.StepBaseline("svc", at(1), 15, b)
	tr.StepBaseline("svc", at(2), 14, b)
	if d := tr.StepBaseline("svc", at(3), 15, b); d.Kind != spike.Resolved {
		t.Fatalf("after three faded buckets: %v, want resolved", d.Kind)
	}
	tr.StepBaseline("svc", at(10), 200, b)
	for m := 11; m <= 14; m++ {
		if d := tr.StepBaseline("svc", at(m), 40, b); d.Kind == spike.Resolved {
			t.Fatalf("resolved at bucket %d on counts still worth detected", m)
		}
	}
}

// TestTrackerBurstRecord checks that a service whose past bursts were far
// larger needs two buckets to open on a "detected" count, while a service
// without such a record opens at once.
func TestTrackerBurstRecord(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	b := spike.Baseline{Expected: 40, Scale: 1.8, Source: spike.FromWeeks}
	minute := 0
	feed := func(service string, count uint32) spike.Decision {
		return tr.StepBaseline(service, at(minute), count, b)
	}
	// bursty: a large ten-minute burst, then quiet hours.
	plan := []struct {
		n     int
		count uint32
	}{{30, 40}, {10, 800}, {120, 40}}
	for _, s := range plan {
		for range s.n {
			feed("bursty", s.count)
			feed("calm", 40)
			minute++
		}
	}
	if _, open := tr.Lookup("bursty"); open {
		t.Fatal("the first burst's incident is still open")
	}
	if d := feed("calm", 200); d.Kind != spike.Opened || d.Incident.Level != spike.LevelDetected {
		t.Fatalf("calm service: %v at %v, want opened at detected", d.Kind, d.Incident.Level)
	}
	d := feed("bursty", 200)
	if d.Level != spike.LevelDetected || d.Kind != spike.None {
		t.Fatalf("bursty service, first bucket: %v (count worth %v), want no incident yet", d.Kind, d.Level)
	}
	minute++
	if d := feed("bursty", 200); d.Kind != spike.Opened {
		t.Fatalf("bursty service, second bucket: %v, want opened", d.Kind)
	}
}

// TestTrackerChatterRecord checks the "possible" bar: a service whose
// past bursts stayed below an incident (chatter) needs a bigger burst to
// open, while a service whose past burst was a real outage opens the next
// modest one as a service without any record does.
func TestTrackerChatterRecord(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	b := spike.Baseline{Expected: 40, Scale: 1.8, Source: spike.FromWeeks}
	minute := 0
	feed := func(service string, count uint32) spike.Decision {
		return tr.StepBaseline(service, at(minute), count, b)
	}
	// chatty: one-bucket rises every ten minutes, each too short to open.
	// outage: one large ten-minute outage, then quiet.
	for i := range 180 {
		chatty := uint32(40)
		if i%10 == 5 {
			chatty = 90
		}
		outage := uint32(40)
		if i >= 30 && i < 40 {
			outage = 800
		}
		if d := feed("chatty", chatty); d.Kind == spike.Opened {
			t.Fatalf("chatty service opened at minute %d", minute)
		}
		feed("outage", outage)
		minute++
	}
	if _, open := tr.Lookup("outage"); open {
		t.Fatal("the outage's incident is still open")
	}
	// Two buckets at "possible": enough to open, but only twice the
	// chatter's evidence.
	opened := map[string]bool{}
	for range 2 {
		for _, s := range []string{"chatty", "outage"} {
			if d := feed(s, 90); d.Kind == spike.Opened {
				opened[s] = true
			}
		}
		minute++
	}
	if opened["chatty"] {
		t.Error("chatty service opened a burst no larger than its chatter")
	}
	if !opened["outage"] {
		t.Error("outage service did not open: its past outage raised the bar")
	}
}

// TestIncidentEnds checks that a resolved incident says why it ended.
func TestIncidentEnds(t *testing.T) {
	// A span feeds count against expected for every minute of [from, to).
	type span struct {
		from, to int
		count    uint32
		expected float64
	}
	tests := []struct {
		name  string
		spans []span
		want  spike.End
	}{
		{"reports back to normal", []span{{0, 5, 400, 40}, {5, 20, 40, 40}}, spike.EndNormal},
		// 40 on 10 is still "possible" (4×), but its excess is a tenth of
		// the peak's.
		{"reports fell to a fifth of the peak's excess", []span{{0, 5, 400, 10}, {5, 20, 40, 10}}, spike.EndFaded},
		// The caller thaws the incident's baseline after FreezeFor: the
		// expected count becomes the outage's own level.
		{"reports stayed up past the freeze", []span{{0, 12 * 60, 160, 10}, {12 * 60, 12*60 + 10, 160, 160}}, spike.EndNewNormal},
		{"back to normal after the freeze", []span{{0, 12 * 60, 160, 10}, {12 * 60, 12*60 + 10, 10, 10}}, spike.EndNormal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := spike.NewTracker(spike.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			var ended *spike.Incident
			for _, s := range tt.spans {
				for m := s.from; m < s.to && ended == nil; m++ {
					d := tr.StepBaseline("svc", at(m), s.count, base(s.expected))
					if d.Kind == spike.Resolved {
						ended = &d.Incident
					}
				}
			}
			if ended == nil {
				t.Fatal("the incident did not end")
			}
			if ended.End != tt.want {
				t.Fatalf("ended as %q, want %q", ended.End, tt.want)
			}
		})
	}
	if s := spike.EndNone.String(); s != "" {
		t.Fatalf("an open incident's end is %q, want empty", s)
	}
}
