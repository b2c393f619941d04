package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c settings)
		wantErr bool
	}{
		{"defaults", nil, nil, func(t *testing.T, c settings) {
			if c.HTTPAddr != "127.0.0.1:8081" || c.RateIP != "60-M" || c.RateNet != "1200-M" ||
				c.DedupeWindow != 15*time.Minute || c.MaxBacklog != 1_000_000 || c.NetCap != 20 ||
				len(c.TrustedProxies) != 0 || c.ReporterSecret != "" || c.ForwardSecret != "" || len(c.GeoIPDB) != 0 {
				t.Fatalf("defaults %+v", c)
			}
		}, false},
		{"environment", nil, map[string]string{
			"LAPOR_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
			"LAPOR_RATE_LIMIT_IP":   "5-S",
			"LAPOR_DEDUPE_WINDOW":   "1h",
			"LAPOR_GEOIP_DB":        "/a.mmdb,/b.mmdb",
		}, func(t *testing.T, c settings) {
			if !reflect.DeepEqual(c.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.1"}) || c.RateIP != "5-S" ||
				c.DedupeWindow != time.Hour || !reflect.DeepEqual(c.GeoIPDB, []string{"/a.mmdb", "/b.mmdb"}) {
				t.Fatalf("config %+v", c)
			}
		}, false},
		{"flags win", []string{"-max-backlog", "7", "-http-addr", ":0"}, map[string]string{"LAPOR_MAX_BACKLOG": "9"},
			func(t *testing.T, c settings) {
				if c.MaxBacklog != 7 || c.HTTPAddr != ":0" {
					t.Fatalf("config %+v", c)
				}
			}, false},
		{"network cap and forward secret", nil, map[string]string{
			"LAPOR_NET_CAP":        "5",
			"LAPOR_FORWARD_SECRET": "0123456789abcdef",
		}, func(t *testing.T, c settings) {
			if c.NetCap != 5 || c.ForwardSecret != "0123456789abcdef" {
				t.Fatalf("config %+v", c)
			}
		}, false},
		{"zero backlog", []string{"-max-backlog", "0"}, nil, nil, true},
		{"zero network cap", []string{"-net-cap", "0"}, nil, nil, true},
		{"network cap not a number", nil, map[string]string{"LAPOR_NET_CAP": "many"}, nil, true},
		{"short forward secret", nil, map[string]string{"LAPOR_FORWARD_SECRET": "0123456789abcde"}, nil, true},
		{"tiny window", []string{"-dedupe-window", "1ms"}, nil, nil, true},
		{"unknown flag", []string{"-nope"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(tt.args, mapEnv(tt.env), &bytes.Buffer{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestRun(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	rdb := env.RedisClient(t)
	redisOpts := rdb.Options()

	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var logs testenv.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"-http-addr", addr, "-log-level", "debug"}, mapEnv(map[string]string{
			"LAPOR_REDIS_ADDR": redisOpts.Addr,
			"LAPOR_REDIS_DB":   strconv.Itoa(redisOpts.DB),
		}), &bytes.Buffer{}, &logs)
	}()

	base := "http://" + addr
	testenv.WaitReady(t, base+"/readyz", 10*time.Second, &logs)
	resp, err := http.Post(base+"/api/v1/reports", "application/json", strings.NewReader(`{"service":"whatsapp","symptom":"calls"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := rdb.XLen(ctx, redis.Reports).Val(); n != 1 {
		t.Fatalf("stream length %d", n)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop")
	}
	out := logs.String()
	if !strings.Contains(out, "reporter-secret not set") {
		t.Error("no warning about the random reporter secret")
	}
	if !strings.Contains(out, `"path":"/api/v1/reports"`) || !strings.Contains(out, `"status":202`) {
		t.Errorf("request not logged at debug: %s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "127.0.0.1") && !strings.Contains(line, `"msg":"listening"`) {
			t.Errorf("an address was logged: %s", line)
		}
	}
}
