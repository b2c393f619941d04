package persona

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// notPublic is an independent list of ranges no generated address may fall
// in, checked with the standard library's own classification too.
var notPublic = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
}

func checkPublic(t *testing.T, a netip.Addr) {
	t.Helper()
	if !a.Is4() || a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() ||
		a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		t.Fatalf("%v is not public unicast IPv4", a)
	}
	for _, s := range notPublic {
		if netip.MustParsePrefix(s).Contains(a) {
			t.Fatalf("%v is in reserved %s", a, s)
		}
	}
}

func TestRandomIPIsPublic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	countries := []string{"ZZ", ""} // no blocks: anywhere in public space
	for c := range netblocks {
		countries = append(countries, c)
	}
	for _, c := range countries {
		t.Run(c, func(t *testing.T) {
			seen := map[netip.Addr]bool{}
			for range 2000 {
				a := RandomIP(rng, c)
				checkPublic(t, a)
				if b := a.As4(); b[3] == 0 || b[3] == 255 {
					t.Fatalf("%v ends in .0 or .255", a)
				}
				if blocks := netblocks[c]; len(blocks) > 0 && !containsAny(blocks, a) {
					t.Fatalf("%v outside %s blocks", a, c)
				}
				seen[a] = true
			}
			if len(seen) < 1900 {
				t.Errorf("only %d distinct addresses in 2000", len(seen))
			}
		})
	}
}

func TestNetblocksArePublic(t *testing.T) {
	for c, blocks := range netblocks {
		for _, p := range blocks {
			for _, r := range reserved {
				if p.Overlaps(r) {
					t.Errorf("%s block %v overlaps reserved %v", c, p, r)
				}
			}
			for c2, other := range netblocks {
				for _, q := range other {
					if (c2 != c || q != p) && p.Overlaps(q) {
						t.Errorf("%s block %v overlaps %s block %v", c, p, c2, q)
					}
				}
			}
		}
	}
}

func TestIsPublic(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"36.72.1.2", true}, {"8.8.8.8", true}, {"1.1.1.1", true},
		{"10.1.2.3", false}, {"172.20.0.1", false}, {"192.168.1.1", false}, {"127.0.0.1", false},
		{"100.64.0.1", false}, {"169.254.1.1", false}, {"192.0.2.10", false}, {"198.51.100.7", false},
		{"203.0.113.9", false}, {"224.0.0.1", false}, {"255.255.255.255", false}, {"0.1.2.3", false},
		{"198.19.0.1", false}, {"::1", false}, {"2001:db8::1", false},
	}
	for _, tt := range tests {
		if got := IsPublic(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPublic(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestPickCountry(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	counts := map[string]int{}
	for range 10000 {
		counts[PickCountry(rng, []string{"ID", "SG", "VN"})]++
	}
	if counts["ID"] < 5500 || counts["SG"] < 1500 || counts["VN"] < 1500 || len(counts) != 3 {
		t.Errorf("home-heavy mix wrong: %v", counts)
	}
	world := map[string]int{}
	for range 10000 {
		world[PickCountry(rng, []string{"*"})]++
	}
	if len(world) < 15 || world["US"] < world["DE"] || world["ID"] < world["FR"] {
		t.Errorf("world mix wrong: %v", world)
	}
	for c := range world {
		if !HasNetblocks(c) {
			t.Errorf("world mix country %s has no netblocks", c)
		}
	}
}

func TestPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	p := NewPool(rng, 100, 0.3)
	seen := map[netip.Addr]int{}
	for range 1000 {
		person := p.Get("ID", false)
		if person.Country != "ID" || person.Platform == Web || person.UserAgent == "" {
			t.Fatalf("bad person %+v", person)
		}
		checkPublic(t, person.IP)
		seen[person.IP]++
	}
	repeats := 0
	for _, n := range seen {
		if n > 1 {
			repeats++
		}
	}
	if repeats == 0 || len(seen) < 600 {
		t.Errorf("%d distinct people, %d seen more than once", len(seen), repeats)
	}
	if d := p.Get("US", true); d.Platform != Web || !strings.Contains(d.UserAgent, "Mozilla/5.0") || strings.Contains(d.UserAgent, "Mobile") {
		t.Errorf("desktop person %+v", d)
	}
}

func TestUserAgents(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tt := range []struct{ platform, must string }{{Android, "Android"}, {IOS, "iPhone"}, {Web, "Mozilla/5.0"}} {
		for range 200 {
			ua := UserAgent(rng, tt.platform)
			if !strings.Contains(ua, tt.must) || len(ua) > 256 {
				t.Fatalf("%s UA %q", tt.platform, ua)
			}
		}
	}
}

func TestComment(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	indonesian := 0
	for range 500 {
		c := Comment(rng, "ID", "transfers")
		if c == "" || utf8.RuneCountInString(c) > 280 {
			t.Fatalf("bad comment %q", c)
		}
		for _, id := range append(commentsID, commentsIDBySymptom["transfers"]...) {
			if c == id {
				indonesian++
			}
		}
	}
	if indonesian < 400 {
		t.Errorf("only %d of 500 comments from Indonesia in Indonesian", indonesian)
	}
	if c := Comment(rng, "US", "nosuch"); c == "" {
		t.Error("no comment for unknown symptom")
	}
}

func containsAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
