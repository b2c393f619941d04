package spike

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/draw"
)

var w0 = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

func minute(m int) time.Time { return w0.Add(time.Duration(m) * time.Minute) }

func TestTailCalibration(t *testing.T) {
	alpha := newSeries(time.Minute).alpha
	t.Run("the prior leaves the model's evidence alone", func(t *testing.T) {
		for _, x := range []float64{0, 1, 6, 12, 40} {
			if got := priorTail.calibrated(x, alpha); math.Abs(got-x) > 1e-9 {
				t.Fatalf("calibrated(%v) = %v under the prior", x, got)
			}
		}
	})
	t.Run("a series that bursts often by chance needs a bigger burst", func(t *testing.T) {
		// Runs over tailFrom every hundred buckets, exceeding it by 3 on
		// average: far more, and by far more, than the model says.
		bursty := Tail{Rate: 0.01, Excess: 0.03}
		for _, x := range []float64{6, 12, 40} {
			got := bursty.calibrated(x, alpha)
			if !(got < x-1) {
				t.Fatalf("calibrated(%v) = %v, want well below it", x, got)
			}
		}
		if a, b := bursty.calibrated(12, alpha), bursty.calibrated(40, alpha); !(b > a) {
			t.Fatalf("calibration must keep the order: %v then %v", a, b)
		}
	})
	t.Run("a calm series is never judged more eagerly than the model", func(t *testing.T) {
		calm := Tail{Rate: 1e-6, Excess: 1e-8}
		for _, x := range []float64{2, 6, 12} {
			if got := calm.calibrated(x, alpha); got != x {
				t.Fatalf("calibrated(%v) = %v, want %v", x, got, x)
			}
		}
	})
}

// TestTailLearnsRunsOnceAndNotIncidents steps series whose only
// surprises are short bursts: bursts that open no incident teach the
// tail once per burst, whatever their length, and bursts that are
// incidents teach it nothing.
func TestTailLearnsRunsOnceAndNotIncidents(t *testing.T) {
	learn := func(burst uint32, minutes int) Tail {
		tr, err := NewTracker(DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 4))
		for m := 0; m < 3*24*60; m++ {
			c := uint32(draw.Poisson(r, 10))
			if m%240 >= 120 && m%240 < 120+minutes { // every four hours
				c = burst
			}
			tr.StepBaseline("svc", minute(m), c, Baseline{Expected: 10})
		}
		return tr.series["svc"].tail[0]
	}
	chatter := learn(22, 1) // 2.2×: surprising, short of "possible"
	longer := learn(22, 3)
	outages := learn(60, 1) // 6×: an incident each time
	none := learn(10, 1)
	// What each taught beyond the prior, which fades over the half-life.
	taught := func(tl Tail) float64 { return tl.Rate - none.Rate }
	if !(taught(chatter) > 0.001) {
		t.Fatalf("chatter every four hours taught a rate of %v over the prior, want about 0.002", taught(chatter))
	}
	if r := taught(longer) / taught(chatter); r > 1.5 {
		t.Fatalf("three-bucket bursts taught %v times the rate of one-bucket ones: want each burst counted once", r)
	}
	if !(taught(outages) < taught(chatter)/2) {
		t.Fatalf("bursts that were incidents taught %v, chatter %v: want incidents left out", taught(outages), taught(chatter))
	}
}

// TestSpansRestartAfterAnIncident checks that the hour of an outage that
// ended cannot reopen it through the long spans.
func TestSpansRestartAfterAnIncident(t *testing.T) {
	tr, err := NewTracker(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for m := -60; m < 0; m++ {
		tr.StepBaseline("svc", minute(m), 0, Baseline{Expected: 0.1})
	}
	var opened, resolved int
	for m := 0; m < 120; m++ {
		c := uint32(0)
		if m < 30 {
			c = 2
		}
		switch tr.StepBaseline("svc", minute(m), c, Baseline{Expected: 0.1}).Kind {
		case Opened:
			opened++
		case Resolved:
			resolved++
		}
	}
	if opened != 1 || resolved != 1 {
		t.Fatalf("opened %d and resolved %d incidents, want one of each", opened, resolved)
	}
}

// TestDispersionIsLearnt checks that a series noisier than the model
// learns a wider dispersion, a quiet one a narrower, and that a burst
// counted by an incident teaches nothing.
func TestDispersionIsLearnt(t *testing.T) {
	learn := func(phi float64, outage bool) float64 {
		tr, _ := NewTracker(DefaultParams())
		r := rand.New(rand.NewPCG(5, 6))
		for m := 0; m < 4*24*60; m++ {
			c := uint32(draw.GammaPoisson(r, 100, phi))
			if outage && m%1440 < 30 {
				c = 1000
			}
			tr.StepBaseline("svc", minute(m), c, Baseline{Expected: 100})
		}
		return tr.series["svc"].disp[0].dispersion(DefaultParams().Dispersion)
	}
	// Four days are more than a half-life: the prior (0.05) has faded by
	// more than half.
	calm, noisy := learn(0.001, false), learn(0.2, false)
	if !(calm < 0.03) || !(noisy > 0.1) {
		t.Fatalf("learnt φ %.4f for a calm series and %.4f for a noisy one (true 0.001 and 0.2, prior 0.05)", calm, noisy)
	}
	if withOutages := learn(0.001, true); withOutages > 2*calm+0.005 {
		t.Fatalf("daily outages raised the learnt φ from %.4f to %.4f", calm, withOutages)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	p := DefaultParams()
	a, _ := NewTracker(p)
	r := rand.New(rand.NewPCG(1, 1))
	for m := 0; m < 2000; m++ {
		a.StepBaseline("svc", minute(m), uint32(draw.Poisson(r, 20)), Baseline{Expected: 20})
	}
	var saved Record
	a.Records(func(_ string, rec Record) { saved = rec })
	if saved.IsZero() || !saved.At.Equal(minute(1998)) {
		t.Fatalf("record %+v, want one as of the bucket before the latest", saved)
	}
	b, _ := NewTracker(p)
	b.RestoreRecord("svc", saved)
	var back Record
	b.Records(func(_ string, rec Record) { back = rec })
	if back != saved {
		t.Fatalf("restored record reads back as %+v, want %+v", back, saved)
	}
	b.RestoreRecord("bad", Record{At: minute(0), Spread: [nScales]Moments{{Num: math.NaN(), Den: 1}, {Num: 1, Den: math.Inf(1)}},
		Tail: [nScales]Tail{{Rate: 1e9, Excess: 1}, {Rate: math.NaN(), Excess: 1}, {Rate: 0.01, Excess: math.Inf(1)}}})
	b.Records(func(s string, rec Record) {
		if s == "bad" {
			t.Fatalf("a record of non-finite values was kept: %+v", rec)
		}
	})
	for j, tl := range b.series["bad"].tail {
		if tl != priorTail {
			t.Fatalf("span %d kept the tail %+v of a corrupt record, want the prior", Scales[j], tl)
		}
	}
}
