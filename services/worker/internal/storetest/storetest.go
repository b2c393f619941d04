// Package storetest reads back, for tests, what the worker wrote to
// ClickHouse, counting the way readers do: distinct ids in the raw table and
// merged states in the rollup.
package storetest

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/report"
)

// Key is one service+symptom group of the rollup.
type Key struct{ Service, Symptom string }

// Want counts reps per service+symptom.
func Want(reps []report.Report) map[Key]uint64 {
	out := map[Key]uint64{}
	for _, r := range reps {
		out[Key{r.Service, r.Symptom}]++
	}
	return out
}

// RawCount is the number of distinct report ids in the reports table.
func RawCount(ctx context.Context, t testing.TB, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// MinuteCounts reads the rollup per service+symptom.
func MinuteCounts(ctx context.Context, t testing.TB, conn driver.Conn) map[Key]uint64 {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT service, symptom, uniqExactMerge(reports) FROM reports_minute GROUP BY service, symptom")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[Key]uint64{}
	for rows.Next() {
		var k Key
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

// CheckCounts asserts the raw table and the rollup each count every report
// of want exactly once, and the rollup holds no other group.
func CheckCounts(ctx context.Context, t testing.TB, conn driver.Conn, want map[Key]uint64) {
	t.Helper()
	var total uint64
	for _, n := range want {
		total += n
	}
	if got := RawCount(ctx, t, conn); got != total {
		t.Errorf("uniqExact(id) on reports = %d, want %d", got, total)
	}
	got := MinuteCounts(ctx, t, conn)
	if len(got) != len(want) {
		t.Errorf("rollup has %d service+symptom groups, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("rollup %s/%s = %d, want %d", k.Service, k.Symptom, got[k], n)
		}
	}
}
