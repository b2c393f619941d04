package clickhouse_test

import (
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestBackfillStage checks that staged counts become that many distinct
// reports and reporters in the rollup, that the rollup's history reads
// back, that reads over more than a minute count the reporters, and that
// a stage leaves no table behind.
func TestBackfillStage(t *testing.T) {
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	m := time.Date(2026, 5, 18, 9, 0, 0, 0, time.UTC)

	h, err := clickhouse.ReadRollupHistory(ctx, conn, m)
	if err != nil || h.Total != 0 || h.Through != 0 {
		t.Fatalf("history of an empty rollup: %+v, %v", h, err)
	}
	stage, err := clickhouse.NewBackfillStage(ctx, conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	counts := []clickhouse.MinuteCount{
		{Service: "bca", Minute: m, Symptom: "login", Country: "ID", N: 3},
		{Service: "bca", Minute: m.Add(time.Minute), Symptom: "login", Country: "ID", N: 5},
		{Service: "bca", Minute: m.Add(time.Minute), Symptom: "app", Country: "", N: 1},
		{Service: "gojek", Minute: m.Add(2 * time.Minute), Symptom: "login", Country: "ID", N: 7},
	}
	// Two writes, as two chunks: the staging table is emptied in between.
	for _, part := range [][]clickhouse.MinuteCount{counts[:2], counts[2:], nil} {
		want := 0
		for _, c := range part {
			want += int(c.N)
		}
		if n, err := stage.Write(ctx, part); err != nil || n != want {
			t.Fatalf("Write of %d counts: %d reports, %v; want %d", len(part), n, err, want)
		}
	}
	if err := stage.Drop(ctx); err != nil {
		t.Fatal(err)
	}

	var keys, mismatched, total uint64
	err = conn.QueryRow(ctx, `SELECT count(), countIf(r != p), sum(r) FROM (
		SELECT service, minute, symptom, country, uniqExactMerge(reports) AS r, uniqExactMerge(reporters) AS p
		FROM reports_minute GROUP BY service, minute, symptom, country)`).Scan(&keys, &mismatched, &total)
	if err != nil {
		t.Fatal(err)
	}
	if keys != uint64(len(counts)) || mismatched != 0 || total != 16 {
		t.Errorf("%d rollup keys, %d with reporters != reports, %d reports; want %d keys, 0, 16", keys, mismatched, total, len(counts))
	}

	h, err = clickhouse.ReadRollupHistory(ctx, conn, m.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if h.Through != 3 || h.Total != 4 || !h.First.Equal(m) {
		t.Errorf("history through %s: %+v, want 3 of 4 rows from %s", m.Add(time.Minute), h, m)
	}

	// Reporters over more than a minute come from sketches, which a
	// backfill writes itself (it has no raw reports): every synthetic
	// reporter counts, before its minutes are final and after.
	p := clickhouse.NewPageStore(conn)
	for _, step := range []string{"open", "final"} {
		if step == "final" {
			if _, err := clickhouse.FinalizeBefore(ctx, conn, m.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		for svc, want := range map[string]clickhouse.ReportCounts{"bca": {Reports: 9, Reporters: 9}, "gojek": {Reports: 7, Reporters: 7}} {
			if all, _, err := p.Recent(ctx, svc, "", m); err != nil || all != want {
				t.Errorf("%s: recent reports of %s = %+v, %v; want %+v", step, svc, all, err, want)
			}
		}
	}

	var tables uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'backfill%'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d staging tables left", tables)
	}
}
