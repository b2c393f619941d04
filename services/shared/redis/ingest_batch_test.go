package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// limitFor is a request's limit check: host in network, at 2 a minute per
// host and 3 per network.
func limitFor(host, network string) redis.LimitCheck {
	return redis.LimitCheck{
		Prefix: "test:rl", Host: "ip:" + host, Network: "net:" + network,
		HostRate:    limiter.Rate{Period: time.Minute, Limit: 2},
		NetworkRate: limiter.Rate{Period: time.Minute, Limit: 3},
	}
}

// report is a request of host in network reporting service.
func report(host, network, service string) redis.IngestRequest {
	return redis.IngestRequest{
		Limit: limitFor(host, network),
		Count: redis.ReportCount{Service: service, Reporter: host, Network: network, At: at},
		Value: service + "/" + host,
	}
}

// limitOnly is a request that charges the limits and appends nothing.
func limitOnly(host, network string) redis.IngestRequest {
	return redis.IngestRequest{Limit: limitFor(host, network)}
}

// outcome names what became of one request: "appended", "duplicate",
// "capped", "full", "host limit", "network limit" or "charged" (limits
// passed, nothing to append).
func outcome(r redis.IngestResult) string {
	switch {
	case r.LimitErr != nil:
		return "limit error: " + r.LimitErr.Error()
	case r.Limit.Host.Reached:
		return "host limit"
	case r.Limit.Network.Reached:
		return "network limit"
	case !r.Tried:
		return "charged"
	case r.AppendErr != nil:
		return "append error: " + r.AppendErr.Error()
	}
	return r.Append.Outcome.String()
}

// TestIngest checks that one batch answers each request as the requests
// one by one would have been answered, in the batch's order.
func TestIngest(t *testing.T) {
	tests := []struct {
		name       string
		maxBacklog int64
		reqs       []redis.IngestRequest
		want       []string
		wantLen    int64
	}{
		{"distinct reporters are appended", 100,
			[]redis.IngestRequest{report("a", "n1", "s1"), report("b", "n2", "s1"), report("a", "n1", "s2")},
			[]string{"appended", "appended", "appended"}, 3},
		{"a repeat in the same batch is a duplicate", 100,
			[]redis.IngestRequest{report("a", "n1", "s1"), report("a", "n1", "s1")},
			[]string{"appended", "duplicate"}, 1},
		{"a host over its limit is refused and spares its network", 100,
			[]redis.IngestRequest{report("a", "n1", "s1"), report("a", "n1", "s2"), report("a", "n1", "s3"), report("b", "n1", "s1")},
			[]string{"appended", "appended", "host limit", "appended"}, 3},
		{"a network over its limit is refused", 100,
			[]redis.IngestRequest{report("a", "n1", "s1"), report("b", "n1", "s1"), report("c", "n1", "s1"), report("d", "n1", "s1"), report("e", "n2", "s1")},
			[]string{"appended", "appended", "appended", "network limit", "appended"}, 4},
		{"a request with nothing to append still spends its limits", 100,
			[]redis.IngestRequest{limitOnly("a", "n1"), limitOnly("a", "n1"), report("a", "n1", "s1")},
			[]string{"charged", "charged", "host limit"}, 0},
		{"a full backlog refuses", 1,
			[]redis.IngestRequest{report("a", "n1", "s1"), report("b", "n2", "s1")},
			[]string{"appended", "full"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := newRedis(t)
			a := newAppender(t, rdb, tt.maxBacklog, time.Minute)
			out := make([]redis.IngestResult, len(tt.reqs))
			a.Ingest(testenv.Ctx(t), tt.reqs, out)
			for i, r := range out {
				if got := outcome(r); got != tt.want[i] {
					t.Errorf("request %d: %s, want %s", i, got, tt.want[i])
				}
				if r.LimitErr == nil && r.Limit.Binding().Limit == 0 {
					t.Errorf("request %d: no limit to tell the client", i)
				}
			}
			if n := rdb.XLen(testenv.Ctx(t), testStream).Val(); n != tt.wantLen {
				t.Errorf("stream holds %d, want %d", n, tt.wantLen)
			}
		})
	}
}

// TestIngestLoadsItsScripts: a Redis that lost its scripts (restarted,
// flushed, a new node) gets them again, and no request fails or runs
// twice.
func TestIngestLoadsItsScripts(t *testing.T) {
	rdb := newRedis(t)
	ctx := testenv.Ctx(t)
	a := newAppender(t, rdb, 100, time.Minute)
	for round := range 2 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		reqs := []redis.IngestRequest{
			report(fmt.Sprint("a", round), fmt.Sprint("n", round), "s"),
			report(fmt.Sprint("b", round), fmt.Sprint("m", round), "s"),
		}
		out := make([]redis.IngestResult, len(reqs))
		a.Ingest(ctx, reqs, out)
		for i, r := range out {
			if got := outcome(r); got != "appended" {
				t.Fatalf("round %d, request %d: %s", round, i, got)
			}
		}
	}
	if n := rdb.XLen(ctx, testStream).Val(); n != 4 {
		t.Fatalf("stream holds %d, want 4", n)
	}
}

func TestLimitKeysShareTheirNetworksSlot(t *testing.T) {
	host := redis.HostLimitKey(redis.RateLimitPrefix, "net:abc", "ip:def")
	network := redis.NetworkLimitKey(redis.RateLimitPrefix, "net:abc")
	if !strings.HasPrefix(host, redis.RateLimitPrefix+":{net:abc}") || network != redis.RateLimitPrefix+":{net:abc}" {
		t.Fatalf("keys %q and %q do not share the network's hash tag", host, network)
	}
}

// TestIngestOnACluster: on a 3-master cluster, one batch of requests from
// many networks for many services, over three streams, is answered in
// full: no key crosses a slot.
func TestIngestOnACluster(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cl, err := testenv.StartRedisCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb, err := redis.Open(ctx, config.Common{RedisAddr: cl.Addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, ok := rdb.(*goredis.ClusterClient); !ok {
		t.Fatalf("client is a %T", rdb)
	}
	streams := []string{"test:r0", "test:r1", "test:r2"}
	a, err := redis.NewAppender(rdb, redis.AppenderConfig{Streams: streams, Field: "r", MaxBacklog: 1000, Window: time.Minute, NetCap: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []redis.IngestRequest
	for i := range 60 {
		reqs = append(reqs, report(fmt.Sprint("h", i), fmt.Sprint("n", i), fmt.Sprint("svc", i%7)))
	}
	reqs = append(reqs, reqs[0]) // a repeat
	out := make([]redis.IngestResult, len(reqs))
	a.Ingest(ctx, reqs, out)
	for i, r := range out {
		want := "appended"
		if i == len(reqs)-1 {
			want = "duplicate"
		}
		if got := outcome(r); got != want {
			t.Errorf("request %d: %s, want %s", i, got, want)
		}
	}
	var n int64
	for _, st := range streams {
		n += rdb.XLen(ctx, st).Val()
	}
	if n != 60 {
		t.Fatalf("streams hold %d, want 60", n)
	}
}
