package backfill

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/simulator/internal/history"
	"github.com/lapor/lapor/services/simulator/internal/traffic"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// open connects to a fresh database with the schema applied.
func open(t *testing.T) (context.Context, driver.Conn) {
	t.Helper()
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	return ctx, conn
}

func load(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// end is a fixed end of history on a minute, so runs are repeatable.
var end = time.Date(2026, 5, 18, 9, 30, 0, 0, time.UTC)

func newGen(t *testing.T, cfg history.Config) *history.Generator {
	t.Helper()
	g, err := history.New(load(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// expected generates the history again and counts reports per service and
// rows per rollup key.
func expected(t *testing.T, cfg history.Config) (perService map[string]uint64, rows int) {
	t.Helper()
	g := newGen(t, cfg)
	perService = map[string]uint64{}
	var buf []history.Row
	for !g.Done() {
		buf = g.Generate(g.Next().Add(24*time.Hour), buf[:0])
		for _, r := range buf {
			perService[r.Service] += uint64(r.N)
		}
		rows += len(buf)
	}
	return perService, rows
}

func TestBackfillMatchesTheModel(t *testing.T) {
	ctx, conn := open(t)
	cfg := history.Config{Rate: 2, Seed: 11, Start: end.Add(-2 * 24 * time.Hour), End: end}

	if d, err := Plan(ctx, conn, end, false); err != nil || d != (Decision{End: end}) {
		t.Fatalf("Plan on an empty rollup: %+v, %v", d, err)
	}
	// Small chunks, so that both workers write several each.
	res, err := Run(ctx, conn, newGen(t, cfg), Options{Chunk: 5 * time.Hour}, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	want, wantRows := expected(t, cfg)
	wantTotal := uint64(0)
	for _, n := range want {
		wantTotal += n
	}
	if uint64(res.Reports) != wantTotal || res.Rows != wantRows || res.Outages == 0 {
		t.Errorf("result %+v, want %d reports in %d rows and an outage", res, wantTotal, wantRows)
	}

	t.Run("reports per service", func(t *testing.T) {
		rows, err := conn.Query(ctx, "SELECT service, uniqExactMerge(reports), uniqExactMerge(reporters) FROM reports_minute GROUP BY service")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]uint64{}
		for rows.Next() {
			var (
				svc                string
				reports, reporters uint64
			)
			if err := rows.Scan(&svc, &reports, &reporters); err != nil {
				t.Fatal(err)
			}
			got[svc] = reports
			if reporters != reports {
				t.Errorf("%s: %d reporters for %d reports", svc, reporters, reports)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("%d services in the rollup, %d generated", len(got), len(want))
		}
		for svc, n := range want {
			if got[svc] != n {
				t.Errorf("%s: %d reports in the rollup, %d generated", svc, got[svc], n)
			}
		}
	})

	t.Run("one reporter per report in every row", func(t *testing.T) {
		var keys, mismatched uint64
		var first, last time.Time
		err := conn.QueryRow(ctx, `SELECT count(), countIf(r != p), min(minute), max(minute) FROM (
			SELECT service, minute, symptom, country, uniqExactMerge(reports) AS r, uniqExactMerge(reporters) AS p
			FROM reports_minute GROUP BY service, minute, symptom, country)`).Scan(&keys, &mismatched, &first, &last)
		if err != nil {
			t.Fatal(err)
		}
		if keys != uint64(wantRows) || mismatched != 0 {
			t.Errorf("%d rollup keys (%d generated), %d with reporters != reports", keys, wantRows, mismatched)
		}
		if first.Before(cfg.Start) || !last.Before(end) {
			t.Errorf("history spans %s to %s, want within %s to %s", first, last, cfg.Start, end)
		}
	})

	t.Run("daily rhythm", func(t *testing.T) {
		rows, err := conn.Query(ctx, "SELECT service, toHour(minute) AS h, uniqExactMerge(reports) FROM reports_minute GROUP BY service, h")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cat := load(t)
		night, day := uint64(0), uint64(0)
		for rows.Next() {
			var (
				svc string
				h   uint8
				n   uint64
			)
			if err := rows.Scan(&svc, &h, &n); err != nil {
				t.Fatal(err)
			}
			s, _ := cat.Get(svc)
			// The server's time zone is the machine's: compare local
			// hours of the service's home with the hour in UTC.
			local := traffic.LocalHour(time.Date(2026, 5, 18, int(h), 30, 0, 0, serverZone(t, ctx, conn)), traffic.UTCOffset(s.Countries[0]))
			switch {
			case local >= 2 && local < 6:
				night += n
			case local >= 10 && local < 14:
				day += n
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		t.Logf("local small hours %d reports, late mornings %d", night, day)
		if night*2 >= day {
			t.Errorf("%d reports in local small hours, %d in late mornings; want far fewer at night", night, day)
		}
	})

	t.Run("staging tables dropped", func(t *testing.T) {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'backfill%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d staging tables left", n)
		}
	})

	t.Run("second run writes nothing", func(t *testing.T) {
		// Later, as in real use, and at the same end, as a -end run.
		for _, at := range []time.Time{end.Add(3 * time.Hour), end} {
			d, err := Plan(ctx, conn, at, false)
			if err != nil || !d.Skip || d.Existing == 0 {
				t.Errorf("Plan at %s after a backfill: %+v, %v", at, d, err)
			}
		}
		if d, err := Plan(ctx, conn, end, true); err != nil || d.Skip || !d.End.Equal(end) {
			t.Errorf("Plan with force: %+v, %v", d, err)
		}
	})
}

var zone *time.Location

// serverZone is the ClickHouse server's time zone, which toHour uses.
func serverZone(t *testing.T, ctx context.Context, conn driver.Conn) *time.Location {
	t.Helper()
	if zone != nil {
		return zone
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT timezone()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("server time zone %q: %v", name, err)
	}
	zone = z
	return z
}

// TestPlanStopsBeforeLiveTraffic checks that history ends where reports
// that live traffic has already written begin, so the two never overlap.
func TestPlanStopsBeforeLiveTraffic(t *testing.T) {
	ctx, conn := open(t)
	live := end.Add(-2*time.Hour + 17*time.Second)
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO reports (id, service, symptom, ts, country, reporter)")
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Append("live-1", "bca", "login", live, "ID", "r1"); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	d, err := Plan(ctx, conn, end, false)
	if err != nil || d.Skip || d.Existing != 0 {
		t.Fatalf("Plan: %+v, %v", d, err)
	}
	if want := live.Truncate(time.Minute); !d.End.Equal(want) {
		t.Errorf("history ends at %s, want %s where live reports start", d.End, want)
	}
	if d, _ := Plan(ctx, conn, end, true); !d.End.Equal(end) {
		t.Errorf("with force history ends at %s, want %s", d.End, end)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, conn := open(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	g := newGen(t, history.Config{Rate: 1, Seed: 1, Start: end.Add(-24 * time.Hour), End: end})
	if _, err := Run(cctx, conn, g, Options{Chunk: time.Hour}, logging.Discard()); err == nil {
		t.Error("a cancelled backfill reported success")
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'backfill%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d staging tables left", n)
	}
}
