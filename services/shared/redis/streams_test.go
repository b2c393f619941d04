package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

func TestReportStreams(t *testing.T) {
	tests := []struct {
		n    int
		want []string
		err  bool
	}{
		{n: 1, want: []string{"lapor:reports"}},
		{n: 3, want: []string{"lapor:reports", "lapor:reports:1", "lapor:reports:2"}},
		{n: 0, err: true},
		{n: redis.MaxReportShards + 1, err: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			got, err := redis.ReportStreams(tt.n)
			if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestShardOf checks that a service always lands on the same shard, and
// that services spread over the shards.
func TestShardOf(t *testing.T) {
	const n = 8
	seen := map[int]int{}
	for i := range 400 {
		svc := fmt.Sprintf("service-%d", i)
		s := redis.ShardOf(svc, n)
		if s < 0 || s >= n || redis.ShardOf(svc, n) != s {
			t.Fatalf("%s: shard %d", svc, s)
		}
		if redis.ShardOf(svc, 1) != 0 {
			t.Fatalf("%s: not shard 0 of 1", svc)
		}
		seen[s]++
	}
	for s := range n {
		if seen[s] < 400/n/2 {
			t.Errorf("shard %d got %d of 400 services", s, seen[s])
		}
	}
}

func TestDeadLetterSharesTheSlot(t *testing.T) {
	for _, s := range []string{redis.Reports, redis.ReportStream(5)} {
		if got := redis.DeadLetter(s); got != "{"+s+"}:dead" {
			t.Errorf("dead letter of %s is %s", s, got)
		}
	}
}

// TestOldestUnwritten checks that the oldest waiting report is found
// over every stream, and that empty or missing streams mean none waits.
func TestOldestUnwritten(t *testing.T) {
	testenv.Need(t, env)
	rdb := env.RedisClient(t)
	ctx := testenv.Ctx(t)
	streams := []string{"s0", "s1", "s2"}
	add := func(s string, ms int64) {
		t.Helper()
		if err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: s, ID: fmt.Sprintf("%d-0", ms), Values: []any{"r", "x"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := redis.OldestUnwritten(ctx, rdb, streams); err != nil || ok {
		t.Fatalf("no streams: waiting %v, %v", ok, err)
	}
	add("s1", 5000)
	add("s1", 9000)
	add("s2", 3000)
	oldest, ok, err := redis.OldestUnwritten(ctx, rdb, streams)
	if err != nil || !ok || !oldest.Equal(time.UnixMilli(3000)) {
		t.Fatalf("oldest %v (waiting %v, %v), want 3s after 1970", oldest, ok, err)
	}
	rdb.XDel(ctx, "s2", "3000-0")
	if oldest, _, _ := redis.OldestUnwritten(ctx, rdb, streams); !oldest.Equal(time.UnixMilli(5000)) {
		t.Errorf("after s2 emptied: oldest %v, want 5s after 1970", oldest)
	}
}
