package redis_test

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// go-redis's own log lines come out as JSON warnings of the service's
// logger, one object a line, and never carry the Redis password.
func TestGoRedisLogsAreJSON(t *testing.T) {
	const password = "correct-horse-battery"
	tests := []struct {
		name    string
		trigger func(t *testing.T)
		want    string // in the go-redis message
	}{
		{"Redis down", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := redis.Open(ctx, config.Common{RedisAddr: closedAddr(t), RedisPassword: password}); err == nil {
				t.Fatal("connected to nothing")
			}
		}, "failed to dial"},
		{"a library warning", func(t *testing.T) {
			testenv.Need(t, env)
			rdb, err := redis.Open(testenv.Ctx(t), env.Config(t))
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			// Redis expires in whole milliseconds: go-redis warns that it
			// rounds this up.
			if err := rdb.Set(testenv.Ctx(t), "redisclient-test", "x", 500*time.Microsecond).Err(); err != nil {
				t.Fatal(err)
			}
		}, "truncating to 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf testenv.SyncBuffer
			if _, err := logging.New(&buf, "test", "info"); err != nil {
				t.Fatal(err)
			}
			tt.trigger(t)
			out := strings.TrimSpace(buf.String())
			if out == "" {
				t.Fatal("nothing logged")
			}
			found := false
			for _, line := range strings.Split(out, "\n") {
				var rec struct {
					Level, Msg, Service, Detail string
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("not one JSON object: %q: %v", line, err)
				}
				if rec.Level != "WARN" || rec.Msg != "redis client" || rec.Service != "test" {
					t.Errorf("line %s: want a warning \"redis client\" of service test", line)
				}
				found = found || strings.Contains(rec.Detail, tt.want)
				if strings.Contains(line, password) {
					t.Errorf("the password is logged: %s", line)
				}
			}
			if !found {
				t.Errorf("no line says %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestClusterOrNode checks which client New builds: a plain one for a
// single node, a cluster one for a cluster whether given all its nodes or
// just one of them, and that a cluster refuses a database other than 0.
func TestClusterOrNode(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cl, err := testenv.StartRedisCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	one := strings.Split(cl.Addrs, ",")[1]
	tests := []struct {
		name    string
		c       config.Common
		cluster bool
		fails   bool
	}{
		{"a single node", config.Common{RedisAddr: env.Redis.Addr}, false, false},
		{"every node of a cluster", config.Common{RedisAddr: cl.Addrs}, true, false},
		{"one node of a cluster", config.Common{RedisAddr: one}, true, false},
		{"a cluster with a database", config.Common{RedisAddr: one, RedisDB: 3}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb, err := redis.Open(ctx, tt.c)
			if tt.fails {
				if err == nil {
					rdb.Close()
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			if _, isCluster := rdb.(*goredis.ClusterClient); isCluster != tt.cluster {
				t.Fatalf("client is a %T", rdb)
			}
			// A key on every master: the client follows the slots.
			for i := range 20 {
				k := "k" + strconv.Itoa(i)
				if err := rdb.Set(ctx, k, i, 0).Err(); err != nil {
					t.Fatalf("set %s: %v", k, err)
				}
			}
		})
	}
}
