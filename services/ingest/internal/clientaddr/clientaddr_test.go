package clientaddr_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/ingest/internal/clientaddr"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
)

const secret = "0123456789abcdef-test"

func TestFrom(t *testing.T) {
	signer := mustSigner(t, secret)
	other := mustSigner(t, "another-secret-0123456789")
	signed := func(s *forward.Signer, addr string) http.Header {
		h := http.Header{}
		s.Set(h, netip.MustParseAddr(addr))
		return h
	}
	headers := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tampered := signed(signer, "198.51.100.1")
	tampered.Set(forward.AddrHeader, "198.51.100.2")

	tests := []struct {
		name    string
		trusted []string
		signer  *forward.Signer
		remote  string
		header  http.Header
		want    string
	}{
		{"remote address", nil, nil, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"IPv6 remote address", nil, nil, "[2001:db8::1]:5555", nil, "2001:db8::1"},
		{"IPv4-mapped remote address is IPv4", nil, nil, "[::ffff:203.0.113.7]:5555", nil, "203.0.113.7"},
		{"X-Forwarded-For ignored without trusted proxies", nil, nil, "203.0.113.7:5555",
			headers("X-Forwarded-For", "198.51.100.1"), "203.0.113.7"},
		{"X-Real-IP ignored without trusted proxies", nil, nil, "203.0.113.7:5555",
			headers("X-Real-IP", "198.51.100.1"), "203.0.113.7"},
		{"X-Forwarded-For ignored from an untrusted peer", []string{"10.0.0.0/8"}, nil, "203.0.113.7:5555",
			headers("X-Forwarded-For", "198.51.100.1"), "203.0.113.7"},
		{"X-Forwarded-For honoured from a trusted proxy", []string{"10.0.0.0/8"}, nil, "10.1.2.3:5555",
			headers("X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"spoofed hop left of the real client is not believed", []string{"10.0.0.0/8"}, nil, "10.1.2.3:5555",
			headers("X-Forwarded-For", "192.0.2.66, 198.51.100.1"), "198.51.100.1"},
		{"trusted proxy without header", []string{"10.0.0.0/8"}, nil, "10.1.2.3:5555", nil, "10.1.2.3"},
		{"unparsable remote address", nil, nil, "garbage", nil, "0.0.0.0"},

		{"signed address from an untrusted peer", nil, signer, "10.1.2.3:5555", signed(signer, "198.51.100.1"), "198.51.100.1"},
		{"signed IPv6 address", nil, signer, "10.1.2.3:5555", signed(signer, "2001:db8:1:2::9"), "2001:db8:1:2::9"},
		{"signed address wins over a trusted X-Forwarded-For", []string{"10.0.0.0/8"}, signer, "10.1.2.3:5555",
			func() http.Header {
				h := signed(signer, "198.51.100.1")
				h.Set("X-Forwarded-For", "192.0.2.66")
				return h
			}(), "198.51.100.1"},
		{"signed under another secret falls back to the peer", nil, signer, "203.0.113.7:5555", signed(other, "198.51.100.1"), "203.0.113.7"},
		{"address changed after signing falls back", nil, signer, "203.0.113.7:5555", tampered, "203.0.113.7"},
		{"address without signature falls back", nil, signer, "203.0.113.7:5555",
			headers(forward.AddrHeader, "198.51.100.1"), "203.0.113.7"},
		{"garbage signature falls back", nil, signer, "203.0.113.7:5555",
			headers(forward.AddrHeader, "198.51.100.1", forward.SigHeader, "00"), "203.0.113.7"},
		{"forged signature falls back to a trusted X-Forwarded-For", []string{"10.0.0.0/8"}, signer, "10.1.2.3:5555",
			func() http.Header {
				h := signed(other, "192.0.2.66")
				h.Set("X-Forwarded-For", "198.51.100.1")
				return h
			}(), "198.51.100.1"},
		{"valid signature ignored without a configured secret", nil, nil, "203.0.113.7:5555", signed(signer, "198.51.100.1"), "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := httpapi.NewEngine(logging.Discard(), tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r.Use(clientaddr.Middleware(tt.signer))
			r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, clientaddr.From(c).String()) })
			if got := get(r, tt.remote, tt.header); got != tt.want {
				t.Fatalf("client address %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFromWithoutMiddleware checks the fallback: the peer, as gin resolves
// it, and never a signed address.
func TestFromWithoutMiddleware(t *testing.T) {
	r, err := httpapi.NewEngine(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, clientaddr.From(c).String()) })
	h := http.Header{}
	mustSigner(t, secret).Set(h, netip.MustParseAddr("198.51.100.1"))
	if got := get(r, "203.0.113.7:1", h); got != "203.0.113.7" {
		t.Fatalf("client address %q, want the peer", got)
	}
}

func get(h http.Handler, remote string, header http.Header) string {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = remote
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Body.String()
}

func mustSigner(t *testing.T, secret string) *forward.Signer {
	t.Helper()
	s, err := forward.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
