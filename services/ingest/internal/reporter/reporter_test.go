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
	mapped := netip.MustParseAddr("::ffff:203.0.113.7")
	other := netip.MustParseAddr("203.0.113.8")
	ua := "Mozilla/5.0"

	a := mustKeyer(t, "secret-a")
	b := mustKeyer(t, "secret-b")
	base := a.Key(day1, ip, ua)

	tests := []struct {
		name string
		key  string
		same bool
	}{
		{"same inputs again", a.Key(day1, ip, ua), true},
		{"later the same UTC day", a.Key(laterDay1, ip, ua), true},
		{"same UTC day seen from another zone", a.Key(day1InJakarta, ip, ua), true},
		{"IPv4-mapped form of the same address", a.Key(day1, mapped, ua), true},
		{"a fresh keyer with the same secret", mustKeyer(t, "secret-a").Key(day1, ip, ua), true},
		{"next day", a.Key(day2, ip, ua), false},
		{"other secret", b.Key(day1, ip, ua), false},
		{"other address", a.Key(day1, other, ua), false},
		{"other user agent", a.Key(day1, ip, "curl/8"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.key == base; got != tt.same {
				t.Fatalf("key %q vs base %q: same=%v, want %v", tt.key, base, got, tt.same)
			}
		})
	}
	if len(base) != 2*keyBytes {
		t.Fatalf("key length %d, want %d", len(base), 2*keyBytes)
	}
	if a.Key(day2, ip, ua) == a.Key(day1, ip, ua) {
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
