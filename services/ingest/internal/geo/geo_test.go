package geo_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/lapor/lapor/services/ingest/internal/geo"
	"github.com/lapor/lapor/services/ingest/internal/geo/geotest"
)

func TestLocate(t *testing.T) {
	path := geotest.Write(t,
		geotest.City{Network: "203.0.113.0/24", Country: "ID", Region: "JK", City: "Jakarta", ASN: 64500, ISP: "Example Telecom"},
		geotest.City{Network: "2001:db8:1::/48", Country: "SG", City: "Singapore"},
		// Present in the database but private: must still come out unknown.
		geotest.City{Network: "10.0.0.0/8", Country: "XX", City: "Nowhere"},
	)
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	tests := []struct {
		addr string
		want geo.Location
	}{
		{"203.0.113.9", geo.Location{Country: "ID", Region: "JK", City: "Jakarta", ASN: 64500, ISP: "Example Telecom"}},
		{"::ffff:203.0.113.9", geo.Location{Country: "ID", Region: "JK", City: "Jakarta", ASN: 64500, ISP: "Example Telecom"}},
		{"2001:db8:1:2::5", geo.Location{Country: "SG", City: "Singapore"}},
		{"198.51.100.1", geo.Location{}},
		{"10.1.2.3", geo.Location{}},
		{"127.0.0.1", geo.Location{}},
		{"::1", geo.Location{}},
		{"192.168.1.1", geo.Location{}},
		{"100.64.1.1", geo.Location{}},
		{"fe80::1", geo.Location{}},
		{"0.0.0.0", geo.Location{}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := db.Locate(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("Locate(%s) = %+v, want %+v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestMergeTwoDatabases(t *testing.T) {
	city := geotest.Write(t, geotest.City{Network: "203.0.113.0/24", Country: "ID", City: "Bandung"})
	asn := geotest.Write(t, geotest.City{Network: "203.0.113.0/24", Country: "MY", City: "Elsewhere", ASN: 64501, ISP: "Second ISP"})
	db, err := geo.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	want := geo.Location{Country: "ID", City: "Bandung", ASN: 64501, ISP: "Second ISP"}
	if got := db.Locate(netip.MustParseAddr("203.0.113.1")); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(t.TempDir(), "missing.mmdb"), garbage} {
		if _, err := geo.Open(p); err == nil {
			t.Errorf("Open(%s) succeeded", p)
		}
	}
}

func TestNone(t *testing.T) {
	if got := (geo.None{}).Locate(netip.MustParseAddr("203.0.113.1")); got != (geo.Location{}) {
		t.Fatalf("None located %+v", got)
	}
}

func TestLocateFlatLayout(t *testing.T) {
	flat := geotest.WriteFlat(t, geotest.City{Network: "203.0.113.0/24", Country: "ID", Region: "Jakarta", City: "East Jakarta"})
	db, err := geo.Open(flat)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		addr string
		want geo.Location
	}{
		{"203.0.113.9", geo.Location{Country: "ID", Region: "Jakarta", City: "East Jakarta"}},
		{"198.51.100.1", geo.Location{}},
		{"2001:db8::1", geo.Location{}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := db.Locate(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("Locate(%s) = %+v, want %+v", tt.addr, got, tt.want)
			}
		})
	}
}
