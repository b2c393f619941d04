package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/logging"
)

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		handler    gin.HandlerFunc
		status     int
		code       string
		retryAfter string
	}{
		{"abort", func(c *gin.Context) { Abort(c, http.StatusBadRequest, "invalid_parameter", "bad", "q") }, 400, "invalid_parameter", ""},
		{"retry rounds up to a second", func(c *gin.Context) {
			AbortRetry(c, http.StatusTooManyRequests, 200*time.Millisecond, "rate_limited", "slow down")
		}, 429, "rate_limited", "1"},
		{"unavailable", func(c *gin.Context) {
			Unavailable(c, logging.Discard(), 5*time.Second, "read things", errors.New("dial tcp 10.0.0.1:9000: refused"))
		}, 503, "unavailable", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewEngine(logging.Discard(), nil)
			if err != nil {
				t.Fatal(err)
			}
			r.GET("/", tt.handler)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("error %+v, want code %q with a message", body.Error, tt.code)
			}
			if tt.code == "unavailable" && strings.Contains(w.Body.String(), "10.0.0.1") {
				t.Errorf("the answer leaks the dependency's address: %s", w.Body.String())
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		query  string
		want   int
		status int
	}{
		{"", 20, 200},
		{"?limit=1", 1, 200},
		{"?limit=100", 100, 200},
		{"?limit=0", 0, 400},
		{"?limit=101", 0, 400},
		{"?limit=-3", 0, 400},
		{"?limit=ten", 0, 400},
		{"?limit=2.5", 0, 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r, err := NewEngine(logging.Discard(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := -1
			r.GET("/", func(c *gin.Context) {
				n, ok := Limit(c, 20, 100)
				if ok {
					got = n
					c.Status(http.StatusOK)
				}
			})
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/"+tt.query, nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 200 && got != tt.want {
				t.Fatalf("limit %d, want %d", got, tt.want)
			}
			if tt.status == 400 && (got != -1 || !strings.Contains(w.Body.String(), `"field":"limit"`)) {
				t.Fatalf("a bad limit reached the handler (%d) or did not name the field: %s", got, w.Body)
			}
		})
	}
}

// Every service's engine answers a wrong path or method in the error shape,
// and never with a redirect: ingest's API and the health servers of the
// worker and the detector (HealthOnly) alike.
func TestEngineAnswersWrongPathsWithJSON(t *testing.T) {
	ready := func(context.Context) error { return nil }
	engines := map[string]func(t *testing.T) http.Handler{
		"NewEngine": func(t *testing.T) http.Handler {
			r, err := NewEngine(logging.Discard(), nil)
			if err != nil {
				t.Fatal(err)
			}
			Health(r, logging.Discard(), ready, nil)
			r.POST("/v1/reports", func(c *gin.Context) { c.Status(http.StatusAccepted) })
			return r
		},
		"HealthOnly": func(t *testing.T) http.Handler {
			h, err := HealthOnly(logging.Discard(), ready, nil)
			if err != nil {
				t.Fatal(err)
			}
			return h
		},
	}
	tests := []struct {
		method, target string
		status         int
		code           string
	}{
		{http.MethodGet, "/nothing", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/healthz/", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/HEALTHZ", http.StatusNotFound, "not_found"},
		{http.MethodGet, "//healthz", http.StatusNotFound, "not_found"},
		{http.MethodPost, "/v1/reports/", http.StatusNotFound, "not_found"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodGet, "/healthz", http.StatusOK, ""},
	}
	for name, build := range engines {
		h := build(t)
		for _, tt := range tests {
			t.Run(name+" "+tt.method+" "+tt.target, func(t *testing.T) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), tt.method, tt.target, nil))
				if w.Code != tt.status || w.Header().Get("Location") != "" {
					t.Fatalf("status %d Location %q, want %d and no redirect: %s", w.Code, w.Header().Get("Location"), tt.status, w.Body)
				}
				if tt.code == "" {
					return
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want JSON", ct)
				}
				var body ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tt.code || body.Error.Message == "" {
					t.Errorf("body %q (%v), want error code %q with a message", w.Body, err, tt.code)
				}
			})
		}
	}
}

// TestHealthzFailsWhenTheLoopStalls checks that /healthz follows the
// main loop's heartbeat, and /readyz the dependencies, separately.
func TestHealthzFailsWhenTheLoopStalls(t *testing.T) {
	beat := NewHeartbeat()
	limit := time.Hour
	h, err := HealthOnly(logging.Discard(), func(context.Context) error { return nil }, func() error { return beat.Check(limit) })
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code
	}
	if got := get("/healthz"); got != http.StatusOK {
		t.Fatalf("fresh heartbeat: /healthz %d", got)
	}
	limit = 0 // every beat is now too old
	time.Sleep(time.Millisecond)
	if got := get("/healthz"); got != http.StatusServiceUnavailable {
		t.Errorf("stalled loop: /healthz %d, want 503", got)
	}
	if got := get("/readyz"); got != http.StatusOK {
		t.Errorf("stalled loop: /readyz %d, want 200 (readiness is the dependencies')", got)
	}
	limit = time.Hour
	beat.Beat()
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("after a beat: /healthz %d", got)
	}
}
