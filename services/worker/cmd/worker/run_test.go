package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantMigrate bool
		wantErr     string
		check       func(t *testing.T, s settings)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, s settings) {
				c := s.consume
				if s.httpAddr != "127.0.0.1:8082" || c.BatchSize != 5000 || c.BatchMax != 100000 || c.FlushInterval != 500*time.Millisecond ||
					c.ClaimInterval != 15*time.Second || c.ClaimIdle != 30*time.Second || c.ShutdownGrace != 10*time.Second || s.migrateOnStart {
					t.Errorf("defaults = %+v", s)
				}
				if !strings.HasSuffix(s.group.Consumer, "-"+strconv.Itoa(os.Getpid())) {
					t.Errorf("default consumer %q does not end with the pid", s.group.Consumer)
				}
			},
		},
		{
			name: "environment",
			env:  map[string]string{"LAPOR_BATCH_SIZE": "10", "LAPOR_CONSUMER": "w1", "LAPOR_FLUSH_INTERVAL": "1s", "LAPOR_MIGRATE_ON_START": "true"},
			check: func(t *testing.T, s settings) {
				if s.consume.BatchSize != 10 || s.group.Consumer != "w1" || s.consume.FlushInterval != time.Second || !s.migrateOnStart {
					t.Errorf("settings = %+v", s)
				}
			},
		},
		{
			name: "flags win over environment",
			args: []string{"-batch-size", "7", "-claim-idle", "2s"},
			env:  map[string]string{"LAPOR_BATCH_SIZE": "10"},
			check: func(t *testing.T, s settings) {
				if s.consume.BatchSize != 7 || s.consume.ClaimIdle != 2*time.Second {
					t.Errorf("settings = %+v", s)
				}
			},
		},
		{name: "migrate before flags", args: []string{"migrate", "-clickhouse-db", "x"}, wantMigrate: true},
		{name: "migrate after flags", args: []string{"-clickhouse-db", "x", "migrate"}, wantMigrate: true},
		{name: "unknown subcommand", args: []string{"serve"}, wantErr: "unexpected arguments"},
		{name: "bad batch size", args: []string{"-batch-size", "0"}, wantErr: "batch-size"},
		{name: "bad batch max", env: map[string]string{"LAPOR_BATCH_MAX": "0"}, wantErr: "batch-max"},
		{name: "bad duration in environment", env: map[string]string{"LAPOR_CLAIM_IDLE": "soon"}, wantErr: "LAPOR_CLAIM_IDLE"},
		{name: "non-positive duration", args: []string{"-flush-interval", "0s"}, wantErr: "must be positive"},
		{name: "empty consumer", args: []string{"-consumer", ""}, wantErr: "consumer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, migrateOnly, err := load(tt.args, mapEnv(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if migrateOnly != tt.wantMigrate {
				t.Errorf("migrate = %v, want %v", migrateOnly, tt.wantMigrate)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test together.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func commonArgs(cfg config.Common) []string {
	return []string{
		"-redis-addr", cfg.RedisAddr, "-redis-db", strconv.Itoa(cfg.RedisDB),
		"-clickhouse-addr", cfg.ClickHouseAddr, "-clickhouse-db", cfg.ClickHouseDB,
	}
}

func TestMigrateSubcommand(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	var stdout bytes.Buffer
	if err := run(ctx, append([]string{"migrate"}, commonArgs(cfg)...), mapEnv(nil), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "applied ") {
		t.Errorf("stdout = %q", stdout.String())
	}
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name IN ('reports', 'reports_minute')", cfg.ClickHouseDB).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("found %d of the reports tables, want 2", n)
	}
}

func TestRunServesHealthAndWritesReports(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	rdb, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	getenv := mapEnv(map[string]string{
		"LAPOR_HTTP_ADDR":        addr,
		"LAPOR_MIGRATE_ON_START": "true",
		"LAPOR_FLUSH_INTERVAL":   "50ms",
		"LAPOR_LOG_LEVEL":        "debug",
	})
	var stderr syncBuffer
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(runCtx, commonArgs(cfg), getenv, io.Discard, &stderr) }()

	get := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(30 * time.Second)
	for get("/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 200; log:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}

	const n = 300
	now := time.Now().UTC()
	p := rdb.Pipeline()
	for i := 0; i < n; i++ {
		r := lapor.Report{ID: fmt.Sprintf("e2e-%d", i), Service: []string{"gojek", "bca"}[i%2], Symptom: "login", Time: now, Reporter: "k"}
		v, _ := r.Encode()
		p.XAdd(ctx, &goredis.XAddArgs{Stream: redis.Reports, Values: []any{redis.ReportField, v}})
	}
	p.XAdd(ctx, &goredis.XAddArgs{Stream: redis.Reports, Values: []any{redis.ReportField, "garbage"}})
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		l, _ := rdb.XLen(ctx, redis.Reports).Result()
		if l == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream still holds %d entries; log:\n%s", l, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}

	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Every report once in the raw table and in the rollup.
	testenv.CheckReports(ctx, t, conn, map[testenv.ReportGroup]uint64{{Service: "gojek", Symptom: "login"}: n / 2, {Service: "bca", Symptom: "login"}: n / 2})
	if l, _ := rdb.XLen(ctx, redis.DeadLetter(redis.Reports)).Result(); l != 1 {
		t.Errorf("dead letters = %d, want 1", l)
	}
	log := stderr.String()
	if testing.Verbose() {
		t.Log(log)
	}
	for _, want := range []string{`"msg":"worker started"`, `"msg":"wrote batch"`, `"msg":"dead-lettered report entry"`, `"msg":"worker stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}
