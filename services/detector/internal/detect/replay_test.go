package detect_test

import (
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestReplayWritesTheHistory checks that a replay of stored history
// leaves what a detector running all along would have: the outage that
// ended as a resolved incident with its breakdown, a judgement for every
// bucket, and the outage still going on at the end left to the detector.
// A second replay changes nothing.
func TestReplayWritesTheHistory(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	// Three days: the first two are the warm-up (Params.MinDays).
	const n = 3 * 24 * 60
	t0 := now.Truncate(time.Minute).Add(-n * time.Minute)
	cfg := detect.DefaultConfig()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	var rs []lapor.Report
	for m := range n {
		rs = append(rs, burst("bank", 2, 2, at(m).Add(5*time.Second), 20*time.Second, []string{"login"}, []string{"ID"})...)
	}
	// A busy service whose history starts at its usual level: no outage,
	// though its first minutes have no baseline but the floor.
	for m := range n {
		rs = append(rs, burst("shop", 40, 40, at(m).Add(5*time.Second), 40*time.Second, []string{"app"}, []string{"ID"})...)
	}
	// A 10-minute outage on the third day, and one under way at the end.
	for m := n - 240; m < n-230; m++ {
		rs = append(rs, burst("bank", 40, 40, at(m).Add(10*time.Second), 30*time.Second, []string{"app", "app", "login"}, []string{"ID", "SG"})...)
	}
	for m := n - 4; m < n; m++ {
		rs = append(rs, burst("bank", 40, 40, at(m).Add(10*time.Second), 30*time.Second, []string{"app"}, []string{"ID"})...)
	}
	s.insert(t, rs)

	for run := 1; run <= 2; run++ {
		res, err := detect.Replay(ctx, s.store(), cfg, at(n))
		if err != nil {
			t.Fatal(err)
		}
		if res.Services != 2 || res.Buckets != 2*n || res.Incidents != 1 || res.Open != 1 {
			t.Fatalf("replay %d: %+v, want 2 services, %d buckets, 1 incident ended, 1 left open", run, res, 2*n)
		}
		got := s.incidents(t, clickhouse.IncidentFilter{})
		if len(got) == 1 && got[0].Service != "bank" {
			t.Fatalf("replay %d: the incident is %s's, want bank's", run, got[0].Service)
		}
		if len(got) != 1 {
			t.Fatalf("replay %d: incidents %+v, want the one that ended", run, got)
		}
		in := got[0]
		if in.Status != lapor.StatusResolved || !in.StartedAt.UTC().Equal(at(n-240)) || in.Level != lapor.LevelDetected ||
			in.Peak < 40 || !in.EndedAt.After(at(n-231)) || in.EndedAt.After(at(n-220)) {
			t.Errorf("replay %d: incident %+v, want detected from its first minute, ended soon after its tenth", run, in)
		}
		if len(in.TopSymptoms) != 2 || in.TopSymptoms[0].Symptom != "app" || len(in.TopCountries) != 2 {
			t.Errorf("replay %d: breakdown %v %v, want app first, then login; two countries", run, in.TopSymptoms, in.TopCountries)
		}
	}
	buckets, err := clickhouse.ExpectationSeries(ctx, s.conn, "bank", at(n-360), 15*time.Minute, 24)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range buckets {
		if b.Judged != 15*time.Minute || b.End == nil {
			t.Fatalf("15-minute bucket %d: %+v, want judged whole with its span's thresholds", i, b)
		}
	}
	if e := buckets[8].End; e.Count < e.Possible {
		t.Errorf("the outage's 15 minutes (%v reporters) are under the stored threshold %v", e.Count, e.Possible)
	}
	if e := buckets[4].End; e.Count >= e.Possible {
		t.Errorf("a quiet 15 minutes (%v reporters) are over the stored threshold %v", e.Count, e.Possible)
	}
}
