package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

func newRedis(t *testing.T) *goredis.Client { return env.RedisClient(t) }

const testStream = "test:reports"

// at is a time well inside one network window of a minute.
var at = time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC)

func newAppender(t *testing.T, rdb *goredis.Client, max int64, window time.Duration) *redis.Appender {
	t.Helper()
	return newCappedAppender(t, rdb, max, window, 1000)
}

func newCappedAppender(t *testing.T, rdb *goredis.Client, max int64, window time.Duration, netCap int64) *redis.Appender {
	t.Helper()
	a, err := redis.NewAppender(rdb, redis.AppenderConfig{Streams: []string{testStream}, Field: "r", MaxBacklog: max, Window: window, NetCap: netCap})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// count is a report of reporter for service from a network of its own.
func count(reporter, service string) redis.ReportCount {
	return redis.ReportCount{Service: service, Reporter: reporter, Network: "net-" + reporter, At: at}
}

func TestAppend(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 3, time.Minute)
	keyA1 := count("reporter-a", "svc1")
	keyA2 := count("reporter-a", "svc2")
	keyB1 := count("reporter-b", "svc1")
	keyC1 := count("reporter-c", "svc1")
	keyD1 := count("reporter-d", "svc1")

	steps := []struct {
		name    string
		key     redis.ReportCount
		want    redis.AppendOutcome
		wantLen int64
	}{
		{"first report is appended", keyA1, redis.Appended, 1},
		{"same reporter and service is a duplicate", keyA1, redis.Duplicate, 1},
		{"same reporter, other service is appended", keyA2, redis.Appended, 2},
		{"other reporter is appended", keyB1, redis.Appended, 3},
		{"backlog full refuses", keyC1, redis.Full, 3},
		{"a duplicate is reported as such even when full", keyA1, redis.Duplicate, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			value := "value-" + s.key.Reporter + "-" + s.key.Service
			id, got, err := a.Append(ctx, s.key, value)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Fatalf("outcome %s, want %s", got, s.want)
			}
			if (id != "") != (s.want == redis.Appended) {
				t.Fatalf("id %q with outcome %s", id, got)
			}
			if n := rdb.XLen(ctx, testStream).Val(); n != s.wantLen {
				t.Fatalf("stream length %d, want %d", n, s.wantLen)
			}
			if s.want == redis.Appended {
				msgs := rdb.XRange(ctx, testStream, id, id).Val()
				if len(msgs) != 1 || msgs[0].Values["r"] != value {
					t.Fatalf("entry %s = %+v", id, msgs)
				}
			}
		})
	}
	if n := rdb.Exists(ctx, redis.DedupeKey(testStream, keyC1.Reporter, keyC1.Service)).Val(); n != 0 {
		t.Fatal("a refused report left its dedupe key set")
	}
	if n := rdb.Exists(ctx, redis.NetworkKey(testStream, keyC1.Network, keyC1.Service, redis.WindowIndex(at, time.Minute))).Val(); n != 0 {
		t.Fatal("a refused report was charged to its network")
	}

	// The worker deleting what it wrote makes room again.
	ids := rdb.XRange(ctx, testStream, "-", "+").Val()
	if err := rdb.XDel(ctx, testStream, ids[0].ID).Err(); err != nil {
		t.Fatal(err)
	}
	if _, got, err := a.Append(ctx, keyC1, "v"); err != nil || got != redis.Appended {
		t.Fatalf("after XDEL: %s, %v", got, err)
	}
	if _, got, err := a.Append(ctx, keyD1, "v"); err != nil || got != redis.Full {
		t.Fatalf("full again: %s, %v", got, err)
	}
}

func TestWindowExpires(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 100, 200*time.Millisecond)
	key := count("r", "s")
	if _, got, err := a.Append(ctx, key, "v"); err != nil || got != redis.Appended {
		t.Fatalf("first: %s, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, redis.DedupeKey(testStream, "r", "s")).Val(); ttl <= 0 || ttl > 200*time.Millisecond {
		t.Fatalf("dedupe key TTL %s, want (0, 200ms]", ttl)
	}
	if _, got, _ := a.Append(ctx, key, "v"); got != redis.Duplicate {
		t.Fatalf("within window: %s", got)
	}
	time.Sleep(300 * time.Millisecond)
	if _, got, err := a.Append(ctx, key, "v"); err != nil || got != redis.Appended {
		t.Fatalf("after window: %s, %v", got, err)
	}
}

func TestScriptErrorLeavesNoDedupeKey(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 100, time.Minute)
	// A string where the stream should be makes XLEN fail inside the script.
	if err := rdb.Set(ctx, testStream, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	key := count("r", "s")
	if _, _, err := a.Append(ctx, key, "v"); err == nil {
		t.Fatal("append to a non-stream succeeded")
	}
	if rdb.Exists(ctx, redis.DedupeKey(testStream, "r", "s")).Val() != 0 {
		t.Fatal("failed append left the dedupe key set")
	}
	if rdb.Exists(ctx, redis.NetworkKey(testStream, key.Network, "s", redis.WindowIndex(at, time.Minute))).Val() != 0 {
		t.Fatal("failed append charged the network")
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
			_, got, err := a.Append(ctx, count("same", "svc"), "v")
			if err != nil {
				t.Error(err)
			}
			if got == redis.Appended {
				appended.Add(1)
			}
		})
	}
	wg.Wait()
	if n := appended.Load(); n != 1 {
		t.Fatalf("%d appended, want 1", n)
	}
	if n := rdb.XLen(ctx, testStream).Val(); n != 1 {
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
	if _, _, err := a.Append(cctx, count("r", "s"), "v"); err == nil {
		t.Fatal("append with Redis down succeeded")
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		c    redis.AppenderConfig
	}{
		{"no stream", redis.AppenderConfig{Field: "r", MaxBacklog: 1, Window: time.Minute, NetCap: 1}},
		{"an empty stream", redis.AppenderConfig{Streams: []string{"s", ""}, Field: "r", MaxBacklog: 1, Window: time.Minute, NetCap: 1}},
		{"no field", redis.AppenderConfig{Streams: []string{"s"}, MaxBacklog: 1, Window: time.Minute, NetCap: 1}},
		{"zero backlog", redis.AppenderConfig{Streams: []string{"s"}, Field: "r", Window: time.Minute, NetCap: 1}},
		{"zero window", redis.AppenderConfig{Streams: []string{"s"}, Field: "r", MaxBacklog: 1, NetCap: 1}},
		{"zero network cap", redis.AppenderConfig{Streams: []string{"s"}, Field: "r", MaxBacklog: 1, Window: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := redis.NewAppender(nil, tt.c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestNetworkCap(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	const window = time.Minute
	a := newCappedAppender(t, rdb, 100, window, 3)
	// Reporters h1…h5 share network "n"; "solo" has one of its own.
	in := func(reporter, network, service string, when time.Time) redis.ReportCount {
		return redis.ReportCount{Service: service, Reporter: reporter, Network: network, At: when}
	}
	next := at.Add(window)
	steps := []struct {
		name    string
		c       redis.ReportCount
		want    redis.AppendOutcome
		wantLen int64
	}{
		{"first of the network", in("h1", "n", "s", at), redis.Appended, 1},
		{"second", in("h2", "n", "s", at), redis.Appended, 2},
		{"third reaches the cap", in("h3", "n", "s", at), redis.Appended, 3},
		{"fourth is capped", in("h4", "n", "s", at), redis.Capped, 3},
		{"a counted host repeating is a duplicate, not capped", in("h1", "n", "s", at), redis.Duplicate, 3},
		{"another network is not affected", in("solo", "m", "s", at), redis.Appended, 4},
		{"another service has its own cap", in("h4", "n", "t", at), redis.Appended, 5},
		{"the last millisecond of the window is still capped", in("h5", "n", "s", next.Truncate(window).Add(-time.Millisecond)), redis.Capped, 5},
		{"a capped host counts in the next window", in("h4", "n", "s", next), redis.Appended, 6},
		{"a host counted in the last window is still a duplicate", in("h2", "n", "s", next), redis.Duplicate, 6},
		{"and the next window has its own cap", in("h5", "n", "s", next), redis.Appended, 7},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			_, got, err := a.Append(ctx, s.c, "v")
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Fatalf("outcome %s, want %s", got, s.want)
			}
			if n := rdb.XLen(ctx, testStream).Val(); n != s.wantLen {
				t.Fatalf("stream length %d, want %d", n, s.wantLen)
			}
			marked := rdb.Exists(ctx, redis.DedupeKey(testStream, s.c.Reporter, s.c.Service)).Val() == 1
			if s.want == redis.Capped && marked {
				t.Fatal("a capped report set its dedupe key")
			}
		})
	}
	netKey := redis.NetworkKey(testStream, "n", "s", redis.WindowIndex(at, window))
	if n, _ := rdb.Get(ctx, netKey).Int(); n != 3 {
		t.Fatalf("network counter %d, want 3", n)
	}
	if ttl := rdb.PTTL(ctx, netKey).Val(); ttl <= 0 || ttl > window {
		t.Fatalf("network counter TTL %s, want (0, %s]", ttl, window)
	}
}

func TestConcurrentNetworkCap(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newCappedAppender(t, rdb, 1000, time.Minute, 5)
	var appended atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			c := redis.ReportCount{Service: "svc", Reporter: fmt.Sprintf("host-%d", i), Network: "one-net", At: at}
			_, got, err := a.Append(ctx, c, "v")
			if err != nil {
				t.Error(err)
			}
			if got == redis.Appended {
				appended.Add(1)
			}
		})
	}
	wg.Wait()
	if n := appended.Load(); n != 5 {
		t.Fatalf("%d appended, want the cap of 5", n)
	}
}

func TestWindowIndex(t *testing.T) {
	tests := []struct {
		name   string
		at     time.Time
		window time.Duration
		want   int64
	}{
		{"epoch", time.UnixMilli(0), time.Minute, 0},
		{"last millisecond of the first window", time.UnixMilli(59_999), time.Minute, 0},
		{"first millisecond of the second", time.UnixMilli(60_000), time.Minute, 1},
		{"15-minute windows", time.Date(2025, 6, 1, 12, 14, 59, 0, time.UTC), 15 * time.Minute, 1_748_779_200_000 / 900_000},
		{"before 1970 rounds down", time.UnixMilli(-1), time.Minute, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redis.WindowIndex(tt.at, tt.window); got != tt.want {
				t.Fatalf("WindowIndex = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSubmitSaysWhenADuplicateCountsAgain(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	const window = 15 * time.Minute
	a := newAppender(t, rdb, 100, window)
	key := count("r", "s")
	steps := []struct {
		name     string
		want     redis.AppendOutcome
		min, max time.Duration // CountsAgainIn
	}{
		{"a counted report has no wait", redis.Appended, 0, 0},
		// The key was set a moment ago: its PTTL is the window, less the
		// time the test took.
		{"a duplicate waits out the dedupe key", redis.Duplicate, window - 10*time.Second, window},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r, err := a.Submit(ctx, key, "v")
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != s.want || r.CountsAgainIn < s.min || r.CountsAgainIn > s.max {
				t.Fatalf("result %+v, want %s counting again in [%s, %s]", r, s.want, s.min, s.max)
			}
			if (r.ID != "") != (s.want == redis.Appended) {
				t.Fatalf("id %q with outcome %s", r.ID, r.Outcome)
			}
		})
	}
}

// TestShards checks that a service's reports always go to the same one of
// several streams, with its dedupe and network keys in that stream's hash
// slot, and that the services spread over the streams.
func TestShards(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	streams := []string{"test:r0", "test:r1", "test:r2"}
	a, err := redis.NewAppender(rdb, redis.AppenderConfig{Streams: streams, Field: "r", MaxBacklog: 100, Window: time.Minute, NetCap: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := range 30 {
		svc := fmt.Sprintf("svc%d", i)
		st := a.StreamFor(svc)
		if st != streams[redis.ShardOf(svc, len(streams))] {
			t.Fatalf("%s: stream %s is not its shard's", svc, st)
		}
		for _, reporter := range []string{"a", "b", "a"} {
			if _, _, err := a.Append(ctx, redis.ReportCount{Service: svc, Reporter: reporter, Network: "n", At: at}, svc); err != nil {
				t.Fatal(err)
			}
		}
		want[st] += 2 // the second "a" is a duplicate
		if rdb.Exists(ctx, redis.DedupeKey(st, "a", svc)).Val() != 1 {
			t.Errorf("%s: no dedupe key in its stream's slot", svc)
		}
		if !strings.HasPrefix(redis.DedupeKey(st, "a", svc), "{"+st+"}:") {
			t.Errorf("dedupe key %q is not in the slot of %s", redis.DedupeKey(st, "a", svc), st)
		}
	}
	for _, st := range streams {
		msgs := rdb.XRange(ctx, st, "-", "+").Val()
		if len(msgs) != want[st] || len(msgs) == 0 {
			t.Errorf("%s holds %d entries, want %d (and some)", st, len(msgs), want[st])
		}
		for _, m := range msgs {
			if got := a.StreamFor(m.Values["r"].(string)); got != st {
				t.Errorf("%s holds a report of %s, whose stream is %s", st, m.Values["r"], got)
			}
		}
	}
}
