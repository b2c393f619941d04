package detect_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestLevelsKeptBetweenCyclesMatchAFullRead checks the recent windows a
// detector keeps from cycle to cycle, reading only their newest buckets
// again, against a full read of the same windows, over an hour and a half
// of cycles: services that start reporting, stop, report every minute,
// reports that reach ClickHouse three minutes late, and a worker that
// stops for ten minutes and then catches up.
func TestLevelsKeptBetweenCyclesMatchAFullRead(t *testing.T) {
	tiny := detect.DefaultConfig() // a window shorter than the re-read tail
	tiny.RecentWindow, tiny.Params.MinRecent = 3*time.Minute, 3
	for name, cfg := range map[string]detect.Config{"an hour": detect.DefaultConfig(), "three minutes": tiny} {
		t.Run(name, func(t *testing.T) { levelsMatch(t, cfg) })
	}
}

func levelsMatch(t *testing.T, cfg detect.Config) {
	s := setup(t)
	newDetector := func() *detect.Detector { return s.detectorWith(t, cfg) }
	ctx := testenv.Ctx(t)
	t0 := now.Truncate(time.Minute)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	// Reports in minute m for each service, as they reach ClickHouse at
	// minute m (or later, for the late ones).
	minute := func(m int) (due []lapor.Report, late []lapor.Report) {
		add := func(svc string, people int) {
			due = append(due, burst(svc, people, people, at(m), 50*time.Second, []string{"app"}, []string{"ID"})...)
		}
		add("steady", 1+m%3)
		if m >= 40 {
			add("newcomer", 2)
		}
		if m < 20 {
			add("leaver", 1)
		}
		if m%7 == 0 {
			late = burst("steady", 2, 2, at(m).Add(55*time.Second), time.Second, []string{"app"}, []string{"SG"})
			for i := range late { // people who did not report on time
				late[i].Reporter += "-late"
			}
		}
		return due, late
	}
	kept := newDetector()
	var lateQueue [][]lapor.Report
	var withheld []lapor.Report
	for m := 0; m < 90; m++ {
		due, late := minute(m)
		switch {
		case m >= 20 && m < 30: // the worker is down for ten minutes
			withheld = append(withheld, due...)
		case m == 30: // and catches up
			s.insert(t, append(withheld, due...))
		default:
			s.insert(t, due)
		}
		if len(lateQueue) >= 3 { // late reports arrive three minutes later
			s.insert(t, lateQueue[0])
			lateQueue = lateQueue[1:]
		}
		lateQueue = append(lateQueue, late)
		cycle(t, kept, at(m).Add(30*time.Second))
		if m == 30 {
			continue // the catch-up's older minutes are read by the next cycle
		}

		prev := at(m - 1)
		got := kept.KeptLevels()
		want, err := newDetector().Levels(ctx, prev, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []string{"steady", "newcomer", "leaver"} {
			g, w := got[svc], want[svc]
			n := int(cfg.RecentWindow / cfg.Bucket)
			if g == nil {
				g = make([]float64, n)
			}
			if w == nil {
				w = make([]float64, n)
			}
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("minute %d, %s: kept window %v, full read %v", m, svc, g, w)
			}
		}
	}
}
