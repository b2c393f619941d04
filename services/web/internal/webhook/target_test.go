package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeLookup resolves a few names without DNS.
func fakeLookup(_ context.Context, host string) ([]netip.Addr, error) {
	addrs := map[string][]string{
		"hooks.example.com":      {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
		"internal.example.com":   {"10.1.2.3"},
		"mixed.example.com":      {"93.184.216.34", "192.168.1.1"},
		"localhost":              {"127.0.0.1", "::1"},
		"compat.example.com":     {"::127.0.0.1"},
		"translated.example.com": {"::ffff:0:7f00:1"},
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
		{"IPv4-compatible loopback", "http://[::127.0.0.1]/", false, ""},
		{"IPv4-translated loopback", "http://[::ffff:0:7f00:1]/", false, ""},
		{"name resolving to IPv4-compatible loopback", "https://compat.example.com/h", false, ""},
		{"name resolving to IPv4-translated loopback", "https://translated.example.com/h", false, ""},
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

// TestAddressesRefused runs every address through both checks: the one a
// URL gets when a webhook is created, and the one each connection gets as
// it is dialled.
func TestAddressesRefused(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		public bool
	}{
		{"public IPv4", "93.184.216.34", true},
		{"public IPv6", "2606:2800:220:1:248:1893:25c8:1946", true},
		{"NAT64 of a public IPv4", "64:ff9b::5db8:d822", true},
		{"IPv4-mapped public IPv4", "::ffff:93.184.216.34", true},
		{"loopback", "127.0.0.1", false},
		{"loopback elsewhere in 127/8", "127.1.2.3", false},
		{"private 10/8", "10.0.0.5", false},
		{"private 172.16/12", "172.20.1.1", false},
		{"private 192.168/16", "192.168.0.1", false},
		{"cloud metadata", "169.254.169.254", false},
		{"unspecified IPv4", "0.0.0.0", false},
		{"this network", "0.1.2.3", false},
		{"carrier-grade NAT", "100.64.1.1", false},
		{"multicast IPv4", "224.0.0.1", false},
		{"broadcast", "255.255.255.255", false},
		{"documentation IPv4", "192.0.2.1", false},
		{"loopback IPv6", "::1", false},
		{"unspecified IPv6", "::", false},
		{"link-local IPv6", "fe80::1", false},
		{"unique local fc00::/7", "fc00::1", false},
		{"unique local fd00::/8", "fd12:3456::1", false},
		{"multicast IPv6", "ff02::1", false},
		{"global multicast IPv6", "ff0e::1", false},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", false},
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", false},
		{"IPv4-compatible loopback", "::127.0.0.1", false},
		{"IPv4-compatible public", "::93.184.216.34", false},
		{"IPv4-translated loopback", "::ffff:0:7f00:1", false},
		{"IPv4-translated public", "::ffff:0:5db8:d822", false},
		{"NAT64 of loopback", "64:ff9b::127.0.0.1", false},
		{"NAT64 of a private address", "64:ff9b::10.0.0.1", false},
		{"NAT64 of metadata", "64:ff9b::a9fe:a9fe", false},
		{"local-use NAT64", "64:ff9b:1::5db8:d822", false},
		{"6to4 of loopback", "2002:7f00:1::1", false},
		{"6to4 of a public address", "2002:5db8:d822::1", false},
		{"Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2", false},
		{"IPv6 documentation", "2001:db8::1", false},
		{"IPv6 documentation 3fff::/20", "3fff::1", false},
		{"discard", "100::1", false},
		{"public IPv6 with a zone", "2606:2800:220:1::1%eth0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			raw := "http://" + netip.AddrPortFrom(a, 8443).String() + "/h"
			if strings.Contains(tt.addr, "%") {
				// A zone in a URL is written %25.
				raw = "http://[" + strings.Replace(tt.addr, "%", "%25", 1) + "]:8443/h"
			}
			_, err := checkURL(context.Background(), raw, false, fakeLookup)
			if (err == nil) != tt.public {
				t.Errorf("checkURL(%q): err = %v, want accepted = %v", raw, err, tt.public)
			}
			err = refuseNonPublic("tcp", netip.AddrPortFrom(a, 8443).String(), nil)
			if tt.public && err != nil {
				t.Errorf("dial to %s refused: %v", tt.addr, err)
			}
			if !tt.public && !errors.Is(err, errPrivateTarget) {
				t.Errorf("dial to %s: err = %v, want errPrivateTarget", tt.addr, err)
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
	port := ln.Addr().(*net.TCPAddr).Port
	c := guardedClient(time.Second, false)
	// A name accepted earlier could now resolve to loopback, in any of its
	// spellings: the dial check is what stops it.
	for _, host := range []string{"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[::127.0.0.1]", "[::ffff:0:7f00:1]", "[64:ff9b::7f00:1]"} {
		t.Run(host, func(t *testing.T) {
			resp, err := c.Post("http://"+host+":"+strconv.Itoa(port)+"/h", "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, errPrivateTarget) {
				t.Fatalf("POST to %s: err = %v, want errPrivateTarget", host, err)
			}
		})
	}
}
