package detect_test

import (
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestJudgedBucketsAreStored checks that every complete bucket the
// detector judges leaves its row in the expectations table, and that an
// incident's opening count is above the one-bucket span's "possible"
// threshold stored for it: the band a page draws is the detector's.
func TestJudgedBucketsAreStored(t *testing.T) {
	s := setup(t)
	minute := now.Truncate(time.Minute)
	// A quiet service, and one whose previous minute bursts.
	s.insert(t, burst("quiet", 2, 2, minute.Add(-90*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	s.insert(t, burst("gojek", 40, 40, minute.Add(-50*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	d := s.detector(t)
	cycle(t, d, now)
	cycle(t, d, now.Add(time.Minute))

	ctx := testenv.Ctx(t)
	rows, err := clickhouse.LatestExpectations(ctx, s.conn, minute.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"quiet", "gojek"} {
		r, ok := rows[svc]
		if !ok {
			t.Fatalf("no row for %s in %v", svc, rows)
		}
		if !r.Bucket.Equal(minute) || r.Length != time.Minute || !(r.Expected > 0) || len(r.Spans) != 4 {
			t.Errorf("%s's latest row = %+v, want minute %s, a minute long, expected > 0, four spans", svc, r, minute)
		}
	}
	open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 || open[0].Service != "gojek" {
		t.Fatalf("open incidents = %+v, want gojek's", open)
	}
	got, err := clickhouse.ExpectationSeries(ctx, s.conn, "gojek", minute.Add(-time.Minute), time.Minute, 2)
	if err != nil {
		t.Fatal(err)
	}
	opened := got[0] // the burst's minute
	if opened.End == nil || opened.End.Count != 40 || !(opened.End.Possible <= 40) {
		t.Fatalf("the burst's minute was judged as %+v, want 40 reporters at or over the possible threshold", opened.End)
	}
	if q := got[1]; q.End == nil || q.End.Count != 0 || !(q.End.Possible > 0) {
		t.Fatalf("the quiet minute after was judged as %+v, want 0 reporters under a positive threshold", q.End)
	}
}
