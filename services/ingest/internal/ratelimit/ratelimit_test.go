package ratelimit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/lapor/lapor/services/ingest/internal/clientaddr"
	"github.com/lapor/lapor/services/ingest/internal/ratelimit"
	"github.com/lapor/lapor/services/ingest/internal/reporter"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/rate"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }

func TestKeys(t *testing.T) {
	k, err := reporter.New([]byte("test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		a, b            string
		sameIP, sameNet bool
	}{
		{"203.0.113.7", "203.0.113.7", true, true},
		{"203.0.113.7", "::ffff:203.0.113.7", true, true},
		{"203.0.113.7", "203.0.113.250", false, true},
		{"203.0.113.7", "203.0.114.7", false, false},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true, true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false, true},
		{"2001:db8:1:2::1", "2001:db8:2:2::1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			a, b := netip.MustParseAddr(tt.a), netip.MustParseAddr(tt.b)
			ipA, ipB := ratelimit.IPKey(k, at, a), ratelimit.IPKey(k, at, b)
			netA, netB := ratelimit.NetKey(k, at, a), ratelimit.NetKey(k, at, b)
			if (ipA == ipB) != tt.sameIP {
				t.Errorf("IPKey %q vs %q: same=%v, want %v", ipA, ipB, ipA == ipB, tt.sameIP)
			}
			if (netA == netB) != tt.sameNet {
				t.Errorf("NetKey %q vs %q: same=%v, want %v", netA, netB, netA == netB, tt.sameNet)
			}
			if !strings.HasPrefix(ipA, "ip:") || !strings.HasPrefix(netA, "net:") || ipA[3:] == netA[4:] {
				t.Errorf("keys %q, %q", ipA, netA)
			}
			// The store must never hold an address or a prefix.
			for _, key := range []string{ipA, netA} {
				if strings.ContainsAny(key[strings.Index(key, ":")+1:], ".:/") {
					t.Errorf("key %q holds an address", key)
				}
			}
		})
	}
}

// newEngine answers 204 to a request its limits allow, as the ingest
// does: the limits charged through redis.Appender.Ingest, with no report.
func newEngine(t *testing.T, rdb *goredis.Client, ipRate, netRate string) http.Handler {
	t.Helper()
	ip, err := rate.Parse(ipRate)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := rate.Parse(netRate)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := reporter.New([]byte("test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := redis.NewAppender(rdb, redis.AppenderConfig{Streams: []string{"test:reports"}, Field: "r", MaxBacklog: 10, Window: time.Minute, NetCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	limits := ratelimit.New(ip, nt, keys, logging.Discard())
	r, err := httpapi.NewEngine(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Use(clientaddr.Middleware(nil))
	r.GET("/", func(c *gin.Context) {
		out := make([]redis.IngestResult, 1)
		app.Ingest(c.Request.Context(), []redis.IngestRequest{{Limit: limits.Check(clientaddr.From(c))}}, out)
		if out[0].LimitErr != nil {
			limits.Unavailable(c, out[0].LimitErr)
			return
		}
		if limits.Allow(c, out[0].Limit) {
			c.Status(http.StatusNoContent)
		}
	})
	return r
}

func get(h http.Handler, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestMiddleware(t *testing.T) {
	type call struct {
		remote string
		want   int
	}
	tests := []struct {
		name    string
		ipRate  string
		netRate string
		calls   []call
	}{
		{"per address", "2-M", "100-M", []call{
			{"203.0.113.1:1", 204}, {"203.0.113.1:2", 204}, {"203.0.113.1:3", 429},
			{"203.0.113.2:1", 204}, // neighbour unaffected
		}},
		{"IPv6 /64 is one client", "2-M", "100-M", []call{
			{"[2001:db8:1:2::1]:1", 204}, {"[2001:db8:1:2::ffff]:1", 204}, {"[2001:db8:1:2:abcd::9]:1", 429},
			{"[2001:db8:1:3::1]:1", 204}, // next /64
		}},
		{"per IPv4 /24", "100-M", "3-M", []call{
			{"203.0.113.1:1", 204}, {"203.0.113.2:1", 204}, {"203.0.113.3:1", 204}, {"203.0.113.4:1", 429},
			{"203.0.114.1:1", 204}, // next /24
		}},
		{"per IPv6 /48", "100-M", "2-M", []call{
			{"[2001:db8:1:1::1]:1", 204}, {"[2001:db8:1:2::1]:1", 204}, {"[2001:db8:1:ffff::1]:1", 429},
			{"[2001:db8:2::1]:1", 204},
		}},
		{"an address over its own limit does not use up its network", "1-M", "3-M", []call{
			{"203.0.113.1:1", 204}, {"203.0.113.1:1", 429}, {"203.0.113.1:1", 429}, {"203.0.113.1:1", 429},
			{"203.0.113.2:1", 204}, {"203.0.113.3:1", 204}, {"203.0.113.4:1", 429},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := env.RedisClient(t)
			h := newEngine(t, rdb, tt.ipRate, tt.netRate)
			for i, c := range tt.calls {
				w := get(h, c.remote)
				if w.Code != c.want {
					t.Fatalf("call %d from %s: status %d, want %d; body %s", i, c.remote, w.Code, c.want, w.Body)
				}
				for _, hdr := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
					if w.Header().Get(hdr) == "" {
						t.Errorf("call %d: no %s header", i, hdr)
					}
				}
				if c.want == 429 {
					assertRetry(t, w, "rate_limited", 60)
				}
			}
			keys, err := rdb.Keys(testenv.Ctx(t), "*").Result()
			if err != nil || len(keys) == 0 {
				t.Fatalf("limiter keys %v: %v", keys, err)
			}
			for _, k := range keys {
				if strings.Contains(k, "203.0.11") || strings.Contains(k, "2001:db8") {
					t.Errorf("limiter key %q holds an address", k)
				}
			}
		})
	}
}

func TestMiddlewareStoreDown(t *testing.T) {
	testenv.Need(t, env)
	r, rdb := testenv.OwnRedis(t)
	h := newEngine(t, rdb, "10-M", "10-M")
	if w := get(h, "203.0.113.1:1"); w.Code != 204 {
		t.Fatalf("with Redis up: %d", w.Code)
	}
	r.Kill()
	w := get(h, "203.0.113.1:1")
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("with Redis down: %d %s", w.Code, w.Body)
	}
	assertRetry(t, w, "unavailable", 60)
}

func assertRetry(t *testing.T, w *httptest.ResponseRecorder, code string, maxSecs int) {
	t.Helper()
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 || secs > maxSecs {
		t.Errorf("Retry-After %q, want 1..%d seconds", w.Header().Get("Retry-After"), maxSecs)
	}
	var body httpapi.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if body.Error.Code != code {
		t.Errorf("error code %q, want %q", body.Error.Code, code)
	}
}

// TestSameAnswersAsTheLimiter sends the same requests through ulule/limiter
// with its own Redis store, as the ingest once did (the client's limit,
// then, unless over it, its network's), and through Limits over
// redis.Appender.Ingest, and checks that both answer alike: the same
// limit, remaining and reached for the client and its network, and resets
// within a second of each other.
func TestSameAnswersAsTheLimiter(t *testing.T) {
	rdb := env.RedisClient(t)
	ctx := testenv.Ctx(t)
	ipRate, netRate := limiter.Rate{Period: time.Minute, Limit: 3}, limiter.Rate{Period: time.Minute, Limit: 5}
	keys, err := reporter.New([]byte("test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := redisstore.NewStoreWithOptions(rdb, limiter.StoreOptions{Prefix: "test:ulule"})
	if err != nil {
		t.Fatal(err)
	}
	ipLim, netLim := limiter.New(store, ipRate), limiter.New(store, netRate)
	app, err := redis.NewAppender(rdb, redis.AppenderConfig{Streams: []string{"test:reports"}, Field: "r", MaxBacklog: 10, Window: time.Minute, NetCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	limits := ratelimit.New(ipRate, netRate, keys, logging.Discard())
	same := func(a, b limiter.Context) bool {
		d := a.Reset - b.Reset
		return a.Limit == b.Limit && a.Remaining == b.Remaining && a.Reached == b.Reached && d >= -1 && d <= 1
	}
	for i, s := range []string{
		"203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.1",
		"203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.1", "198.51.100.1",
	} {
		addr := netip.MustParseAddr(s)
		now := time.Now()
		wantIP, err := ipLim.Get(ctx, ratelimit.IPKey(keys, now, addr))
		if err != nil {
			t.Fatal(err)
		}
		var wantNet limiter.Context
		if !wantIP.Reached {
			if wantNet, err = netLim.Get(ctx, ratelimit.NetKey(keys, now, addr)); err != nil {
				t.Fatal(err)
			}
		}
		out := make([]redis.IngestResult, 1)
		app.Ingest(ctx, []redis.IngestRequest{{Limit: limits.Check(addr)}}, out)
		if out[0].LimitErr != nil {
			t.Fatal(out[0].LimitErr)
		}
		if got := out[0].Limit; !same(got.Host, wantIP) || !same(got.Network, wantNet) {
			t.Fatalf("request %d from %s: client %+v network %+v, the limiter says %+v and %+v", i, s, got.Host, got.Network, wantIP, wantNet)
		}
	}
}
