package ratelimit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/lapor/lapor/services/ingest/internal/ratelimit"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/rate"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }

func TestKeys(t *testing.T) {
	tests := []struct {
		addr    string
		wantIP  string
		wantNet string
	}{
		{"203.0.113.7", "ip:203.0.113.7/32", "net:203.0.113.0/24"},
		{"203.0.113.250", "ip:203.0.113.250/32", "net:203.0.113.0/24"},
		{"::ffff:203.0.113.7", "ip:203.0.113.7/32", "net:203.0.113.0/24"},
		{"2001:db8:1:2:aaaa::1", "ip:2001:db8:1:2::/64", "net:2001:db8:1::/48"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "ip:2001:db8:1:2::/64", "net:2001:db8:1::/48"},
		{"2001:db8:1:3::1", "ip:2001:db8:1:3::/64", "net:2001:db8:1::/48"},
		{"2001:db8:2::1", "ip:2001:db8:2::/64", "net:2001:db8:2::/48"},
		{"fe80::1%eth0", "ip:fe80::/64", "net:fe80::/48"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if got := ratelimit.IPKey(a); got != tt.wantIP {
				t.Errorf("IPKey = %q, want %q", got, tt.wantIP)
			}
			if got := ratelimit.NetKey(a); got != tt.wantNet {
				t.Errorf("NetKey = %q, want %q", got, tt.wantNet)
			}
		})
	}
	if got := ratelimit.IPKey(netip.Addr{}); got != "ip:invalid" {
		t.Errorf("IPKey(zero) = %q", got)
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		headers map[string]string
		want    string
	}{
		{"remote address", nil, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"IPv6 remote address", nil, "[2001:db8::1]:5555", nil, "2001:db8::1"},
		{"X-Forwarded-For ignored without trusted proxies", nil, "203.0.113.7:5555",
			map[string]string{"X-Forwarded-For": "198.51.100.1"}, "203.0.113.7"},
		{"X-Real-IP ignored without trusted proxies", nil, "203.0.113.7:5555",
			map[string]string{"X-Real-IP": "198.51.100.1"}, "203.0.113.7"},
		{"X-Forwarded-For ignored from an untrusted peer", []string{"10.0.0.0/8"}, "203.0.113.7:5555",
			map[string]string{"X-Forwarded-For": "198.51.100.1"}, "203.0.113.7"},
		{"X-Forwarded-For honoured from a trusted proxy", []string{"10.0.0.0/8"}, "10.1.2.3:5555",
			map[string]string{"X-Forwarded-For": "198.51.100.1"}, "198.51.100.1"},
		{"spoofed hop left of the real client is not believed", []string{"10.0.0.0/8"}, "10.1.2.3:5555",
			map[string]string{"X-Forwarded-For": "192.0.2.66, 198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy without header", []string{"10.0.0.0/8"}, "10.1.2.3:5555", nil, "10.1.2.3"},
		{"unparsable remote address", nil, "garbage", nil, "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := httpapi.NewEngine(logging.Discard(), tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, ratelimit.ClientAddr(c).String()) })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remote
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if got := w.Body.String(); got != tt.want {
				t.Fatalf("client address %q, want %q", got, tt.want)
			}
		})
	}
}

func newEngine(t *testing.T, rdb *redis.Client, ipRate, netRate string) http.Handler {
	t.Helper()
	store, err := redisstore.NewStoreWithOptions(rdb, limiter.StoreOptions{Prefix: "test:rl"})
	if err != nil {
		t.Fatal(err)
	}
	ip, err := rate.Parse(ipRate)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := rate.Parse(netRate)
	if err != nil {
		t.Fatal(err)
	}
	r, err := httpapi.NewEngine(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.GET("/", ratelimit.New(store, ip, nt, logging.Discard()).Middleware(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
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
			h := newEngine(t, env.RedisClient(t), tt.ipRate, tt.netRate)
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
