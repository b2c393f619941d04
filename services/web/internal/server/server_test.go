package server_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/lapor/lapor/services/web/internal/server"
	"github.com/lapor/lapor/services/web/internal/webtest"
)

func TestMain(m *testing.M) { os.Exit(webtest.Main(m)) }

func TestHealth(t *testing.T) {
	f := webtest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if rec := f.Get(t, path); rec.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
	}
}

// An unknown path answers the JSON error shape.
func TestUnknownPath(t *testing.T) {
	f := webtest.New(t)
	rec := httptest.NewRecorder()
	f.H.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/nothing", nil))
	if e := webtest.DecodeError(t, rec.Body.Bytes()); rec.Code != http.StatusNotFound || e.Code != "not_found" {
		t.Errorf("status %d error %+v", rec.Code, e)
	}
}

func TestIsAPIPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api": true, "/api/v1/x": true, "/v1": true, "/v1/docs": true, "/healthz": true, "/readyz/x": true,
		"/": false, "/apis": false, "/v1x": false, "/incidents": false, "/services/api": false,
	} {
		if got := server.IsAPIPath(p); got != want {
			t.Errorf("isAPIPath(%q) = %v, want %v", p, got, want)
		}
	}
}
