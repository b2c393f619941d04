// Package geotest builds small MaxMind-format databases for tests.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// City is one GeoLite2-City-like record for a network.
type City struct {
	Network string // CIDR, e.g. "203.0.113.0/24"
	Country string
	Region  string // subdivision ISO code
	City    string
	ASN     uint32 // written as autonomous_system_number when set
	ISP     string // written as autonomous_system_organization when set
}

// Write builds a database with the records in t.TempDir and returns its path.
func Write(t testing.TB, records ...City) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-City",
		// Tests use the documentation ranges, which are reserved.
		IncludeReservedNetworks: true,
		RecordSize:              28,
	})
	if err != nil {
		t.Fatalf("new mmdb tree: %v", err)
	}
	for _, r := range records {
		_, network, err := net.ParseCIDR(r.Network)
		if err != nil {
			t.Fatalf("parse %q: %v", r.Network, err)
		}
		rec := mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String(r.Country)},
			"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(r.City)}},
		}
		if r.Region != "" {
			rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{
				"iso_code": mmdbtype.String(r.Region),
				"names":    mmdbtype.Map{"en": mmdbtype.String("Region " + r.Region)},
			}}
		}
		if r.ASN != 0 {
			rec["autonomous_system_number"] = mmdbtype.Uint32(r.ASN)
		}
		if r.ISP != "" {
			rec["autonomous_system_organization"] = mmdbtype.String(r.ISP)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("insert %s: %v", r.Network, err)
		}
	}
	path := filepath.Join(t.TempDir(), "geo-test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		t.Fatalf("write mmdb: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// WriteFlat builds a database in the flat layout of the ip-location-db
// packages (country_code, state1, city) and returns its path.
func WriteFlat(t testing.TB, records ...City) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "city ipv4",
		IncludeReservedNetworks: true,
		RecordSize:              24,
	})
	if err != nil {
		t.Fatalf("new mmdb tree: %v", err)
	}
	for _, r := range records {
		_, network, err := net.ParseCIDR(r.Network)
		if err != nil {
			t.Fatalf("parse %q: %v", r.Network, err)
		}
		rec := mmdbtype.Map{
			"country_code": mmdbtype.String(r.Country),
			"state1":       mmdbtype.String(r.Region),
			"state2":       mmdbtype.String(""),
			"city":         mmdbtype.String(r.City),
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("insert %s: %v", r.Network, err)
		}
	}
	path := filepath.Join(t.TempDir(), "geo-flat-test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		t.Fatalf("write mmdb: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
