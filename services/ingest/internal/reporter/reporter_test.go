package reporter

import (
	"net/netip"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	day1 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	laterDay1 := time.Date(2025, 3, 1, 23, 59, 59, 0, time.UTC)
	// 01:00 on 2 March in UTC+7 is still 1 March in UTC.
	day1InJakarta := time.Date(2025, 3, 2, 1, 0, 0, 0, time.FixedZone("WIB", 7*3600))
	day2 := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("203.0.113.7")
	v6 := netip.MustParseAddr("2001:db8:1:2::1")
	a := mustKeyer(t, "secret-a")
	b := mustKeyer(t, "secret-b")

	tests := []struct {
		name string
		base string
		key  string
		same bool
	}{
		{"same inputs again", a.Key(day1, ip), a.Key(day1, ip), true},
		{"later the same UTC day", a.Key(day1, ip), a.Key(laterDay1, ip), true},
		{"same UTC day seen from another zone", a.Key(day1, ip), a.Key(day1InJakarta, ip), true},
		{"IPv4-mapped form of the same address", a.Key(day1, ip), a.Key(day1, netip.MustParseAddr("::ffff:203.0.113.7")), true},
		{"a fresh keyer with the same secret", a.Key(day1, ip), mustKeyer(t, "secret-a").Key(day1, ip), true},
		{"another address in the same IPv6 /64", a.Key(day1, v6), a.Key(day1, netip.MustParseAddr("2001:db8:1:2:ffff:1234::9")), true},
		{"zoned IPv6 is the same host", a.Key(day1, v6), a.Key(day1, netip.MustParseAddr("2001:db8:1:2::1%eth0")), true},
		{"next day", a.Key(day1, ip), a.Key(day2, ip), false},
		{"other secret", a.Key(day1, ip), b.Key(day1, ip), false},
		{"neighbour IPv4 address", a.Key(day1, ip), a.Key(day1, netip.MustParseAddr("203.0.113.8")), false},
		{"next IPv6 /64", a.Key(day1, v6), a.Key(day1, netip.MustParseAddr("2001:db8:1:3::1")), false},
		{"host key is not its network key", a.Key(day1, ip), a.Network(day1, ip), false},
		{"network: same /24", a.Network(day1, ip), a.Network(day1, netip.MustParseAddr("203.0.113.250")), true},
		{"network: mapped form", a.Network(day1, ip), a.Network(day1, netip.MustParseAddr("::ffff:203.0.113.1")), true},
		{"network: next /24", a.Network(day1, ip), a.Network(day1, netip.MustParseAddr("203.0.114.7")), false},
		{"network: same /48", a.Network(day1, v6), a.Network(day1, netip.MustParseAddr("2001:db8:1:ffff::1")), true},
		{"network: next /48", a.Network(day1, v6), a.Network(day1, netip.MustParseAddr("2001:db8:2::1")), false},
		{"network: next day", a.Network(day1, ip), a.Network(day2, ip), false},
		{"network: other secret", a.Network(day1, ip), b.Network(day1, ip), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.key == tt.base; got != tt.same {
				t.Fatalf("key %q vs base %q: same=%v, want %v", tt.key, tt.base, got, tt.same)
			}
			if len(tt.key) != 2*keyBytes {
				t.Fatalf("key length %d, want %d", len(tt.key), 2*keyBytes)
			}
		})
	}
	if a.Key(day2, ip) == a.Key(day1, ip) {
		t.Fatal("the cached day key was not replaced on a new day")
	}
}

func TestNewRejectsEmptySecret(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestRandomSecret(t *testing.T) {
	s1, err := RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != 32 || string(s1) == string(s2) {
		t.Fatalf("random secrets not 32 distinct bytes: %x %x", s1, s2)
	}
}

func mustKeyer(t *testing.T, secret string) *Keyer {
	t.Helper()
	k, err := New([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
