package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeLookup resolves a few names without DNS.
func fakeLookup(_ context.Context, host string) ([]netip.Addr, error) {
	addrs := map[string][]string{
		"hooks.example.com":    {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
		"internal.example.com": {"10.1.2.3"},
		"mixed.example.com":    {"93.184.216.34", "192.168.1.1"},
		"localhost":            {"127.0.0.1", "::1"},
	}[host]
	if addrs == nil {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		want         string // the normalised URL, "" when refused
	}{
		{"public name", "https://hooks.example.com/lapor", false, "https://hooks.example.com/lapor"},
		{"public IPv4 with port", "http://93.184.216.34:8443/h?x=1", false, "http://93.184.216.34:8443/h?x=1"},
		{"public IPv6", "https://[2606:2800:220:1:248:1893:25c8:1946]/h", false, "https://[2606:2800:220:1:248:1893:25c8:1946]/h"},
		{"fragment dropped", "https://hooks.example.com/h#frag", false, "https://hooks.example.com/h"},
		{"empty", "", false, ""},
		{"not http", "ftp://hooks.example.com/h", false, ""},
		{"no scheme", "hooks.example.com/h", false, ""},
		{"javascript", "javascript:alert(1)", false, ""},
		{"no host", "https:///h", false, ""},
		{"credentials", "https://user:pass@hooks.example.com/h", false, ""},
		{"too long", "https://hooks.example.com/" + strings.Repeat("a", MaxURLLength), false, ""},
		{"loopback", "http://127.0.0.1:8080/h", false, ""},
		{"loopback IPv6", "http://[::1]/h", false, ""},
		{"private 10/8", "http://10.0.0.5/h", false, ""},
		{"private 192.168/16", "http://192.168.0.1/h", false, ""},
		{"private 172.16/12", "http://172.20.1.1/h", false, ""},
		{"link-local metadata", "http://169.254.169.254/latest/meta-data", false, ""},
		{"unspecified", "http://0.0.0.0/h", false, ""},
		{"carrier-grade NAT", "http://100.64.1.1/h", false, ""},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/h", false, ""},
		{"unique local IPv6", "http://[fd00::1]/h", false, ""},
		{"name resolving to private", "https://internal.example.com/h", false, ""},
		{"name with one private address", "https://mixed.example.com/h", false, ""},
		{"localhost", "http://localhost:9000/h", false, ""},
		{"unresolvable", "https://nowhere.invalid/h", false, ""},
		{"private allowed when configured", "http://127.0.0.1:8080/h", true, "http://127.0.0.1:8080/h"},
		{"scheme still checked when private allowed", "file:///etc/passwd", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkURL(context.Background(), tt.url, tt.allowPrivate, fakeLookup)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("checkURL(%q) accepted it as %q", tt.url, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("checkURL(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
			}
		})
	}
}

func TestGuardedClientRefusesPrivateAddressesAtDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := guardedClient(time.Second, false)
	// A name accepted earlier could now resolve to loopback: the dial check
	// is what stops it.
	_, err = c.Post("http://"+ln.Addr().String()+"/h", "application/json", strings.NewReader("{}"))
	if !errors.Is(err, errPrivateTarget) {
		t.Fatalf("POST to loopback: err = %v, want errPrivateTarget", err)
	}
}
