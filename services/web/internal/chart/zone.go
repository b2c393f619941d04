package chart

import (
	"errors"
	"fmt"
	"sync"
	"time"

	// The zone database is built in, so that a reader's zone works on a
	// host or image without one (scratch, distroless); Go uses it only
	// where the system has none.
	_ "time/tzdata"
)

// maxZoneName bounds a zone name: the longest IANA name has 32 characters.
const maxZoneName = 64

var zones sync.Map // name → *time.Location, only names that loaded

// LoadZone loads the IANA time zone a chart's times are written in, such
// as "Asia/Jakarta"; "" is UTC. It refuses "Local" (the server's own zone
// means nothing to a reader) and anything that is not a zone name.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if len(name) > maxZoneName || name == "Local" {
		return nil, fmt.Errorf("time zone %.64q: %w", name, errZone)
	}
	for _, r := range name {
		// The characters of IANA names; anything else could only reach
		// the file system, never a zone.
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '/' || r == '_' || r == '-' || r == '+') {
			return nil, fmt.Errorf("time zone %q: %w", name, errZone)
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w: %v", name, errZone, err)
	}
	// The names that load are a few hundred, so the map stays small; each
	// is read from disk once instead of on every request.
	zones.Store(name, loc)
	return loc, nil
}

var errZone = errors.New("not an IANA time zone")
