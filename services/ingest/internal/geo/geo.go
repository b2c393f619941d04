// Package geo turns a client address into a coarse location and network,
// read from MaxMind-format databases (GeoLite2/GeoIP2 City, ASN or ISP).
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/oschwald/maxminddb-golang"
)

// Location is what a report keeps about where it came from. Empty fields
// mean unknown.
type Location struct {
	Country string // ISO 3166-1 alpha-2
	Region  string // subdivision ISO code, or its English name
	City    string
	ASN     uint32
	ISP     string
}

// Locator finds the location of an address.
type Locator interface {
	Locate(addr netip.Addr) Location
}

// None is a Locator that knows nothing, for when no database is configured.
type None struct{}

// Locate returns an unknown location.
func (None) Locate(netip.Addr) Location { return Location{} }

// record holds the fields of City, ASN and ISP databases that Lapor uses;
// each database fills the ones it has.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Subdivisions []struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	ASN    uint32 `maxminddb:"autonomous_system_number"`
	ASOrg  string `maxminddb:"autonomous_system_organization"`
	ISP    string `maxminddb:"isp"`
	ISPOrg string `maxminddb:"organization"`
}

// flatRecord is the layout of the freely redistributable ip-location-db
// databases (npm @ip-location-db/*-mmdb): flat strings, not MaxMind's
// nested records, with IPv4 and IPv6 in separate files.
type flatRecord struct {
	CountryCode string `maxminddb:"country_code"`
	State1      string `maxminddb:"state1"`
	City        string `maxminddb:"city"`
}

// reader is one open database and the record layout it uses.
type reader struct {
	*maxminddb.Reader
	flat bool
}

// DB looks addresses up in one or more databases, merging what they know:
// the first database to name a field wins.
type DB struct {
	readers []reader
}

// Open opens the databases at paths, e.g. a City and an ASN database.
func Open(paths ...string) (*DB, error) {
	db := &DB{}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open geoip database %s: %w", p, err)
		}
		// MaxMind's own databases name themselves GeoLite2-*/GeoIP2-*;
		// anything else is read as the flat layout.
		t := r.Metadata.DatabaseType
		flat := !strings.HasPrefix(t, "GeoLite2") && !strings.HasPrefix(t, "GeoIP2")
		db.readers = append(db.readers, reader{Reader: r, flat: flat})
	}
	return db, nil
}

// Close releases the databases.
func (db *DB) Close() error {
	var errs []error
	for _, r := range db.readers {
		errs = append(errs, r.Close())
	}
	db.readers = nil
	return errors.Join(errs...)
}

// Locate returns what the databases know about addr. Addresses that are not
// public (loopback, private, link-local, shared CGNAT space) are unknown.
// A database that fails to decode a record is skipped: a report without a
// location is better than no report.
func (db *DB) Locate(addr netip.Addr) Location {
	addr = addr.Unmap().WithZone("")
	if !Public(addr) {
		return Location{}
	}
	var loc Location
	for _, r := range db.readers {
		var rec record
		if r.flat {
			var f flatRecord
			if err := r.Lookup(addr.AsSlice(), &f); err != nil {
				continue
			}
			rec.Country.ISOCode = f.CountryCode
			if f.State1 != "" {
				rec.Subdivisions = append(rec.Subdivisions, struct {
					ISOCode string            `maxminddb:"iso_code"`
					Names   map[string]string `maxminddb:"names"`
				}{Names: map[string]string{"en": f.State1}})
			}
			rec.City.Names = map[string]string{"en": f.City}
		} else if err := r.Lookup(addr.AsSlice(), &rec); err != nil {
			continue
		}
		merge(&loc, &rec)
	}
	loc.Country = clip(loc.Country, 8)
	loc.Region = clip(loc.Region, 128)
	loc.City = clip(loc.City, 128)
	loc.ISP = clip(loc.ISP, 256)
	return loc
}

func merge(loc *Location, rec *record) {
	if loc.Country == "" {
		loc.Country = rec.Country.ISOCode
	}
	if loc.Region == "" && len(rec.Subdivisions) > 0 {
		loc.Region = rec.Subdivisions[0].ISOCode
		if loc.Region == "" {
			loc.Region = rec.Subdivisions[0].Names["en"]
		}
	}
	if loc.City == "" {
		loc.City = rec.City.Names["en"]
	}
	if loc.ASN == 0 {
		loc.ASN = rec.ASN
	}
	if loc.ISP == "" {
		for _, s := range []string{rec.ISP, rec.ASOrg, rec.ISPOrg} {
			if s != "" {
				loc.ISP = s
				break
			}
		}
	}
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether addr can belong to a client on the internet, as
// opposed to loopback, private, link-local or carrier-grade NAT space.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsGlobalUnicast() && !addr.IsPrivate() && !cgnat.Contains(addr)
}

// clip cuts s to at most n bytes without splitting a character, so a
// database with odd contents cannot make a report fail validation.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
