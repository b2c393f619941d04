// Package redistest gives this module's tests a private Redis. Ingest needs
// no ClickHouse, so its tests start only the Redis half of testenv.
package redistest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redisclient"
	"github.com/lapor/lapor/services/shared/testenv"
)

// Main runs a package's tests with a private redis-server in *srv, stopping
// it after. With LAPOR_SKIP_INTEGRATION set, *srv stays nil.
func Main(m *testing.M, srv **testenv.Redis) int {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") == "" {
		r, err := testenv.StartRedis(false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		defer r.Stop()
		*srv = r
	}
	return m.Run()
}

// Need skips the test when no server is running.
func Need(t testing.TB, srv *testenv.Redis) {
	t.Helper()
	if srv == nil {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
}

var dbSeq atomic.Int64

// Config points at srv, on a Redis database that rotates per call.
func Config(srv *testenv.Redis) config.Common {
	return config.Common{LogLevel: "error", RedisAddr: srv.Addr, RedisDB: int(dbSeq.Add(1) % 16)}
}

// Client connects to srv on a database of the test's own, emptied first,
// and closes the client when the test ends. Tests using it must not run in
// parallel with more than 15 others.
func Client(t testing.TB, srv *testenv.Redis) *redis.Client {
	t.Helper()
	Need(t, srv)
	ctx := testenv.Ctx(t)
	rdb, err := redisclient.New(ctx, Config(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return rdb
}

// Start starts a Redis of the test's own, for tests that kill it, and
// returns it with a connected client. Both go when the test ends.
func Start(t testing.TB) (*testenv.Redis, *redis.Client) {
	t.Helper()
	r, err := testenv.StartRedis(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	rdb, err := redisclient.New(testenv.Ctx(t), config.Common{RedisAddr: r.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return r, rdb
}
