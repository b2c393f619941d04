package testenv

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	lapor "github.com/lapor/lapor/services/shared"
)

// ReportGroup is one service+symptom group of the rollup.
type ReportGroup struct{ Service, Symptom string }

// WantReports counts reps per service+symptom, for CheckReports.
func WantReports(reps []lapor.Report) map[ReportGroup]uint64 {
	out := map[ReportGroup]uint64{}
	for _, r := range reps {
		out[ReportGroup{r.Service, r.Symptom}]++
	}
	return out
}

// DistinctReports is the number of distinct report ids in the reports
// table: readers count distinct ids, since a batch written twice stays
// twice in the raw table until a merge.
func DistinctReports(ctx context.Context, t testing.TB, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// RollupReports reads the rollup's merged report counts per service+symptom.
func RollupReports(ctx context.Context, t testing.TB, conn driver.Conn) map[ReportGroup]uint64 {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT service, symptom, uniqExactMerge(reports) FROM reports_minute GROUP BY service, symptom")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[ReportGroup]uint64{}
	for rows.Next() {
		var k ReportGroup
		var n uint64
		if err := rows.Scan(&k.Service, &k.Symptom, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// CheckReports asserts that the raw table and the rollup each count every
// report of want exactly once, and that the rollup holds no other group.
func CheckReports(ctx context.Context, t testing.TB, conn driver.Conn, want map[ReportGroup]uint64) {
	t.Helper()
	var total uint64
	for _, n := range want {
		total += n
	}
	if got := DistinctReports(ctx, t, conn); got != total {
		t.Errorf("uniqExact(id) on reports = %d, want %d", got, total)
	}
	got := RollupReports(ctx, t, conn)
	if len(got) != len(want) {
		t.Errorf("rollup has %d service+symptom groups, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("rollup %s/%s = %d, want %d", k.Service, k.Symptom, got[k], n)
		}
	}
}
