package clickhouse_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// finalReports are what the final counts are checked on: detectorReports
// (who1 twice in a minute, in two symptoms and countries; repeated
// reporters across minutes) and an hour of a busier service.
func finalReports() []lapor.Report {
	reps := detectorReports()
	for i := range 300 {
		reps = append(reps, lapor.Report{
			ID: fmt.Sprintf("f%04d", i), Service: fmt.Sprintf("svc%d", i%5), Symptom: []string{"login", "app", "payments"}[i%3],
			Time: d0.Add(time.Duration(i*12) * time.Second), Country: []string{"ID", "MY", ""}[i%3],
			Reporter: fmt.Sprintf("p%d", i%41), Network: "n1",
		})
	}
	return reps
}

// readAll reads every count the pages and the detector read, as one
// comparable value.
func readAll(ctx context.Context, t *testing.T, conn driver.Conn) string {
	t.Helper()
	p, d := clickhouse.NewPageStore(conn), clickhouse.NewDetectorStore(conn)
	var out []string
	add := func(what string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, fmt.Sprintf("%s: %v", what, v))
	}
	a, err := p.Activity(ctx, d0)
	add("activity", a, err)
	for _, svc := range []string{"a", "svc1"} {
		s, err := p.ReportSeries(ctx, svc, d0, 5*time.Minute, 14)
		add("series "+svc, s, err)
		for _, by := range []clickhouse.Dimension{clickhouse.BySymptom, clickhouse.ByCountry} {
			b, err := p.Breakdown(ctx, svc, by, d0.Add(time.Minute), d0.Add(50*time.Minute))
			add("breakdown "+svc+" "+string(by), b, err)
		}
		all, in, err := p.Recent(ctx, svc, "ID", d0.Add(30*time.Second))
		add("recent "+svc, [2]clickhouse.ReportCounts{all, in}, err)
		w, err := p.CountryWindows(ctx, svc, d0.Add(time.Hour), d0.Add(2*time.Hour), 1)
		slices.SortFunc(w, func(a, b clickhouse.CountryWindow) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		})
		add("country windows "+svc, w, err)
		first, known, err := p.HistoryStart(ctx, svc)
		add("history start "+svc, fmt.Sprint(first.UTC(), known), err)
	}
	sp, err := p.Sparklines(ctx, d0, 15*time.Minute, 4)
	add("sparklines", sp, err)
	for _, bucket := range []time.Duration{time.Minute, 15 * time.Minute} {
		var rows []string
		err := d.Reporters(ctx, clickhouse.ReporterQuery{Bucket: bucket, Ranges: []clickhouse.TimeRange{{From: d0, To: d0.Add(time.Hour)}}},
			func(s string, b int64, n uint64) { rows = append(rows, fmt.Sprint(s, b, n)) })
		slices.Sort(rows)
		add(fmt.Sprint("reporters ", bucket), rows, err)
	}
	var before []string
	err = d.ReportersBefore(ctx, time.Minute, d0.Add(time.Hour), func(s string, b int64, n uint64) error {
		before = append(before, fmt.Sprint(s, b, n))
		return nil
	})
	add("reporters before", before, err)
	starts, err := d.HistoryStarts(ctx, d0)
	add("history starts", starts, err)
	since := map[string]time.Time{"a": d0, "svc2": d0.Add(10 * time.Minute)}
	sc, err := d.ReportsBySymptomAndCountry(ctx, since, d0.Add(40*time.Minute))
	slices.SortFunc(sc, func(a, b clickhouse.SymptomCountryCount) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	add("by symptom and country", sc, err)
	return strings.Join(out, "\n")
}

// checkFinalReads checks that every read gives the same numbers before
// anything is final, with the watermark part way (the reads then join
// final rows and the open minutes' states), after everything is final,
// after a retried batch, and after a minute is finalised again.
func checkFinalReads(ctx context.Context, t *testing.T, conn driver.Conn) {
	t.Helper()
	reps := finalReports()
	if err := clickhouse.SaveReports(ctx, conn, reps); err != nil {
		t.Fatal(err)
	}
	want := readAll(ctx, t, conn)
	if until, err := clickhouse.FinalUntil(ctx, conn); err != nil || until.Unix() != 0 {
		t.Fatalf("watermark before any run = %v, %v; want the zero Unix time", until, err)
	}
	steps := []struct {
		name  string
		do    func() error
		until time.Time
	}{
		{"part way", func() error {
			_, err := clickhouse.FinalizeBefore(ctx, conn, d0.Add(7*time.Minute+30*time.Second))
			return err
		}, d0.Add(7 * time.Minute)},
		{"not backwards", func() error { _, err := clickhouse.FinalizeBefore(ctx, conn, d0.Add(3*time.Minute)); return err }, d0.Add(7 * time.Minute)},
		{"all", func() error { _, err := clickhouse.FinalizeBefore(ctx, conn, d0.Add(2*time.Hour)); return err }, d0.Add(2 * time.Hour)},
		{"retried batch", func() error { return clickhouse.SaveReports(ctx, conn, reps[:100]) }, d0.Add(2 * time.Hour)},
		{"finalised again", func() error { return clickhouse.Refinalize(ctx, conn, d0, d0.Add(time.Hour), nil) }, d0.Add(2 * time.Hour)},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if until, err := clickhouse.FinalUntil(ctx, conn); err != nil || !until.Equal(s.until) {
			t.Errorf("%s: watermark %v, %v; want %v", s.name, until, err, s.until)
		}
		if got := readAll(ctx, t, conn); got != want {
			t.Errorf("%s: reads differ\n got: %s\nwant: %s", s.name, got, want)
		}
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM reports_minute_final WHERE minute >= toDateTime(?)", d0.Add(2*time.Hour).Unix()).Scan(&n); err != nil || n != 0 {
		t.Errorf("final rows at or after the watermark: %d, %v", n, err)
	}
}

// TestFinalReadsSame checks that finalising changes no number on one
// node.
func TestFinalReadsSame(t *testing.T) {
	testenv.Need(t, env)
	checkFinalReads(testenv.Ctx(t), t, env.Migrated(t))
}

// TestClusterFinalReadsSame checks the same through the Distributed
// tables of two shards, and that each service's final rows live on the
// shard of its reports.
func TestClusterFinalReadsSame(t *testing.T) {
	c := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2})
	ctx := testenv.Ctx(t)
	cfg := c.Config(t)
	conn := migratedConn(ctx, t, cfg)
	checkFinalReads(ctx, t, conn)
	single := migratedConn(ctx, t, c.Single(t, c.Node(1, 1)))
	if err := clickhouse.SaveReports(ctx, single, finalReports()); err != nil {
		t.Fatal(err)
	}
	if got, want := readAll(ctx, t, conn), readAll(ctx, t, single); got != want {
		t.Errorf("the cluster reads differently from one node\n got: %s\nwant: %s", got, want)
	}
	for i := range 2 {
		addr := c.Node(i+1, 1).Addr
		raw := servicesOnNode(ctx, t, addr, cfg.ClickHouseDB, "reports_local")
		final := servicesOnNode(ctx, t, addr, cfg.ClickHouseDB, "reports_minute_final_local")
		if !reflect.DeepEqual(raw, final) {
			t.Errorf("shard %d holds reports of %v and final counts of %v", i+1, raw, final)
		}
	}
}

// TestFinalLateReports checks what happens to reports written behind the
// watermark, as only a writer that bypasses the report streams does:
// reads keep the final numbers until the minutes are finalised again,
// and then count them, once however often that runs.
func TestFinalLateReports(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	p := clickhouse.NewPageStore(conn)
	rep := func(id, who string, at time.Duration) lapor.Report {
		return lapor.Report{ID: id, Service: "x", Symptom: "app", Time: d0.Add(at), Country: "ID", Reporter: who}
	}
	if err := clickhouse.SaveReports(ctx, conn, []lapor.Report{rep("1", "a", 0), rep("2", "b", 10*time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := clickhouse.FinalizeBefore(ctx, conn, d0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	recent := func() clickhouse.ReportCounts {
		t.Helper()
		all, _, err := p.Recent(ctx, "x", "", d0)
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	if err := clickhouse.SaveReports(ctx, conn, []lapor.Report{rep("3", "c", 20*time.Second), rep("4", "d", 2*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The minute behind the watermark keeps its final count; the one
	// after it is open and counted from the states.
	if got, want := recent(), (clickhouse.ReportCounts{Reports: 3, Reporters: 3}); got != want {
		t.Errorf("before finalising again: %+v, want %+v", got, want)
	}
	for range 2 {
		if err := clickhouse.Refinalize(ctx, conn, d0, d0.Add(3*time.Hour), []string{"x"}); err != nil {
			t.Fatal(err)
		}
		if got, want := recent(), (clickhouse.ReportCounts{Reports: 4, Reporters: 4}); got != want {
			t.Errorf("after finalising again: %+v, want %+v", got, want)
		}
	}
}
