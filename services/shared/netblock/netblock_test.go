package netblock

import (
	"net/netip"
	"testing"
)

func TestPrefixes(t *testing.T) {
	tests := []struct {
		addr     string
		wantHost string
		wantNet  string
	}{
		{"203.0.113.7", "203.0.113.7/32", "203.0.113.0/24"},
		{"203.0.113.250", "203.0.113.250/32", "203.0.113.0/24"},
		{"::ffff:203.0.113.7", "203.0.113.7/32", "203.0.113.0/24"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64", "2001:db8:1::/48"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64", "2001:db8:1::/48"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64", "2001:db8:1::/48"},
		{"2001:db8:2::1", "2001:db8:2::/64", "2001:db8:2::/48"},
		{"fe80::1%eth0", "fe80::/64", "fe80::/48"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if got := Host(a).String(); got != tt.wantHost {
				t.Errorf("Host = %q, want %q", got, tt.wantHost)
			}
			if got := Network(a).String(); got != tt.wantNet {
				t.Errorf("Network = %q, want %q", got, tt.wantNet)
			}
		})
	}
	if Host(netip.Addr{}).IsValid() || Network(netip.Addr{}).IsValid() {
		t.Error("the zero address has a valid prefix")
	}
}
