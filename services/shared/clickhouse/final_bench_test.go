package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// benchDay is the day the benchmark's synthetic reports fall in.
var benchDay = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

// writeBenchReports writes n synthetic reports spread over benchDay into
// reports, on the server (INSERT … SELECT from numbers), so that the
// materialized view builds the rollup as it does for the worker's
// batches: 200 services, 70% of the reports for one of them (an outage
// all day), three symptoms, four countries, each report from a distinct
// reporter. It goes in slices of 250,000, like many batches.
func writeBenchReports(ctx context.Context, b *testing.B, conn driver.Conn, n int) {
	b.Helper()
	const slice = 250_000 // each INSERT within the client's read timeout
	for lo := 0; lo < n; lo += slice {
		hi := min(lo+slice, n)
		// No bound arguments: INSERT with arguments hangs on 18.16.
		q := fmt.Sprintf(`INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment)
SELECT concat('b', toString(number)), if(number %% 10 < 7, 'outage', concat('svc', toString(number %% 199))),
    ['login', 'app', 'payments'][number %% 3 + 1], toDateTime(%d + intDiv(number * 86400, %d)),
    ['ID', 'MY', 'SG', ''][number %% 4 + 1], '', '', toUInt32(0), '', 'web', concat('r', toString(number)), 'n', ''
FROM numbers(%d, %d)`, benchDay.Unix(), n, lo, hi-lo)
		if err := conn.Exec(ctx, q); err != nil {
			b.Fatalf("write reports %d to %d: %v", lo, hi, err)
		}
	}
}

// BenchmarkColdServicesRead times a cold read of what /api/v1/services
// asks ClickHouse (PageStore.Activity over the last 24 hours and the
// 24-hour hourly Sparklines) after a day of few and of many reports,
// read from the rollup's states (nothing final yet) and from the final
// counts. Reading the states grows with the reports; the final counts
// stay flat. By default it compares 200k with 1M reports (CI keeps it
// working); LAPOR_BENCH_LONG=1 compares 1M with 20M. The mark cache is
// dropped before every read.
//
//	go test -run '^$' -bench ColdServicesRead -benchtime 5x ./services/shared/clickhouse/
//	LAPOR_BENCH_LONG=1 go test -run '^$' -bench ColdServicesRead -benchtime 5x -timeout 60m ./services/shared/clickhouse/
func BenchmarkColdServicesRead(b *testing.B) {
	testenv.Need(b, env)
	ctx := testenv.Ctx(b)
	sizes := []int{200_000, 1_000_000}
	if os.Getenv("LAPOR_BENCH_LONG") != "" {
		sizes = []int{1_000_000, 20_000_000}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("reports=%d", n), func(b *testing.B) {
			conn := env.Migrated(b)
			began := time.Now()
			writeBenchReports(ctx, b, conn, n)
			wrote := time.Since(began)
			if err := conn.Exec(ctx, "OPTIMIZE TABLE reports_minute FINAL"); err != nil {
				b.Logf("optimize the rollup: %v", err) // merged or not, the states hold every id
			}
			s := clickhouse.NewPageStore(conn)
			read := func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					if err := conn.Exec(ctx, "SYSTEM DROP MARK CACHE"); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					a, err := s.Activity(ctx, benchDay)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.Sparklines(ctx, benchDay, time.Hour, 24); err != nil {
						b.Fatal(err)
					}
					if got := a.Totals["outage"].Reports; got != uint64(n*7/10) {
						b.Fatalf("the outage's reports = %d, want %d", got, n*7/10)
					}
				}
				b.ReportMetric(float64(n), "reports")
			}
			b.Run("states", read)
			began = time.Now()
			if _, err := clickhouse.FinalizeBefore(ctx, conn, benchDay.Add(24*time.Hour)); err != nil {
				b.Fatal(err)
			}
			finalized := time.Since(began)
			b.Run("final", read)
			b.Logf("%d reports: written in %s, finalised in %s", n, wrote.Round(time.Millisecond), finalized.Round(time.Millisecond))
		})
	}
}
