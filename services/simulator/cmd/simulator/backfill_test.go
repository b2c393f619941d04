package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// TestBackfillCommand runs "simulator backfill" twice against a real
// ClickHouse: the first run writes history, the second finds it and
// writes nothing.
func TestBackfillCommand(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	args := []string{"backfill", "-days", "1", "-rate", "0.5", "-seed", "4", "-end", "2026-05-18T10:00:00Z",
		"-clickhouse-addr", cfg.ClickHouseAddr, "-clickhouse-db", cfg.ClickHouseDB, "-log-level", "error"}
	count := func() uint64 {
		t.Helper()
		conn, err := clickhouse.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT uniqExactMerge(reports) FROM reports_minute").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var out, errs bytes.Buffer
	if err := run(ctx, args, func(string) string { return "" }, &out, &errs); err != nil {
		t.Fatalf("first run: %v\n%s", err, errs.String())
	}
	if !strings.HasPrefix(out.String(), "backfill: 1 days to 2026-05-18T10:00:00Z: ") {
		t.Errorf("first run said %q", out.String())
	}
	n := count()
	// Half a report a second for a day, give or take the noise.
	if n < 30000 || n > 60000 {
		t.Errorf("%d reports in a day at 0.5/s", n)
	}

	out.Reset()
	if err := run(ctx, args, func(string) string { return "" }, &out, &errs); err != nil {
		t.Fatalf("second run: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "nothing written") {
		t.Errorf("second run said %q", out.String())
	}
	if again := count(); again != n {
		t.Errorf("second run changed the rollup from %d to %d reports", n, again)
	}
}

func TestBackfillRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no days", []string{"-days", "0"}},
		{"too many days", []string{"-days", "400"}},
		{"zero rate", []string{"-rate", "0"}},
		{"outages too often", []string{"-outage-every", "5m"}},
		{"bad end", []string{"-end", "yesterday"}},
		{"stray argument", []string{"now"}},
		{"unknown flag", []string{"-target", "http://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No ClickHouse listens here: a bad setting must be refused
			// before any connection is tried.
			args := append([]string{"backfill", "-clickhouse-addr", "127.0.0.1:1"}, tt.args...)
			var out, errs bytes.Buffer
			err := run(context.Background(), args, func(string) string { return "" }, &out, &errs)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "127.0.0.1:1") {
				t.Errorf("tried to connect before checking settings: %v", err)
			}
		})
	}
}
