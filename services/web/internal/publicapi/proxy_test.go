package publicapi_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/forward"
)

// ingestStandIn answers like ingest and records what it was sent.
type ingestStandIn struct {
	srv                      *httptest.Server
	method, path, body, xff  string
	contentType, realIP, fwd string
	header                   http.Header // everything ingest was sent
}

func newIngestStandIn(t *testing.T, status int, answer string) *ingestStandIn {
	t.Helper()
	in := &ingestStandIn{}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		in.method, in.path, in.body = r.Method, r.URL.Path, string(b)
		in.xff, in.contentType = r.Header.Get("X-Forwarded-For"), r.Header.Get("Content-Type")
		in.realIP, in.fwd = r.Header.Get("X-Real-Ip"), r.Header.Get("Forwarded")
		in.header = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

func withIngest(u string, trusted ...string) func(*Options) {
	return func(o *Options) {
		o.IngestURL, _ = url.Parse(u)
		o.TrustedProxies = trusted
	}
}

func postReport(remote string, headers map[string]string, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

func TestReportProxy(t *testing.T) {
	const body = `{"service":"whatsapp","symptom":"messages","platform":"web"}`
	tests := []struct {
		name      string
		status    int
		answer    string
		trusted   []string
		remote    string
		headers   map[string]string
		wantXFF   string
		wantRetry bool
	}{
		{
			name: "counted", status: http.StatusAccepted, answer: `{"id":"r-1","counted":true}`,
			remote: "198.51.100.7:5555", wantXFF: "198.51.100.7",
		},
		{
			name: "repeat", status: http.StatusOK, answer: `{"id":"","counted":false}`,
			remote: "198.51.100.7:5555", wantXFF: "198.51.100.7",
		},
		{
			name: "spoofed headers from an untrusted client are replaced", status: http.StatusAccepted, answer: `{"id":"r-2","counted":true}`,
			remote:  "198.51.100.7:5555",
			headers: map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Real-Ip": "6.6.6.6", "Forwarded": "for=6.6.6.6"},
			wantXFF: "198.51.100.7",
		},
		{
			name: "client behind a trusted proxy", status: http.StatusAccepted, answer: `{"id":"r-3","counted":true}`,
			trusted: []string{"10.0.0.0/8"}, remote: "10.1.2.3:5555",
			headers: map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
			wantXFF: "203.0.113.9",
		},
		{
			name: "ingest refuses", status: http.StatusUnprocessableEntity,
			answer: `{"error":{"code":"unknown_symptom","message":"not an indicator of whatsapp","field":"symptom"}}`,
			remote: "198.51.100.7:5555", wantXFF: "198.51.100.7",
		},
		{
			name: "ingest rate limits", status: http.StatusTooManyRequests,
			answer: `{"error":{"code":"rate_limited","message":"slow down"}}`,
			remote: "198.51.100.7:5555", wantXFF: "198.51.100.7", wantRetry: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ingest := newIngestStandIn(t, tc.status, tc.answer)
			f := newFixture(t, withIngest(ingest.srv.URL, tc.trusted...))
			rec := do(t, f.h, postReport(tc.remote, tc.headers, body))
			if rec.Code != tc.status || rec.Body.String() != tc.answer {
				t.Errorf("answer %d %s, want ingest's %d %s", rec.Code, rec.Body, tc.status, tc.answer)
			}
			if ingest.method != http.MethodPost || ingest.path != "/api/v1/reports" || ingest.body != body || ingest.contentType != "application/json" {
				t.Errorf("ingest got %s %s %q (%s)", ingest.method, ingest.path, ingest.body, ingest.contentType)
			}
			if ingest.xff != tc.wantXFF || ingest.realIP != "" || ingest.fwd != "" {
				t.Errorf("ingest got X-Forwarded-For %q X-Real-Ip %q Forwarded %q, want X-Forwarded-For %q only",
					ingest.xff, ingest.realIP, ingest.fwd, tc.wantXFF)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != tc.wantRetry {
				t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
		})
	}
}

// testForwardSecret is the secret the web and the ingest stand-in share.
const testForwardSecret = "proxy-test-forward-secret"

func withForward(t *testing.T, secret string) func(*Options) {
	t.Helper()
	s, err := forward.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return func(o *Options) { o.Forward = s }
}

// TestReportProxySignsClientAddr checks what an ingest holding the forward
// secret learns: the address the web resolved, signed, and never a signed
// address a client made up or replayed.
func TestReportProxySignsClientAddr(t *testing.T) {
	ingestSide, err := forward.New(testForwardSecret)
	if err != nil {
		t.Fatal(err)
	}
	// A signature that verifies, as a client could have captured it from
	// the web's own traffic or made with a leaked secret.
	stolen := http.Header{}
	ingestSide.Set(stolen, netip.MustParseAddr("6.6.6.6"))
	spoofed := map[string]string{
		forward.AddrHeader: stolen.Get(forward.AddrHeader),
		forward.SigHeader:  stolen.Get(forward.SigHeader),
		"X-Forwarded-For":  "6.6.6.6",
	}
	tests := []struct {
		name     string
		secret   string // the web's; empty signs nothing
		trusted  []string
		remote   string
		headers  map[string]string
		wantAddr string // what ingest believes; empty for nothing signed
	}{
		{name: "direct client", secret: testForwardSecret, remote: "198.51.100.7:5555", wantAddr: "198.51.100.7"},
		{name: "IPv6 client", secret: testForwardSecret, remote: "[2001:db8::7]:5555", wantAddr: "2001:db8::7"},
		{
			name: "client behind a trusted proxy", secret: testForwardSecret,
			trusted: []string{"192.0.2.10/32"}, remote: "192.0.2.10:5555",
			headers:  map[string]string{"X-Forwarded-For": "203.0.113.9"},
			wantAddr: "203.0.113.9",
		},
		{
			name: "client-sent signature is replaced", secret: testForwardSecret,
			remote: "198.51.100.7:5555", headers: spoofed, wantAddr: "198.51.100.7",
		},
		{
			name:   "client-sent signature is stripped without a secret",
			remote: "198.51.100.7:5555", headers: spoofed,
		},
		{name: "no secret signs nothing", remote: "198.51.100.7:5555"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ingest := newIngestStandIn(t, http.StatusAccepted, `{"id":"r-1","counted":true}`)
			opts := []func(*Options){withIngest(ingest.srv.URL, tc.trusted...)}
			if tc.secret != "" {
				opts = append(opts, withForward(t, tc.secret))
			}
			f := newFixture(t, opts...)
			rec := do(t, f.h, postReport(tc.remote, tc.headers, `{"service":"whatsapp","symptom":"app"}`))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			addr, ok := ingestSide.Addr(ingest.header)
			switch {
			case tc.wantAddr == "" && (ingest.header.Get(forward.AddrHeader) != "" || ingest.header.Get(forward.SigHeader) != ""):
				t.Errorf("ingest got %s %q and %s %q, want neither", forward.AddrHeader, ingest.header.Get(forward.AddrHeader),
					forward.SigHeader, ingest.header.Get(forward.SigHeader))
			case tc.wantAddr != "" && (!ok || addr.String() != tc.wantAddr):
				t.Errorf("ingest believes %v (verified %v), want %s", addr, ok, tc.wantAddr)
			}
			// Ingests without the secret still read X-Forwarded-For.
			if want := tc.wantAddr; want != "" && ingest.xff != want {
				t.Errorf("X-Forwarded-For %q, want %q", ingest.xff, want)
			}
		})
	}
}

func TestReportProxyIngestDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	f := newFixture(t, withIngest("http://"+addr))
	rec := do(t, f.h, postReport("198.51.100.7:5555", nil, `{"service":"whatsapp","symptom":"app"}`))
	if e := decodeError(t, rec.Body.Bytes()); rec.Code != http.StatusServiceUnavailable || e.Code != "unavailable" {
		t.Errorf("status %d error %+v, want 503 unavailable", rec.Code, e)
	}
	if rec.Header().Get("Retry-After") == "" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("headers %v, want JSON with Retry-After", rec.Header())
	}
}
