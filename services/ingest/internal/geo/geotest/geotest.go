// Package geotest builds small MaxMind-format databases for tests.
package geotest

import (
	"net"
	"os"
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

// Write builds a GeoLite2-City-like database with the records in
// t.TempDir and returns its path.
func Write(t testing.TB, records ...City) string {
	t.Helper()
	return write(t, "GeoLite2-City", 28, records, func(r City) mmdbtype.Map {
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
		return rec
	})
}

// WriteFlat builds a database in the flat layout of the ip-location-db
// packages (country_code, state1, city) and returns its path.
func WriteFlat(t testing.TB, records ...City) string {
	t.Helper()
	return write(t, "city ipv4", 24, records, func(r City) mmdbtype.Map {
		return mmdbtype.Map{
			"country_code": mmdbtype.String(r.Country),
			"state1":       mmdbtype.String(r.Region),
			"state2":       mmdbtype.String(""),
			"city":         mmdbtype.String(r.City),
		}
	})
}

func write(t testing.TB, dbType string, recordSize int, records []City, toMap func(City) mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		// Tests use the documentation ranges, which are reserved.
		IncludeReservedNetworks: true,
		RecordSize:              recordSize,
	})
	if err != nil {
		t.Fatalf("new mmdb tree: %v", err)
	}
	for _, r := range records {
		_, network, err := net.ParseCIDR(r.Network)
		if err != nil {
			t.Fatalf("parse %q: %v", r.Network, err)
		}
		if err := tree.Insert(network, toMap(r)); err != nil {
			t.Fatalf("insert %s: %v", r.Network, err)
		}
	}
	f, err := os.CreateTemp(t.TempDir(), "geo-*.mmdb")
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
	return f.Name()
}
