package partner_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

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
