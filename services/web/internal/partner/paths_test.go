package partner_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Wrong paths and methods under /v1 are answered in the error shape, never
// with a redirect or the pages' HTML: partners' clients parse the JSON.
func TestWrongPathsAnswerJSON(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/v1/nothing", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/v1/alerts/", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/v1/feeds/incidents.atom/", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/v1/services/whatsapp/stats/", http.StatusNotFound, "not_found"},
		{http.MethodGet, "/v1/webhooks/", http.StatusNotFound, "not_found"},
		{http.MethodPost, "/v1/alerts", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodPut, "/v1/services/whatsapp/stats", http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	// No contract check and no redirects followed: these paths are not in
	// the contract, and a redirect is what must not happen.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(f.ctx, tt.method, f.srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (Location %q): %s", resp.StatusCode, tt.status, resp.Header.Get("Location"), body)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || errorCode(t, body) != tt.code {
				t.Errorf("Content-Type %q body %s, want JSON with code %s", resp.Header.Get("Content-Type"), body, tt.code)
			}
		})
	}
}
