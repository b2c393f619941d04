package clickhouse_test

import (
	"context"
	"os"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"one", "CREATE TABLE a (x UInt8) ENGINE = Memory;\n", 1},
		{"two with comments", "-- c\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n-- d\nCREATE TABLE b (x UInt8)\nENGINE = Memory;\n", 2},
		{"no trailing semicolon", "SELECT 1", 1},
		{"empty", "-- only a comment\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clickhouse.SplitStatements(tt.in); len(got) != tt.want {
				t.Fatalf("Split gave %d statements %q, want %d", len(got), got, tt.want)
			}
		})
	}
}

func TestAllOrdered(t *testing.T) {
	all, err := clickhouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range all {
		if m.Version != uint32(i+1) {
			t.Fatalf("migration %d has version %d: versions must run 1, 2, 3 … without gaps", i, m.Version)
		}
		if len(m.Statements) == 0 {
			t.Fatalf("migration %s has no statements", m.Name)
		}
	}
}

// open connects to a database of the test's own.
func open(t *testing.T) (context.Context, driver.Conn) {
	t.Helper()
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn, err := clickhouse.Open(ctx, env.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ctx, conn
}

func TestApplyIdempotent(t *testing.T) {
	ctx, conn := open(t)
	all, _ := clickhouse.Migrations()
	got, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("first apply ran %d migrations, want %d", len(got), len(all))
	}
	again, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second apply ran %v, want nothing", again)
	}
	for _, table := range []string{"reports", "reports_minute", "incidents", "alert_events"} {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("table %s missing after migrate", table)
		}
	}
}

// TestApplyAgainAfterUnrecordedRun checks that migrations whose statements
// ran but were never recorded (a run cut short) apply again cleanly,
// including ADD COLUMN, which 18.16 cannot write as IF NOT EXISTS.
func TestApplyAgainAfterUnrecordedRun(t *testing.T) {
	ctx, conn := open(t)
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	all, _ := clickhouse.Migrations()
	got, err := clickhouse.Migrate(ctx, conn, logging.Discard())
	if err != nil {
		t.Fatalf("applying again: %v", err)
	}
	if len(got) != len(all) {
		t.Fatalf("applying again ran %d migrations, want %d", len(got), len(all))
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'incidents' AND name = 'end_reason'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("incidents has %d end_reason columns, want 1", n)
	}
}
