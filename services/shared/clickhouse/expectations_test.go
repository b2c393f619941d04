package clickhouse_test

import (
	"math"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
	"github.com/lapor/lapor/services/shared/testenv"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// row is a one-minute row expecting e, whose 15-minute span needs poss
// and det reporters.
func row(svc string, minute int, e, poss, det float64) clickhouse.Expectation {
	return clickhouse.Expectation{
		Service: svc, Bucket: t0.Add(time.Duration(minute) * time.Minute), Length: time.Minute, Expected: e,
		Spans: []spike.Judgement{
			{Span: 1, Count: 1, Expected: e, Possible: 5, Detected: 10},
			{Span: 15, Count: 15, Expected: 15 * e, Possible: poss, Detected: det},
		},
	}
}

func TestSeries(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	var rows []clickhouse.Expectation
	for m := range 30 {
		rows = append(rows, row("a", m, 2, 60, 130))
	}
	rows = append(rows, row("b", 14, 99, 999, 9999)) // another service's row is not a's
	if err := clickhouse.SaveExpectations(ctx, conn, rows, t0); err != nil {
		t.Fatal(err)
	}
	// Minute 14 judged again later, with a higher threshold: the newer row wins.
	if err := clickhouse.SaveExpectations(ctx, conn, []clickhouse.Expectation{row("a", 14, 2, 70, 140)}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Minutes 30 to 44 were never judged; 45 to 52 were, the rest not yet.
	for m := 45; m < 53; m++ {
		rows = append(rows[:0], row("a", m, 4, 90, 200))
		if err := clickhouse.SaveExpectations(ctx, conn, rows, t0); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		step  time.Duration
		n     int
		check func(t *testing.T, got []clickhouse.ExpectationBucket)
	}{
		{"15-minute buckets carry the 15-minute span's thresholds", 15 * time.Minute, 4, func(t *testing.T, got []clickhouse.ExpectationBucket) {
			if got[0].Judged != 15*time.Minute || math.Abs(got[0].Expected(15*time.Minute)-30) > 1e-9 {
				t.Errorf("first bucket: judged %s, expected %v; want 15m0s and 30", got[0].Judged, got[0].Expected(15*time.Minute))
			}
			if e := got[0].End; e == nil || e.Possible != 70 || e.Detected != 140 || e.Span != 15 {
				t.Errorf("first bucket ends with %+v, want the rewritten span of 15 (70, 140)", e)
			}
			if e := got[1].End; e == nil || e.Possible != 60 {
				t.Errorf("second bucket ends with %+v, want possible 60", e)
			}
			if got[2].Judged != 0 || got[2].End != nil {
				t.Errorf("a bucket never judged reads %+v, want nothing", got[2])
			}
			if got[3].Judged != 8*time.Minute || math.Abs(got[3].Rate-4.0/60) > 1e-9 || got[3].End != nil {
				t.Errorf("the filling bucket reads %+v, want 8 judged minutes at 4 a minute and no end yet", got[3])
			}
		}},
		{"a step no span has gives expected counts only", 30 * time.Minute, 2, func(t *testing.T, got []clickhouse.ExpectationBucket) {
			if got[0].End != nil || math.Abs(got[0].Expected(30*time.Minute)-60) > 1e-9 {
				t.Errorf("30-minute bucket reads %+v, want 60 expected and no span", got[0])
			}
		}},
		{"minute buckets carry the one-bucket span", time.Minute, 3, func(t *testing.T, got []clickhouse.ExpectationBucket) {
			for i, b := range got {
				if b.End == nil || b.End.Span != 1 || b.End.Possible != 5 {
					t.Errorf("minute %d ends with %+v, want span 1", i, b.End)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clickhouse.ExpectationSeries(ctx, conn, "a", t0, tt.step, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.n {
				t.Fatalf("%d buckets, want %d", len(got), tt.n)
			}
			tt.check(t, got)
		})
	}

	t.Run("latest row of each service", func(t *testing.T) {
		got, err := clickhouse.LatestExpectations(ctx, conn, t0.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if a := got["a"]; !a.Bucket.Equal(t0.Add(52*time.Minute)) || a.Expected != 4 || len(a.Spans) != 2 {
			t.Errorf("a's latest is %+v, want minute 52", a)
		}
		if j, ok := got["b"].Span(15); !ok || j.Possible != 999 {
			t.Errorf("b's latest 15-minute span is %+v", j)
		}
		if late, err := clickhouse.LatestExpectations(ctx, conn, t0.Add(2*time.Hour)); err != nil || len(late) != 0 {
			t.Errorf("nothing since two hours on: got %v, %v", late, err)
		}
	})
}
