package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// getenv serves the settings of c as LAPOR_ variables.
func getenv(c config.Common, extra map[string]string) func(string) string {
	vars := map[string]string{
		"LAPOR_REDIS_ADDR":      c.RedisAddr,
		"LAPOR_REDIS_DB":        fmt.Sprint(c.RedisDB),
		"LAPOR_CLICKHOUSE_ADDR": c.ClickHouseAddr,
		"LAPOR_CLICKHOUSE_DB":   c.ClickHouseDB,
		"LAPOR_LOG_LEVEL":       "error",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

func TestBadInvocations(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"score-everything"}, "unknown command"},
		{"stray argument", []string{"migrate", "now"}, "unexpected arguments"},
		{"bad flag", []string{"-bucket", "soon"}, "parse flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &stderr, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestBucketMustBeWholeMinutes(t *testing.T) {
	testenv.Need(t, env)
	var stderr bytes.Buffer
	err := run(testenv.Ctx(t), []string{"-bucket", "90s"}, getenv(env.Config(t), nil), &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "whole number of minutes") {
		t.Fatalf("run with a 90s bucket = %v, want a config error", err)
	}
}

func TestRecentWindowMustHoldMinRecentBuckets(t *testing.T) {
	testenv.Need(t, env)
	var stderr bytes.Buffer
	err := run(testenv.Ctx(t), []string{"-bucket", "15m", "-recent-window", "1h"}, getenv(env.Config(t), nil), &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "fewer than min-recent") {
		t.Fatalf("run with 4 buckets in the recent window = %v, want a config error", err)
	}
}

func TestMigrateThenServe(t *testing.T) {
	testenv.Need(t, env)
	c := env.Config(t)
	var stderr testenv.SyncBuffer // written by run while the test reads it
	if err := run(testenv.Ctx(t), []string{"migrate"}, getenv(c, nil), &stderr, &stderr); err != nil {
		t.Fatalf("migrate: %v (%s)", err, stderr.String())
	}

	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(testenv.Ctx(t))
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-interval", "200ms"}, getenv(c, map[string]string{"LAPOR_HTTP_ADDR": addr}), &stderr, &stderr)
	}()
	for _, path := range []string{"/healthz", "/readyz"} {
		testenv.WaitReady(t, "http://"+addr+path, 10*time.Second, &stderr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("detector did not stop on cancel")
	}
}

// TestTwoDetectorsShareTheStores starts the detector twice on the same
// stores, as two replicas: both become ready, one holds the lease, and
// when it stops the other takes the lease over.
func TestTwoDetectorsShareTheStores(t *testing.T) {
	testenv.Need(t, env)
	c := env.Config(t)
	var stderr testenv.SyncBuffer
	if err := run(testenv.Ctx(t), []string{"migrate"}, getenv(c, nil), &stderr, &stderr); err != nil {
		t.Fatalf("migrate: %v (%s)", err, stderr.String())
	}
	rdb, err := redis.Open(testenv.Ctx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.FlushDB(testenv.Ctx(t)).Err(); err != nil {
		t.Fatal(err)
	}

	type replica struct {
		cancel context.CancelFunc
		done   chan error
	}
	var replicas []replica
	for range 2 {
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		ctx, cancel := context.WithCancel(testenv.Ctx(t))
		r := replica{cancel: cancel, done: make(chan error, 1)}
		go func() {
			r.done <- run(ctx, []string{"-interval", "200ms"}, getenv(c, map[string]string{"LAPOR_HTTP_ADDR": addr, "LAPOR_LEASE_TTL": "600ms"}), &stderr, &stderr)
		}()
		replicas = append(replicas, r)
		testenv.WaitReady(t, "http://"+addr+"/readyz", 10*time.Second, &stderr)
	}
	holder := rdb.Get(testenv.Ctx(t), redis.DetectorLeaseKey).Val()
	if holder == "" {
		t.Fatal("no replica holds the detector lease")
	}
	stop := func(r replica) {
		t.Helper()
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Fatalf("run after cancel = %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("detector did not stop on cancel")
		}
	}
	// The first replica took the lease: it became ready alone.
	stop(replicas[0])
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := rdb.Get(testenv.Ctx(t), redis.DetectorLeaseKey).Val()
		if v != "" && v != holder {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease still holds %q after its holder stopped, want the other replica", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop(replicas[1])
	if n := rdb.Exists(testenv.Ctx(t), redis.DetectorLeaseKey).Val(); n != 0 {
		t.Fatal("the lease is still held after both replicas stopped")
	}
}
