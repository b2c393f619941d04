package clickhouse_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestClusterLayoutCoversEveryMigration lays every statement of every
// migration out for a cluster, with and without Replicated tables: a new
// migration of a shape the layout does not know fails here.
func TestClusterLayoutCoversEveryMigration(t *testing.T) {
	all, err := clickhouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, replicated := range []bool{false, true} {
		l := clickhouse.Layout{Cluster: "c1", Database: "db", Replicated: replicated}
		var out []string
		for _, m := range all {
			for i, stmt := range m.Statements {
				got, err := l.Statements(stmt)
				if err != nil {
					t.Fatalf("replicated=%t: %s statement %d: %v", replicated, m.Name, i+1, err)
				}
				for _, s := range got {
					if replicated != strings.Contains(s, "ON CLUSTER `c1`") {
						t.Errorf("replicated=%t: ON CLUSTER in %q", replicated, s)
					}
				}
				out = append(out, got...)
			}
		}
		joined := strings.Join(out, "\n")
		for _, want := range []string{
			"CREATE TABLE IF NOT EXISTS `db`.`reports`" + on(replicated) + " AS `db`.`reports_local` ENGINE = Distributed('c1', 'db', 'reports_local', cityHash64(service))",
			"CREATE TABLE IF NOT EXISTS `db`.`api_keys`" + on(replicated) + " AS `db`.`api_keys_local` ENGINE = Distributed('c1', 'db', 'api_keys_local', 0)",
			"CREATE MATERIALIZED VIEW IF NOT EXISTS `db`.`reports_minute_mv`" + on(replicated) + " TO `db`.`reports_minute_local` AS SELECT",
			"FROM `db`.`reports_local`\nGROUP BY service, minute, symptom, country",
			"ALTER TABLE `db`.`incidents_local`" + on(replicated) + " ADD COLUMN end_reason",
		} {
			if !strings.Contains(joined, want) {
				t.Errorf("replicated=%t: layout lacks %q", replicated, want)
			}
		}
		alterDist := "ALTER TABLE `db`.`incidents` ADD COLUMN end_reason"
		if replicated {
			alterDist = "DROP TABLE IF EXISTS `db`.`incidents` ON CLUSTER `c1`\n" +
				"CREATE TABLE IF NOT EXISTS `db`.`incidents` ON CLUSTER `c1` AS `db`.`incidents_local` ENGINE = Distributed('c1', 'db', 'incidents_local', cityHash64(service))"
		}
		if !strings.Contains(joined, alterDist) {
			t.Errorf("replicated=%t: layout lacks %q", replicated, alterDist)
		}
		engine := "ENGINE = ReplacingMergeTree(version)"
		if replicated {
			engine = "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/incidents_local', '{replica}', version)"
		}
		if !strings.Contains(joined, "CREATE TABLE IF NOT EXISTS `db`.`incidents_local`"+on(replicated)+" (") || !strings.Contains(joined, engine) {
			t.Errorf("replicated=%t: incidents_local is not made with %s:\n%s", replicated, engine, joined)
		}
	}
	if _, err := (clickhouse.Layout{Cluster: "c", Database: "d"}).Statements("DROP TABLE reports"); err == nil {
		t.Error("a statement of no known shape was laid out")
	}
}

func on(replicated bool) string {
	if replicated {
		return " ON CLUSTER `c1`"
	}
	return ""
}

// applyTwice migrates the cluster of cfg, checks that a second run applies
// nothing, and returns the connection.
func applyTwice(t *testing.T, cfg config.Common) (context.Context, driver.Conn) {
	t.Helper()
	ctx := testenv.Ctx(t)
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, ok := conn.(clickhouse.Clustered); !ok {
		t.Fatalf("clickhouse.Open gave a %T for a cluster", conn)
	}
	all, _ := clickhouse.Migrations()
	start := time.Now()
	got, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("first apply ran %d migrations, want %d", len(got), len(all))
	}
	t.Logf("applied %d migrations in %s", len(got), time.Since(start).Round(time.Millisecond))
	again, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second apply ran %v, want nothing", again)
	}
	return ctx, conn
}

// applyUnrecorded forgets what was applied and applies everything again,
// as after a run cut short before it recorded anything: each statement,
// ADD COLUMN included, must take what is there as done.
func applyUnrecorded(ctx context.Context, t *testing.T, c *testenv.ClickHouseCluster, cfg config.Common, conn driver.Conn) {
	t.Helper()
	if cfg.ClickHouseReplicated {
		if err := conn.Exec(ctx, "DROP TABLE "+clickhouse.QuoteIdent(cfg.ClickHouseDB)+".schema_migrations ON CLUSTER "+cfg.ClickHouseCluster); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, n := range c.Nodes {
			nc, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: n.Addr, ClickHouseDB: cfg.ClickHouseDB, ClickHouseUser: "default"})
			if err != nil {
				t.Fatal(err)
			}
			err = nc.Exec(ctx, "DROP TABLE schema_migrations")
			nc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	all, _ := clickhouse.Migrations()
	got, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatalf("applying again: %v", err)
	}
	if len(got) != len(all) {
		t.Fatalf("applying again ran %d migrations, want %d", len(got), len(all))
	}
}

// tables reads a node's tables in db with their engines.
func tables(ctx context.Context, t *testing.T, addr, db string) map[string]string {
	t.Helper()
	conn, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: addr, ClickHouseDB: db, ClickHouseUser: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ?", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			t.Fatal(err)
		}
		out[name] = engine
	}
	return out
}

// checkNodes checks that every node has every table of the schema as a
// local table of the wanted engine family under a Distributed one, and
// the rollup's materialized view.
func checkNodes(ctx context.Context, t *testing.T, c *testenv.ClickHouseCluster, db string, replicated bool) {
	t.Helper()
	want := map[string]string{
		"reports": "ReplacingMergeTree", "reports_minute": "AggregatingMergeTree", "incidents": "ReplacingMergeTree",
		"alert_events": "ReplacingMergeTree", "api_keys": "ReplacingMergeTree", "webhooks": "ReplacingMergeTree",
		"webhook_deliveries": "MergeTree", "expectations": "ReplacingMergeTree", "comment_hidden": "ReplacingMergeTree",
		"reports_minute_final": "ReplacingMergeTree", "reports_minute_final_mark": "ReplacingMergeTree",
		"reports_minute_sketch": "AggregatingMergeTree",
	}
	for _, n := range c.Nodes {
		got := tables(ctx, t, n.Addr, db)
		for name, engine := range want {
			if replicated {
				engine = "Replicated" + engine
			}
			if got[name+"_local"] != engine {
				t.Errorf("%s: %s_local has engine %q, want %s", n.Addr, name, got[name+"_local"], engine)
			}
			if got[name] != "Distributed" {
				t.Errorf("%s: %s has engine %q, want Distributed", n.Addr, name, got[name])
			}
		}
		if got["reports_minute_mv"] != "MaterializedView" {
			t.Errorf("%s: reports_minute_mv is %q", n.Addr, got["reports_minute_mv"])
		}
		if got["schema_migrations"] == "" {
			t.Errorf("%s: no schema_migrations", n.Addr)
		}
		if extra := len(got) - 2*len(want) - 2; extra != 0 {
			names := make([]string, 0, len(got))
			for k := range got {
				names = append(names, k)
			}
			slices.Sort(names)
			t.Errorf("%s: %d tables more than the layout's: %v", n.Addr, extra, names)
		}
	}
}

// TestApplyCluster lays the schema out over two shards without ZooKeeper,
// node by node: twice, then again as if never recorded.
func TestApplyCluster(t *testing.T) {
	t.Parallel()
	c := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2})
	cfg := c.Config(t)
	ctx, conn := applyTwice(t, cfg)
	checkNodes(ctx, t, c, cfg.ClickHouseDB, false)
	applyUnrecorded(ctx, t, c, cfg, conn)
	checkNodes(ctx, t, c, cfg.ClickHouseDB, false)
}

// TestApplyClusterReplicated runs the migrations ON CLUSTER over two
// shards of two replicas sharing a ZooKeeper (twice, then again as if
// never recorded), and checks that a
// row written through a Distributed table reaches both replicas of its
// shard and no other.
func TestApplyClusterReplicated(t *testing.T) {
	t.Parallel()
	c := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2, Replicas: 2, ZooKeeper: true})
	cfg := c.Config(t)
	ctx, conn := applyTwice(t, cfg)
	checkNodes(ctx, t, c, cfg.ClickHouseDB, true)
	applyUnrecorded(ctx, t, c, cfg, conn)
	checkNodes(ctx, t, c, cfg.ClickHouseDB, true)

	b, err := conn.PrepareBatch(ctx, "INSERT INTO comment_hidden (service, report_id, hidden, at, version)")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := b.Append("svc"+string(rune('a'+i)), "r1", uint8(1), time.Now(), uint64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	conns := make([]driver.Conn, len(c.Nodes))
	for i, n := range c.Nodes {
		nc, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: n.Addr, ClickHouseDB: cfg.ClickHouseDB, ClickHouseUser: "default"})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns[i] = nc
	}
	// Replication is asynchronous: wait until both replicas of each shard
	// hold what the insert wrote to one of them.
	counts := make([]uint64, len(c.Nodes))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		for i, nc := range conns {
			if err := nc.QueryRow(ctx, "SELECT count() FROM comment_hidden_local").Scan(&counts[i]); err != nil {
				t.Fatal(err)
			}
		}
		if counts[0] == counts[1] && counts[2] == counts[3] && counts[0]+counts[2] == 20 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("rows per node (shard 1's replicas, shard 2's): %v", counts)
	if counts[0] != counts[1] || counts[2] != counts[3] {
		t.Errorf("replicas of a shard differ: %v", counts)
	}
	if counts[0]+counts[2] != 20 || counts[0] == 0 || counts[2] == 0 {
		t.Errorf("20 rows of 20 services split over the shards as %d and %d", counts[0], counts[2])
	}
}
