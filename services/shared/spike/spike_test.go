package spike_test

import (
	"math"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// u is an unknown expected count: a service without history, judged
// against the floor.
var u = math.NaN()

type step struct {
	bucket   int
	count    uint32
	baseline float64
	kind     spike.Kind
	level    spike.Level // incident level after the step; none when closed
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// base is a baseline of expected count e (NaN: unknown).
func base(e float64) spike.Baseline { return spike.Baseline{Expected: e} }

// quietHour steps svc through 60 buckets ending before bucket 0 at
// expected count e with counts as expected, rounded: the history that
// fills its spans.
func quietHour(tr *spike.Tracker, svc string, e float64) {
	for m := -60; m < 0; m++ {
		tr.StepBaseline(svc, at(m), uint32(math.Round(e)), base(e))
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
		{"no reporters", func(p *spike.Params) { p.MinReporters = 0 }, false},
		{"NaN dispersion", func(p *spike.Params) { p.Dispersion = math.NaN() }, false},
		{"quiet above possible", func(p *spike.Params) { p.QuietEvidence = 7 }, false},
		{"quiet ratio below one", func(p *spike.Params) { p.QuietRatio = 0.5 }, false},
		{"possible above detected", func(p *spike.Params) { p.PossibleEvidence = 13 }, false},
		{"zero resolve-after", func(p *spike.Params) { p.ResolveAfter = 0 }, false},
		{"faded share of one", func(p *spike.Params) { p.FadedShare = 1 }, false},
		{"zero bucket", func(p *spike.Params) { p.Bucket = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spike.DefaultParams()
			tt.change(&p)
			if err := p.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestTracker(t *testing.T) {
	const (
		none = spike.LevelNone
		poss = spike.LevelPossible
		det  = spike.LevelDetected
	)
	tests := []struct {
		name   string
		steps  []step
		change func(*spike.Params)
	}{
		{"small noise on a new service never opens", []step{
			{0, 3, u, spike.None, none}, {1, 0, u, spike.None, none}, {2, 4, u, spike.None, none}, {3, 10, u, spike.None, none},
		}, nil},
		{"opens, escalates, updates, resolves after 3 quiet buckets", []step{
			{0, 20, u, spike.Opened, poss}, // 20 where the floor expects 3
			{1, 40, u, spike.Escalated, det},
			{2, 45, u, spike.None, det},    // +12% over the announced 40
			{3, 60, u, spike.Updated, det}, // +50%
			{4, 2, u, spike.None, det},
			{5, 1, u, spike.None, det},
			{6, 0, u, spike.Resolved, det},
			{7, 0, u, spike.None, none},
		}, nil},
		{"no flapping on a count oscillating around the threshold", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 16, u, spike.None, poss},
			{2, 15, u, spike.None, poss},
			{3, 17, u, spike.None, poss},
			{4, 14, u, spike.Escalated, det}, // five minutes at five times the floor
			{5, 16, u, spike.None, det},
			{6, 15, u, spike.None, det},
		}, nil},
		{"never de-escalates within an incident", []step{
			{0, 40, u, spike.Opened, det},
			{1, 20, u, spike.None, det},
			{2, 16, u, spike.None, det},
			{3, 40, u, spike.None, det},
		}, nil},
		{"quiet buckets must be consecutive", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{3, 10, u, spike.None, poss}, // not quiet: over 1.5 times the floor, and surprising
			{4, 0, u, spike.None, poss},
			{5, 0, u, spike.None, poss},
			{6, 0, u, spike.Resolved, poss},
		}, nil},
		{"steps within one bucket count as one quiet bucket", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 0, u, spike.None, poss},
			{1, 0, u, spike.None, poss},
			{1, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{3, 0, u, spike.Resolved, poss},
		}, nil},
		{"a bucket that fills up late breaks the quiet run", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{2, 12, u, spike.None, poss}, // same bucket, later: no longer quiet
			{3, 0, u, spike.None, poss},
			{4, 0, u, spike.None, poss},
			{5, 0, u, spike.Resolved, poss},
		}, nil},
		{"a new spike after resolving opens a new incident", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{3, 0, u, spike.Resolved, poss},
			{4, 50, u, spike.Opened, det},
		}, nil},
		{"the quiet time is a duration: one five-minute bucket outlasts three minutes", []step{
			{0, 20, u, spike.Opened, poss},
			{5, 0, u, spike.Resolved, poss},
		}, func(p *spike.Params) { p.Bucket = 5 * time.Minute }},
		{"a quiet time between buckets rounds up to whole buckets", []step{
			{0, 20, u, spike.Opened, poss},
			{1, 0, u, spike.None, poss},
			{2, 0, u, spike.None, poss},
			{3, 0, u, spike.Resolved, poss},
		}, func(p *spike.Params) { p.ResolveAfter = 150 * time.Second }},
		{"a big service's normal day is quiet, its outage is not", []step{
			{0, 45, 40, spike.None, none},
			{1, 60, 40, spike.None, none}, // 1.5 times: surprising, but no outage
			{2, 400, 40, spike.Opened, det},
			{3, 480, 40, spike.None, det}, // +20%: saved, not announced
			{4, 520, 40, spike.Updated, det},
			{5, 50, 40, spike.None, det},
			{6, 40, 40, spike.None, det},
			{7, 35, 40, spike.Resolved, det},
		}, nil},
		{"a huge service's +10% is no outage", []step{
			{0, 11000, 10000, spike.None, none},
			{1, 12000, 10000, spike.None, none},
			{2, 40000, 10000, spike.Opened, det},
		}, nil},
		{"a service whose history is silent: five people at once is possible", []step{
			{0, 5, 0, spike.Opened, poss},
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
					t.Fatalf("step %d (bucket %d, count %d): got %v at level %v (evidence %.1f), want %v at level %v",
						i, s.bucket, s.count, d.Kind, level, d.Evidence, s.kind, s.level)
				}
			}
		})
	}
}

// TestTrackerLongSpans: a small service's outage that no minute shows is
// found by the sum of its minutes, starts where it began, and ends soon
// after it does without being reopened by its own hour.
func TestTrackerLongSpans(t *testing.T) {
	tests := []struct {
		name     string
		rate     float64 // expected reporters a minute
		outage   uint32  // reporters a minute during the outage (0: one every other minute)
		span     int     // the span that must open it
		level    spike.Level
		openedBy int // the outage's minute by which it must have opened
	}{
		{"a tenth a minute becomes two: five minutes tell", 0.1, 2, 5, spike.LevelPossible, 5},
		{"a hundredth a minute becomes one: five minutes tell", 0.01, 1, 5, spike.LevelPossible, 5},
		{"a tenth a minute becomes a half: the hour tells", 0.1, 0, 60, spike.LevelPossible, 60},
		{"a big service's 4×: one minute tells", 100, 400, 1, spike.LevelDetected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := spike.NewTracker(spike.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			quietHour(tr, "svc", tt.rate)
			opened, resolved := -1, -1
			for m := 0; m < 120; m++ {
				c := uint32(math.Round(tt.rate))
				switch {
				case m < 60 && tt.outage > 0:
					c = tt.outage
				case m < 60:
					c = uint32((m + 1) % 2) // one reporter every other minute
				}
				d := tr.StepBaseline("svc", at(m), c, base(tt.rate))
				switch d.Kind {
				case spike.Opened:
					if opened >= 0 {
						t.Fatalf("opened again at minute %d (first at %d, resolved at %d)", m, opened, resolved)
					}
					opened = m
					if d.Incident.Span != tt.span || d.Incident.Level != tt.level {
						t.Fatalf("opened by a span of %d at %v, want %d at %v", d.Incident.Span, d.Incident.Level, tt.span, tt.level)
					}
					if !d.Incident.StartedAt.Equal(at(0)) {
						t.Fatalf("started at %s, want the outage's first minute %s", d.Incident.StartedAt, at(0))
					}
				case spike.Resolved:
					resolved = m
				}
			}
			if opened < 0 || opened >= tt.openedBy {
				t.Fatalf("opened at minute %d, want before %d", opened, tt.openedBy)
			}
			if resolved < 60 || resolved > 60+8 {
				t.Fatalf("resolved at minute %d, want within 8 minutes of the outage's end at 60", resolved)
			}
		})
	}
}

func TestTrackerIncidentFields(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	quietHour(tr, "svc", 2)
	tr.StepBaseline("svc", at(0), 20, base(2))
	tr.StepBaseline("svc", at(1), 50, base(2.5))
	tr.StepBaseline("svc", at(2), 30, base(2))
	tr.StepBaseline("svc", at(3), 0, base(2))
	tr.StepBaseline("svc", at(4), 0, base(2))
	d := tr.StepBaseline("svc", at(5), 0, base(2))
	if d.Kind != spike.Resolved || !d.Open || !d.Save {
		t.Fatalf("decision = %+v, want a saved resolution", d)
	}
	in := d.Incident
	checks := []struct {
		name      string
		got, want any
	}{
		{"started at the first bucket above normal", in.StartedAt, at(0)},
		{"peak", in.Peak, uint32(50)},
		{"peak at", in.PeakAt, at(1)},
		{"expected at the peak", in.PeakExpected, 2.5},
		{"last count", in.Last, uint32(0)},
		{"ended at the start of the quiet run", in.EndedAt, at(3)},
		{"back to normal", in.End, spike.EndNormal},
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
			if d := tr.StepBaseline("svc", at(tt.bucket), tt.count, base(u)); d.Save != tt.save {
				t.Fatalf("Save = %v, want %v", d.Save, tt.save)
			}
		})
	}
}

func TestTrackerPartialBuckets(t *testing.T) {
	t.Run("a partial bucket opens and escalates", func(t *testing.T) {
		tr, _ := spike.NewTracker(spike.DefaultParams())
		if d := tr.StepPartial("svc", at(0), 20, base(u)); d.Kind != spike.Opened {
			t.Fatalf("partial 20: %v, want opened", d.Kind)
		}
		if d := tr.StepPartial("svc", at(0), 40, base(u)); d.Kind != spike.Escalated {
			t.Fatalf("partial 40: %v, want escalated", d.Kind)
		}
	})
	t.Run("a partial bucket is never quiet", func(t *testing.T) {
		tr, _ := spike.NewTracker(spike.DefaultParams())
		tr.StepBaseline("svc", at(0), 40, base(u))
		for m := 1; m <= 10; m++ {
			if d := tr.StepPartial("svc", at(m), 0, base(u)); d.Kind == spike.Resolved {
				t.Fatalf("resolved on partial bucket %d", m)
			}
		}
		tr.StepBaseline("svc", at(11), 0, base(u))
		tr.StepBaseline("svc", at(12), 0, base(u))
		if d := tr.StepBaseline("svc", at(13), 0, base(u)); d.Kind != spike.Resolved {
			t.Fatalf("three full quiet buckets: %v, want resolved", d.Kind)
		}
	})
}

func TestTrackerResolvesOnceFaded(t *testing.T) {
	tr, _ := spike.NewTracker(spike.DefaultParams())
	quietHour(tr, "svc", 3)
	tr.StepBaseline("svc", at(0), 200, base(3))
	var d spike.Decision
	for m := 1; m <= 3; m++ {
		// 20 is seven times normal, but under a tenth of the peak's excess.
		d = tr.StepBaseline("svc", at(m), 20, base(3))
	}
	if d.Kind != spike.Resolved || d.Incident.End != spike.EndFaded {
		t.Fatalf("got %v ending %v, want resolved as faded", d.Kind, d.Incident.End)
	}
}

func TestTrackerRestore(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tr.Restore("svc", spike.Incident{Level: spike.LevelPossible, StartedAt: at(0), Peak: 30, PeakAt: at(0), PeakExpected: 3})
	steps := []step{
		{10, 20, u, spike.None, spike.LevelPossible}, // still high: no second "opened"
		{11, 40, u, spike.Escalated, spike.LevelDetected},
	}
	for i, s := range steps {
		d := tr.StepBaseline("svc", at(s.bucket), s.count, base(s.baseline))
		if d.Kind != s.kind || d.Incident.Level != s.level {
			t.Fatalf("step %d: got %v at %v, want %v at %v", i, d.Kind, d.Incident.Level, s.kind, s.level)
		}
	}
	// Its span is not known after a restart: quiet is judged over the
	// longest span it can be, so it ends no sooner than the others.
	for m := 12; m <= 20; m++ {
		d := tr.StepBaseline("svc", at(m), 0, base(u))
		if d.Kind == spike.Resolved {
			if m < 14 {
				t.Fatalf("resolved at %d, after fewer than three quiet buckets", m)
			}
			return
		}
	}
	t.Fatal("still open after nine quiet buckets")
}

func TestTrackerServicesAreIndependent(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.StepBaseline("a", at(0), 40, base(u)); d.Kind != spike.Opened {
		t.Fatalf("a: %v, want opened", d.Kind)
	}
	if d := tr.StepBaseline("b", at(0), 2, base(u)); d.Kind != spike.None || d.Open {
		t.Fatalf("b: %+v, want nothing", d)
	}
	if got := tr.OpenServices(nil); len(got) != 1 || got[0] != "a" {
		t.Fatalf("open services = %v, want [a]", got)
	}
}

func TestIncidentEnds(t *testing.T) {
	for _, tt := range []struct {
		e    spike.End
		want string
	}{{spike.EndNone, ""}, {spike.EndNormal, "normal"}, {spike.EndFaded, "faded"}, {spike.EndNewNormal, "new_normal"}} {
		if got := tt.e.String(); got != tt.want {
			t.Fatalf("%d: %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestPrimeFillsTheSpans: a detector restarted while a small service's
// slow outage is under way sees it at once through the recent window it
// primes the spans with; without them it sees one minute at a time.
func TestPrimeFillsTheSpans(t *testing.T) {
	counts := make([]float64, 60) // the hour before: ten quiet minutes, then one reporter a minute
	for i := 10; i < 60; i++ {
		counts[i] = 1
	}
	tests := []struct {
		name  string
		prime bool
		want  spike.Kind
	}{
		{"primed", true, spike.Opened},
		{"not primed", false, spike.None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := spike.NewTracker(spike.DefaultParams())
			if tt.prime {
				tr.Prime("svc", at(0), counts, 0.1)
				tr.Prime("svc", at(0), make([]float64, 60), 0.1) // spans that hold something are left alone
			}
			if d := tr.StepBaseline("svc", at(0), 1, base(0.1)); d.Kind != tt.want {
				t.Fatalf("got %v (evidence %.1f), want %v", d.Kind, d.Evidence, tt.want)
			}
		})
	}
}
