package clickhouse_test

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestPageStoreCounts checks the rollup reads against a few reports whose
// counts are known: two reporters in Indonesia, one in Malaysia, one of
// them yesterday.
func TestPageStoreCounts(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	rep := func(id, country, symptom, who string, at time.Time) lapor.Report {
		return lapor.Report{ID: id, Service: "bca", Symptom: symptom, Time: at, Country: country, Reporter: who}
	}
	reps := []lapor.Report{
		rep("a", "ID", "login", "r1", now.Add(-10*time.Minute)),
		rep("b", "ID", "login", "r1", now.Add(-9*time.Minute)),
		rep("c", "ID", "app", "r2", now.Add(-2*time.Minute)),
		rep("d", "MY", "app", "r3", now.Add(-2*time.Minute)),
		rep("e", "ID", "app", "r4", now.Add(-24*time.Hour-5*time.Minute)),
	}
	if err := clickhouse.SaveReports(ctx, conn, reps); err != nil {
		t.Fatal(err)
	}
	s := clickhouse.NewPageStore(conn)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	from := now.Add(-time.Hour)

	t.Run("recent", func(t *testing.T) {
		all, in, err := s.Recent(ctx, "bca", "ID", from)
		if err != nil {
			t.Fatal(err)
		}
		if want := (clickhouse.ReportCounts{Reports: 4, Reporters: 3}); all != want {
			t.Errorf("all = %+v, want %+v", all, want)
		}
		if want := (clickhouse.ReportCounts{Reports: 3, Reporters: 2}); in != want {
			t.Errorf("in ID = %+v, want %+v", in, want)
		}
	})
	t.Run("breakdown", func(t *testing.T) {
		got, err := s.Breakdown(ctx, "bca", clickhouse.BySymptom, from, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []clickhouse.ReportBreakdown{
			{Key: "app", ReportCounts: clickhouse.ReportCounts{Reports: 2, Reporters: 2}},
			{Key: "login", ReportCounts: clickhouse.ReportCounts{Reports: 2, Reporters: 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if _, err := s.Breakdown(ctx, "bca", clickhouse.Dimension("reporter"), from, now); err == nil {
			t.Error("a column that is not a dimension was accepted")
		}
	})
	t.Run("series", func(t *testing.T) {
		got, err := s.ReportSeries(ctx, "bca", from, 30*time.Minute, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := []clickhouse.ReportCounts{{}, {Reports: 4, Reporters: 3}}
		if !slices.Equal(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		spark, err := s.Sparklines(ctx, from, 30*time.Minute, 2)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string][]uint64{"bca": {0, 4}}; !reflect.DeepEqual(spark, want) {
			t.Errorf("sparklines = %v, want %v", spark, want)
		}
	})
	t.Run("country windows", func(t *testing.T) {
		got, err := s.CountryWindows(ctx, "bca", from, now, 2)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b clickhouse.CountryWindow) int {
			return cmp.Or(cmp.Compare(a.DaysBack, b.DaysBack), strings.Compare(a.Country, b.Country))
		})
		want := []clickhouse.CountryWindow{
			{DaysBack: 0, Country: "ID", ReportCounts: clickhouse.ReportCounts{Reports: 3, Reporters: 2}},
			{DaysBack: 0, Country: "MY", ReportCounts: clickhouse.ReportCounts{Reports: 1, Reporters: 1}},
			{DaysBack: 1, Country: "ID", ReportCounts: clickhouse.ReportCounts{Reports: 1, Reporters: 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		first, known, err := s.HistoryStart(ctx, "bca")
		if err != nil || !known || !first.Equal(now.Add(-24*time.Hour-5*time.Minute)) {
			t.Errorf("HistoryStart = %v, %v, %v", first, known, err)
		}
		if _, known, err := s.HistoryStart(ctx, "nobody"); err != nil || known {
			t.Errorf("HistoryStart of a service without reports = %v, %v", known, err)
		}
	})
}

// TestPageStoreComments checks that a hidden comment leaves the pages'
// listing, stays in the operator's, and comes back when shown again.
func TestPageStoreComments(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	reps := []lapor.Report{
		{ID: "spam", Service: "bca", Symptom: "app", Time: at, Country: "ID", Reporter: "r1", Comment: "buy followers"},
		{ID: "real", Service: "bca", Symptom: "app", Time: at.Add(time.Minute), Country: "ID", Reporter: "r2", Comment: "ATM mati"},
		{ID: "none", Service: "bca", Symptom: "app", Time: at.Add(time.Minute), Country: "ID", Reporter: "r3"},
	}
	if err := clickhouse.SaveReports(ctx, conn, reps); err != nil {
		t.Fatal(err)
	}
	s := clickhouse.NewPageStore(conn)
	ids := func(withHidden bool) []string {
		t.Helper()
		list, err := s.Comments(ctx, clickhouse.CommentFilter{Service: "bca", Since: at.Add(-time.Hour), Limit: 10, WithHidden: withHidden})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.ID)
		}
		return out
	}
	c, found, err := s.CommentBetween(ctx, "spam", at.Add(-time.Hour), at.Add(time.Hour))
	if err != nil || !found || c.Text != "buy followers" || c.Service != "bca" || c.Hidden {
		t.Fatalf("CommentBetween = %+v, %v, %v", c, found, err)
	}
	if _, found, err := s.CommentBetween(ctx, "spam", at.Add(time.Hour), at.Add(2*time.Hour)); err != nil || found {
		t.Errorf("CommentBetween outside its time = %v, %v", found, err)
	}
	if err := s.SetCommentHidden(ctx, c, true, at); err != nil {
		t.Fatal(err)
	}
	if got := ids(false); !slices.Equal(got, []string{"real"}) {
		t.Errorf("visible = %v", got)
	}
	if got := ids(true); !slices.Equal(got, []string{"real", "spam"}) {
		t.Errorf("with hidden = %v", got)
	}
	if c, _, err := s.CommentBetween(ctx, "spam", at.Add(-time.Hour), at.Add(time.Hour)); err != nil || !c.Hidden {
		t.Errorf("hidden comment read as %+v, %v", c, err)
	}
	if err := s.SetCommentHidden(ctx, c, false, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := ids(false); !slices.Equal(got, []string{"real", "spam"}) {
		t.Errorf("after showing again = %v", got)
	}
}
