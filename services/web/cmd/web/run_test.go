package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(Config) bool
		wantErr bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.HTTPAddr == "127.0.0.1:8080" && c.IngestURL == "http://127.0.0.1:8081" && len(c.TrustedProxies) == 0 && c.ForwardSecret == "" &&
				!c.MigrateOnStart && !c.Migrate && c.CacheTTL == 2*time.Second && c.Common.ClickHouseAddr == "127.0.0.1:9000"
		}, false},
		{"flags", []string{"-http-addr", ":9090", "-ingest-url", "http://ingest:8081", "-trusted-proxies", "10.0.0.0/8, 127.0.0.1", "-migrate-on-start"}, nil,
			func(c Config) bool {
				return c.HTTPAddr == ":9090" && c.IngestURL == "http://ingest:8081" && c.MigrateOnStart &&
					reflect.DeepEqual(c.TrustedProxies, []string{"10.0.0.0/8", "127.0.0.1"})
			}, false},
		{"environment", nil, map[string]string{"LAPOR_HTTP_ADDR": ":7070", "LAPOR_MIGRATE_ON_START": "true", "LAPOR_CLICKHOUSE_DB": "x"},
			func(c Config) bool { return c.HTTPAddr == ":7070" && c.MigrateOnStart && c.Common.ClickHouseDB == "x" }, false},
		{"migrate first", []string{"migrate", "-clickhouse-db", "y"}, nil,
			func(c Config) bool { return c.Migrate && c.Common.ClickHouseDB == "y" }, false},
		{"migrate last", []string{"-clickhouse-db", "y", "migrate"}, nil,
			func(c Config) bool { return c.Migrate && c.Common.ClickHouseDB == "y" }, false},
		{"unknown subcommand", []string{"serve"}, nil, nil, true},
		{"unknown flag", []string{"-nope"}, nil, nil, true},
		{"bad environment", nil, map[string]string{"LAPOR_MIGRATE_ON_START": "maybe"}, nil, true},
		{"forward secret", nil, map[string]string{"LAPOR_FORWARD_SECRET": "0123456789abcdef"},
			func(c Config) bool { return c.ForwardSecret == "0123456789abcdef" }, false},
		{"short forward secret", []string{"-forward-secret", "0123456789abcde"}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && !tc.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func commonArgs(c config.Common, more ...string) []string {
	return append([]string{"-clickhouse-addr", c.ClickHouseAddr, "-clickhouse-db", c.ClickHouseDB, "-redis-addr", c.RedisAddr, "-log-level", "error"}, more...)
}

func TestRunMigrate(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	var out strings.Builder
	if err := run(ctx, append([]string{"migrate"}, commonArgs(cfg)...), func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name IN ('reports', 'reports_minute', 'incidents')", cfg.ClickHouseDB).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 || !strings.Contains(out.String(), "applied") {
		t.Errorf("%d tables after migrate, output %q", n, out.String())
	}
}

// run serves until its context ends, then returns cleanly.
func TestRunServesAndStops(t *testing.T) {
	testenv.Need(t, env)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(testenv.Ctx(t))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, commonArgs(env.Config(t), "-http-addr", addr, "-migrate-on-start"), func(string) string { return "" }, io.Discard, io.Discard)
	}()
	var status int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/api/v1/services?q=whatsapp")
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			break
		}
	}
	if status != http.StatusOK {
		t.Fatalf("services: status %d", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
