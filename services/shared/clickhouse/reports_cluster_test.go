package clickhouse_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
)

// serviceMinute is one service's minute.
type serviceMinute struct {
	Service string
	Minute  int64
}

// minuteCounts are distinct reports and reporters per service and minute.
type minuteCounts map[serviceMinute][2]uint64

// migratedConn opens cfg's database and applies the schema.
func migratedConn(ctx context.Context, t *testing.T, cfg config.Common) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// reportMinutes reads per service and minute the distinct ids and
// reporters of the raw table, and the rollup's, which must agree.
func reportMinutes(ctx context.Context, t *testing.T, conn driver.Conn) (raw, rollup minuteCounts) {
	t.Helper()
	read := func(q string) minuteCounts {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := minuteCounts{}
		for rows.Next() {
			var (
				k    serviceMinute
				m    time.Time
				r, p uint64
			)
			if err := rows.Scan(&k.Service, &m, &r, &p); err != nil {
				t.Fatal(err)
			}
			k.Minute = m.Unix()
			out[k] = [2]uint64{r, p}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return read("SELECT service, toStartOfMinute(ts) AS m, uniqExact(id), uniqExact(reporter) FROM reports GROUP BY service, m"),
		read("SELECT service, minute, uniqExactMerge(reports), uniqExactMerge(reporters) FROM reports_minute GROUP BY service, minute")
}

// servicesOnNode reads which services a node's local table holds.
func servicesOnNode(ctx context.Context, t *testing.T, addr, db, table string) map[string]bool {
	t.Helper()
	conn, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: addr, ClickHouseDB: db, ClickHouseUser: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT DISTINCT service FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	return out
}

// TestSaveReportsClusterExactCounts saves reports of 40 services into a
// cluster of two shards, retrying batches as the worker does after a
// failed acknowledgement, and checks that every service's minutes count
// each report and reporter exactly once through the Distributed tables,
// as soon as each save returns; that each service lives on exactly one
// shard, raw rows and rollup together, and both shards hold some; and
// that one node given the same saves counts the same.
func TestSaveReportsClusterExactCounts(t *testing.T) {
	c := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2})
	ctx := testenv.Ctx(t)
	cfg := c.Config(t)
	conn := migratedConn(ctx, t, cfg)
	single := migratedConn(ctx, t, c.Single(t, c.Node(1, 1)))

	const services, n, batchSize = 40, 6000, 500
	start := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	reps := make([]lapor.Report, n)
	want := minuteCounts{}
	ids, reporters := map[serviceMinute]map[string]bool{}, map[serviceMinute]map[string]bool{}
	for i := range reps {
		svc := fmt.Sprintf("svc%02d", (i*7)%services)
		reps[i] = lapor.Report{
			ID:       fmt.Sprintf("c%05d", i),
			Service:  svc,
			Symptom:  []string{"login", "app", "payments"}[i%3],
			Time:     start.Add(time.Duration(i%600) * time.Second),
			Country:  []string{"ID", "MY", ""}[i%3],
			Reporter: fmt.Sprintf("who%d", i%37),
		}
		k := serviceMinute{svc, reps[i].Time.Truncate(time.Minute).Unix()}
		if ids[k] == nil {
			ids[k], reporters[k] = map[string]bool{}, map[string]bool{}
		}
		ids[k][reps[i].ID], reporters[k][reps[i].Reporter] = true, true
	}
	for k := range ids {
		want[k] = [2]uint64{uint64(len(ids[k])), uint64(len(reporters[k]))}
	}

	written := 0
	for b := 0; b*batchSize < n; b++ {
		batch := reps[b*batchSize : min((b+1)*batchSize, n)]
		// Every third batch is saved twice, as after an acknowledgement
		// lost once ClickHouse had the batch; the first is saved again
		// at the end, as a batch reclaimed from a dead worker.
		tries := 1 + (b%3)/2
		for range tries {
			if err := clickhouse.SaveReports(ctx, conn, batch); err != nil {
				t.Fatalf("batch %d: %v", b, err)
			}
			if err := clickhouse.SaveReports(ctx, single, batch); err != nil {
				t.Fatalf("batch %d on the single node: %v", b, err)
			}
		}
		written += len(batch)
		// The insert is synchronous: once SaveReports returns, both
		// shards have their rows, which is what lets the worker
		// acknowledge them.
		if got := testenv.DistinctReports(ctx, t, conn); got != uint64(written) {
			t.Fatalf("after batch %d, uniqExact(id) through the Distributed table = %d, want %d", b, got, written)
		}
	}
	if err := clickhouse.SaveReports(ctx, conn, reps[:batchSize]); err != nil {
		t.Fatal(err)
	}
	if err := clickhouse.SaveReports(ctx, single, reps[:batchSize]); err != nil {
		t.Fatal(err)
	}

	testenv.CheckReports(ctx, t, conn, testenv.WantReports(reps))
	raw, rollup := reportMinutes(ctx, t, conn)
	if !maps.Equal(raw, want) {
		t.Errorf("raw counts per service and minute through the Distributed table differ from what was sent (%d minutes, want %d)", len(raw), len(want))
	}
	if !maps.Equal(rollup, want) {
		t.Errorf("rollup counts per service and minute through the Distributed table differ from what was sent (%d minutes, want %d)", len(rollup), len(want))
	}
	sraw, srollup := reportMinutes(ctx, t, single)
	if !maps.Equal(sraw, raw) || !maps.Equal(srollup, rollup) {
		t.Error("one node counts the same saves differently from the cluster")
	}

	// Each service on exactly one shard, its rollup with it.
	var shardRaw, shardRollup [2]map[string]bool
	for i := range 2 {
		addr := c.Node(i+1, 1).Addr
		shardRaw[i] = servicesOnNode(ctx, t, addr, cfg.ClickHouseDB, "reports_local")
		shardRollup[i] = servicesOnNode(ctx, t, addr, cfg.ClickHouseDB, "reports_minute_local")
		if !maps.Equal(shardRaw[i], shardRollup[i]) {
			t.Errorf("shard %d holds raw reports of %d services and rollups of %d others", i+1, len(shardRaw[i]), len(shardRollup[i]))
		}
		if len(shardRaw[i]) == 0 {
			t.Errorf("shard %d holds no service", i+1)
		}
	}
	for i := range services {
		svc := fmt.Sprintf("svc%02d", i)
		if shardRaw[0][svc] == shardRaw[1][svc] {
			t.Errorf("%s is on shard 1: %t, on shard 2: %t; want exactly one", svc, shardRaw[0][svc], shardRaw[1][svc])
		}
	}
	t.Logf("services per shard: %d and %d; %d service-minutes", len(shardRaw[0]), len(shardRaw[1]), len(want))
}
