package enqueue_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/ingest/internal/enqueue"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }

func newRedis(t *testing.T) *redis.Client { return env.RedisClient(t) }

const stream = "test:reports"

func newAppender(t *testing.T, rdb *redis.Client, max int64, window time.Duration) *enqueue.Appender {
	t.Helper()
	a, err := enqueue.New(rdb, enqueue.Config{Stream: stream, Field: "r", MaxBacklog: max, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppend(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 3, time.Minute)
	keyA1 := enqueue.DedupeKey("reporter-a", "svc1")
	keyA2 := enqueue.DedupeKey("reporter-a", "svc2")
	keyB1 := enqueue.DedupeKey("reporter-b", "svc1")
	keyC1 := enqueue.DedupeKey("reporter-c", "svc1")
	keyD1 := enqueue.DedupeKey("reporter-d", "svc1")

	steps := []struct {
		name    string
		key     string
		want    enqueue.Outcome
		wantLen int64
	}{
		{"first report is appended", keyA1, enqueue.Appended, 1},
		{"same reporter and service is a duplicate", keyA1, enqueue.Duplicate, 1},
		{"same reporter, other service is appended", keyA2, enqueue.Appended, 2},
		{"other reporter is appended", keyB1, enqueue.Appended, 3},
		{"backlog full refuses", keyC1, enqueue.Full, 3},
		{"a duplicate is reported as such even when full", keyA1, enqueue.Duplicate, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			id, got, err := a.Append(ctx, s.key, "value-"+s.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Fatalf("outcome %s, want %s", got, s.want)
			}
			if (id != "") != (s.want == enqueue.Appended) {
				t.Fatalf("id %q with outcome %s", id, got)
			}
			if n := rdb.XLen(ctx, stream).Val(); n != s.wantLen {
				t.Fatalf("stream length %d, want %d", n, s.wantLen)
			}
			if s.want == enqueue.Appended {
				msgs := rdb.XRange(ctx, stream, id, id).Val()
				if len(msgs) != 1 || msgs[0].Values["r"] != "value-"+s.key {
					t.Fatalf("entry %s = %+v", id, msgs)
				}
			}
		})
	}
	if n := rdb.Exists(ctx, keyC1).Val(); n != 0 {
		t.Fatal("a refused report left its dedupe key set")
	}

	// The worker deleting what it wrote makes room again.
	ids := rdb.XRange(ctx, stream, "-", "+").Val()
	if err := rdb.XDel(ctx, stream, ids[0].ID).Err(); err != nil {
		t.Fatal(err)
	}
	if _, got, err := a.Append(ctx, keyC1, "v"); err != nil || got != enqueue.Appended {
		t.Fatalf("after XDEL: %s, %v", got, err)
	}
	if _, got, err := a.Append(ctx, keyD1, "v"); err != nil || got != enqueue.Full {
		t.Fatalf("full again: %s, %v", got, err)
	}
}

func TestWindowExpires(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 100, 200*time.Millisecond)
	key := enqueue.DedupeKey("r", "s")
	if _, got, err := a.Append(ctx, key, "v"); err != nil || got != enqueue.Appended {
		t.Fatalf("first: %s, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 200*time.Millisecond {
		t.Fatalf("dedupe key TTL %s, want (0, 200ms]", ttl)
	}
	if _, got, _ := a.Append(ctx, key, "v"); got != enqueue.Duplicate {
		t.Fatalf("within window: %s", got)
	}
	time.Sleep(300 * time.Millisecond)
	if _, got, err := a.Append(ctx, key, "v"); err != nil || got != enqueue.Appended {
		t.Fatalf("after window: %s, %v", got, err)
	}
}

func TestScriptErrorLeavesNoDedupeKey(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 100, time.Minute)
	// A string where the stream should be makes XLEN fail inside the script.
	if err := rdb.Set(ctx, stream, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	key := enqueue.DedupeKey("r", "s")
	if _, _, err := a.Append(ctx, key, "v"); err == nil {
		t.Fatal("append to a non-stream succeeded")
	}
	if rdb.Exists(ctx, key).Val() != 0 {
		t.Fatal("failed append left the dedupe key set")
	}
}

func TestConcurrentDuplicatesCountOnce(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 1000, time.Minute)
	var appended atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, got, err := a.Append(ctx, enqueue.DedupeKey("same", "svc"), "v")
			if err != nil {
				t.Error(err)
			}
			if got == enqueue.Appended {
				appended.Add(1)
			}
		})
	}
	wg.Wait()
	if n := appended.Load(); n != 1 {
		t.Fatalf("%d appended, want 1", n)
	}
	if n := rdb.XLen(ctx, stream).Val(); n != 1 {
		t.Fatalf("stream length %d, want 1", n)
	}
}

func TestRedisDown(t *testing.T) {
	testenv.Need(t, env)
	r, rdb := testenv.OwnRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 10, time.Minute)
	r.Kill()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := a.Append(cctx, "k", "v"); err == nil {
		t.Fatal("append with Redis down succeeded")
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		c    enqueue.Config
	}{
		{"no stream", enqueue.Config{Field: "r", MaxBacklog: 1, Window: time.Minute}},
		{"no field", enqueue.Config{Stream: "s", MaxBacklog: 1, Window: time.Minute}},
		{"zero backlog", enqueue.Config{Stream: "s", Field: "r", Window: time.Minute}},
		{"zero window", enqueue.Config{Stream: "s", Field: "r", MaxBacklog: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := enqueue.New(nil, tt.c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
