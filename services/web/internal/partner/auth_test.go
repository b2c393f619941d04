package partner_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/web/internal/partner"
)

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Code
}

func TestAuthAnswers(t *testing.T) {
	f := newFixture(t)
	alerts := f.key("100-M", partner.ScopeAlerts)
	series := f.key("100-M", partner.ScopeSeries)
	_, secret, _ := partner.ParseKey(alerts)
	id, _, _ := partner.ParseKey(series)
	tests := []struct {
		name       string
		path, key  string
		status     int
		code       string
		rateHeader bool
	}{
		{"no key", "/v1/alerts", "", http.StatusUnauthorized, "unauthorized", false},
		{"malformed key", "/v1/alerts", "lapor_xyz", http.StatusUnauthorized, "unauthorized", false},
		{"unknown key", "/v1/alerts", "lapor_0123456789abcdef_" + secret, http.StatusUnauthorized, "unauthorized", false},
		{"wrong secret", "/v1/alerts", "lapor_" + id + "_" + secret, http.StatusUnauthorized, "unauthorized", false},
		{"wrong scope", "/v1/alerts", series, http.StatusForbidden, "forbidden", true},
		{"wrong scope for stats", "/v1/services/whatsapp/stats", alerts, http.StatusForbidden, "forbidden", true},
		{"right scope", "/v1/alerts", alerts, http.StatusOK, "", true},
		{"right scope for stats", "/v1/services/whatsapp/stats", series, http.StatusOK, "", true},
		{"feeds need no key", "/v1/feeds/incidents.atom", "", http.StatusOK, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.get(tt.path, tt.key)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" && errorCode(t, body) != tt.code {
				t.Errorf("body %s, want code %s", body, tt.code)
			}
			if tt.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if got := resp.Header.Get("X-RateLimit-Limit") != ""; got != tt.rateHeader {
				t.Errorf("X-RateLimit-Limit present = %v, want %v", got, tt.rateHeader)
			}
		})
	}
}

func TestQuotaRefusesWithRetryAfter(t *testing.T) {
	f := newFixture(t)
	key := f.key("3-M", partner.ScopeAlerts)
	for i := 1; i <= 3; i++ {
		resp, body := f.get("/v1/alerts", key)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(3-i) {
			t.Errorf("request %d: X-RateLimit-Remaining %s, want %d", i, got, 3-i)
		}
		if resp.Header.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("X-RateLimit-Limit %q", resp.Header.Get("X-RateLimit-Limit"))
		}
		reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || reset < time.Now().Unix() || reset > time.Now().Add(61*time.Second).Unix() {
			t.Errorf("X-RateLimit-Reset %q", resp.Header.Get("X-RateLimit-Reset"))
		}
	}
	resp, body := f.get("/v1/alerts", key)
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, body) != "rate_limited" {
		t.Fatalf("4th request: status %d: %s", resp.StatusCode, body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// Another key has its own quota.
	if resp, _ := f.get("/v1/alerts", f.key("3-M", partner.ScopeAlerts)); resp.StatusCode != http.StatusOK {
		t.Errorf("another key: status %d", resp.StatusCode)
	}
}

func TestRevokedKeyStopsWorking(t *testing.T) {
	f := newFixture(t)
	key := f.key("100-M", partner.ScopeAlerts)
	id, _, _ := partner.ParseKey(key)
	if resp, _ := f.get("/v1/alerts", key); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d before revoking", resp.StatusCode)
	}
	if _, err := f.keys.Revoke(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(keyTTL + 50*time.Millisecond)
	resp, body := f.get("/v1/alerts", key)
	if resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != "unauthorized" {
		t.Errorf("revoked key: status %d: %s", resp.StatusCode, body)
	}
}

func TestRedisDownAnswers503(t *testing.T) {
	f := newFixture(t)
	key := f.key("100-M", partner.ScopeAlerts)
	// The limiter's store failing must not let requests through unmetered,
	// nor crash the handler.
	f.rdb.Close()
	resp, body := f.get("/v1/alerts", key)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || errorCode(t, body) != "unavailable" {
		t.Errorf("status %d Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// countingKeys is the real key store, counting the queries Auth makes.
type countingKeys struct {
	*partner.Keys
	queries atomic.Int64
}

func (c *countingKeys) List(ctx context.Context) ([]partner.Key, error) {
	c.queries.Add(1)
	return c.Keys.List(ctx)
}

func (c *countingKeys) Get(ctx context.Context, id string) (partner.Key, error) {
	c.queries.Add(1)
	return c.Keys.Get(ctx, id)
}

// authServer is Require(alerts:read) alone in front of a 204, behind a
// trusted proxy so that each request can come from the address it names.
type authServer struct {
	t    *testing.T
	h    http.Handler
	keys *countingKeys
}

func newAuthServer(t *testing.T, f *fixture, ttl time.Duration) *authServer {
	t.Helper()
	store, err := redisstore.NewStoreWithOptions(f.rdb, limiter.StoreOptions{Prefix: "test:auth:" + t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	keys := &countingKeys{Keys: f.keys}
	auth := partner.NewAuth(keys, store, logging.Discard(), ttl)
	r, err := httpapi.NewEngine(logging.Discard(), []string{"192.0.2.1"}) // httptest's RemoteAddr
	if err != nil {
		t.Fatal(err)
	}
	r.GET("/x", auth.Require(partner.ScopeAlerts), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	return &authServer{t: t, h: r, keys: keys}
}

// get asks with key from the client address addr.
func (s *authServer) get(key, addr string) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/x", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Forwarded-For", addr)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func randomKey(t *testing.T) string {
	t.Helper()
	var b [40]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "lapor_" + hex.EncodeToString(b[:8]) + "_" + hex.EncodeToString(b[8:])
}

// Made-up key ids, from as many addresses as there are requests (so that
// no per-address limit helps), cost ClickHouse a bounded number of queries.
func TestUnknownKeyIDsCostBoundedQueries(t *testing.T) {
	f := newFixture(t)
	key := f.key("100000-M", partner.ScopeAlerts)

	t.Run("a flood of made-up ids", func(t *testing.T) {
		s := newAuthServer(t, f, time.Minute)
		if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent {
			t.Fatalf("good key: status %d: %s", rec.Code, rec.Body)
		}
		const n = 500
		for i := range n {
			addr := fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
			if rec := s.get(randomKey(t), addr); rec.Code != http.StatusUnauthorized {
				t.Fatalf("request %d with a made-up key: status %d: %s", i, rec.Code, rec.Body)
			}
		}
		if got := s.keys.queries.Load(); got > 1+partner.MissLookups {
			t.Errorf("%d requests with made-up keys made %d ClickHouse queries, want at most %d", n, got, 1+partner.MissLookups)
		}
		// The good key is still answered from memory.
		before := s.keys.queries.Load()
		if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent || s.keys.queries.Load() != before {
			t.Errorf("good key after the flood: status %d, %d more queries", rec.Code, s.keys.queries.Load()-before)
		}
	})

	t.Run("the same bad id again", func(t *testing.T) {
		s := newAuthServer(t, f, time.Minute)
		bad := randomKey(t)
		for i := range 50 {
			if rec := s.get(bad, fmt.Sprintf("10.1.0.%d", i)); rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d", rec.Code)
			}
		}
		if got := s.keys.queries.Load(); got != 2 {
			t.Errorf("one id asked 50 times made %d queries, want 2 (every key, then that id once)", got)
		}
	})

	t.Run("a key created after the keys were read works at once", func(t *testing.T) {
		s := newAuthServer(t, f, time.Minute)
		if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
		fresh := f.key("100-M", partner.ScopeAlerts)
		if rec := s.get(fresh, "198.51.100.1"); rec.Code != http.StatusNoContent {
			t.Fatalf("new key: status %d: %s", rec.Code, rec.Body)
		}
		if got := s.keys.queries.Load(); got != 2 {
			t.Errorf("%d queries, want 2", got)
		}
	})

	t.Run("many keys created at once all work at once", func(t *testing.T) {
		s := newAuthServer(t, f, time.Minute)
		if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
		for i := range 3 * partner.MissLookups {
			fresh := f.key("100-M", partner.ScopeAlerts)
			if rec := s.get(fresh, "198.51.100.1"); rec.Code != http.StatusNoContent {
				t.Fatalf("new key %d of %d: status %d: %s", i+1, 3*partner.MissLookups, rec.Code, rec.Body)
			}
		}
	})

	t.Run("keys are read again after the ttl", func(t *testing.T) {
		s := newAuthServer(t, f, 100*time.Millisecond)
		for range 3 {
			if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent {
				t.Fatalf("status %d", rec.Code)
			}
		}
		time.Sleep(150 * time.Millisecond)
		if rec := s.get(key, "198.51.100.1"); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
		if got := s.keys.queries.Load(); got != 2 {
			t.Errorf("%d queries, want 2: one per ttl", got)
		}
	})
}

// After 30 failed authentications in a minute an address is refused before
// any key is looked at, its good keys too; other addresses are not.
func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	f := newFixture(t)
	key := f.key("100000-M", partner.ScopeAlerts)
	s := newAuthServer(t, f, time.Minute)
	const limit = 30
	tests := []struct {
		name    string
		addrs   []string // the failing requests come from these, in turn;
		blocked string   // then this address is refused,
		allowed string   // and this one is not
	}{
		{"IPv4", []string{"203.0.113.7"}, "203.0.113.7", "203.0.113.8"},
		{"IPv6 by /64", []string{"2001:db8:1:2::1", "2001:db8:1:2::2"}, "2001:db8:1:2:ffff::3", "2001:db8:1:3::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range limit {
				if rec := s.get(randomKey(t), tt.addrs[i%len(tt.addrs)]); rec.Code != http.StatusUnauthorized {
					t.Fatalf("failure %d: status %d, want 401", i+1, rec.Code)
				}
			}
			rec := s.get(randomKey(t), tt.addrs[0])
			if rec.Code != http.StatusTooManyRequests || errorCode(t, rec.Body.Bytes()) != "rate_limited" {
				t.Fatalf("failure %d: status %d: %s, want 429 rate_limited", limit+1, rec.Code, rec.Body)
			}
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			if rec.Header().Get("X-RateLimit-Remaining") != "0" {
				t.Errorf("X-RateLimit-Remaining %q, want 0", rec.Header().Get("X-RateLimit-Remaining"))
			}
			before := s.keys.queries.Load()
			if rec := s.get(key, tt.blocked); rec.Code != http.StatusTooManyRequests {
				t.Errorf("good key from the blocked address: status %d, want 429", rec.Code)
			}
			if rec := s.get(randomKey(t), tt.blocked); rec.Code != http.StatusTooManyRequests || s.keys.queries.Load() != before {
				t.Errorf("made-up key from the blocked address: status %d, %d queries", rec.Code, s.keys.queries.Load()-before)
			}
			if rec := s.get(key, tt.allowed); rec.Code != http.StatusNoContent {
				t.Errorf("good key from another address: status %d", rec.Code)
			}
			if rec := s.get(randomKey(t), tt.allowed); rec.Code != http.StatusUnauthorized {
				t.Errorf("made-up key from another address: status %d, want 401", rec.Code)
			}
		})
	}
}

// A request refused for its scope does not use up the key's quota, though
// it says where the quota stands.
func TestForbiddenIsFree(t *testing.T) {
	f := newFixture(t)
	key := f.key("3-M", partner.ScopeSeries)
	for i := range 5 {
		resp, body := f.get("/v1/alerts", key)
		if resp.StatusCode != http.StatusForbidden || errorCode(t, body) != "forbidden" {
			t.Fatalf("request %d: status %d: %s", i+1, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-RateLimit-Remaining"); got != "3" {
			t.Errorf("403 %d: X-RateLimit-Remaining %q, want 3 (uncounted)", i+1, got)
		}
	}
	for i := 1; i <= 3; i++ {
		resp, body := f.get("/v1/services/whatsapp/stats", key)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("allowed request %d after five 403s: status %d: %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(3-i) {
			t.Errorf("allowed request %d: X-RateLimit-Remaining %q, want %d", i, got, 3-i)
		}
	}
	if resp, body := f.get("/v1/services/whatsapp/stats", key); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("4th allowed request: status %d: %s, want 429", resp.StatusCode, body)
	}
}
