// Package catalog is the list of services people can report on, seeded from
// an embedded file of real services.
package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	lapor "github.com/lapor/lapor/services/shared"
	"regexp"
	"sort"
	"strings"
)

//go:embed services.json
var seed []byte

// Catalog is an immutable, validated set of services.
type Catalog struct {
	services []lapor.Service
	bySlug   map[string]int
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
var indicatorRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Load returns the embedded seed catalog.
func Load() (*Catalog, error) { return Parse(seed) }

// Parse validates a catalog file.
func Parse(data []byte) (*Catalog, error) {
	var svcs []lapor.Service
	if err := json.Unmarshal(data, &svcs); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	c := &Catalog{bySlug: make(map[string]int, len(svcs))}
	for i, s := range svcs {
		if !slugRE.MatchString(s.Slug) {
			return nil, fmt.Errorf("catalog entry %d: bad slug %q", i, s.Slug)
		}
		if _, dup := c.bySlug[s.Slug]; dup {
			return nil, fmt.Errorf("catalog: duplicate slug %q", s.Slug)
		}
		if s.Name == "" {
			return nil, fmt.Errorf("catalog %s: missing name", s.Slug)
		}
		if len(s.Indicators) == 0 {
			return nil, fmt.Errorf("catalog %s: no indicators", s.Slug)
		}
		// Pages link it: only an https address, never a script URL.
		if s.StatusURL != "" && !strings.HasPrefix(s.StatusURL, "https://") {
			return nil, fmt.Errorf("catalog %s: status_url %q must be an https URL", s.Slug, s.StatusURL)
		}
		for _, in := range s.Indicators {
			if !indicatorRE.MatchString(in) {
				return nil, fmt.Errorf("catalog %s: bad indicator %q", s.Slug, in)
			}
		}
		c.bySlug[s.Slug] = len(c.services)
		c.services = append(c.services, s)
	}
	sort.SliceStable(c.services, func(i, j int) bool { return c.services[i].Name < c.services[j].Name })
	for i, s := range c.services {
		c.bySlug[s.Slug] = i
	}
	return c, nil
}

// Get returns the service with the slug.
func (c *Catalog) Get(slug string) (lapor.Service, bool) {
	i, ok := c.bySlug[slug]
	if !ok {
		return lapor.Service{}, false
	}
	return c.services[i], true
}

// All returns every service, sorted by name. The slice must not be changed.
func (c *Catalog) All() []lapor.Service { return c.services }

// Len is the number of services.
func (c *Catalog) Len() int { return len(c.services) }
