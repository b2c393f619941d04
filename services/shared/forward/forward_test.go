package forward

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestSigner(t *testing.T) {
	s, err := New("0123456789abcdef-web")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New("another-secret-0123456789")
	tests := []struct {
		name   string
		header func() http.Header
		want   string // "" for not believed
	}{
		{"signed v4", func() http.Header { h := http.Header{}; s.Set(h, netip.MustParseAddr("203.0.113.7")); return h }, "203.0.113.7"},
		{"signed mapped v6 is v4", func() http.Header { h := http.Header{}; s.Set(h, netip.MustParseAddr("::ffff:203.0.113.7")); return h }, "203.0.113.7"},
		{"signed v6", func() http.Header { h := http.Header{}; s.Set(h, netip.MustParseAddr("2001:db8::1")); return h }, "2001:db8::1"},
		{"other secret", func() http.Header { h := http.Header{}; other.Set(h, netip.MustParseAddr("203.0.113.7")); return h }, ""},
		{"address changed after signing", func() http.Header {
			h := http.Header{}
			s.Set(h, netip.MustParseAddr("203.0.113.7"))
			h.Set(AddrHeader, "203.0.113.8")
			return h
		}, ""},
		{"no signature", func() http.Header { h := http.Header{}; h.Set(AddrHeader, "203.0.113.7"); return h }, ""},
		{"nothing", func() http.Header { return http.Header{} }, ""},
		{"garbage signature", func() http.Header {
			h := http.Header{}
			h.Set(AddrHeader, "203.0.113.7")
			h.Set(SigHeader, "zz")
			return h
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, ok := s.Addr(tt.header())
			got := ""
			if ok {
				got = addr.String()
			}
			if got != tt.want {
				t.Errorf("Addr = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := New("short"); err == nil {
		t.Error("a short secret was accepted")
	}
	h := http.Header{}
	s.Set(h, netip.MustParseAddr("203.0.113.7"))
	Strip(h)
	if len(h) != 0 {
		t.Errorf("Strip left %v", h)
	}
}
