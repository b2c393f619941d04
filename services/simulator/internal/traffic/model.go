// Package traffic models how many reports each service receives: a base
// rate from its popularity, a daily rhythm in its main country's time zone,
// and gamma-Poisson noise so that minute counts vary more than a pure
// Poisson process would, as real report counts do.
package traffic

import (
	"errors"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// Service is a catalog service with its everyday rate.
type Service struct {
	lapor.Service
	// Weight is the service's popularity.
	Weight float64
	// Base is its mean rate over a day, in reports per second.
	Base float64
	// Offset is the UTC offset of its main country, for the daily rhythm.
	Offset time.Duration
}

// Model gives every service's expected report rate at a time.
type Model struct {
	services []Service
	bySlug   map[string]int
	total    float64
}

// NewModel spreads total reports per second (a daily mean) over the
// services by popularity.
func NewModel(services []lapor.Service, total float64) (*Model, error) {
	if len(services) == 0 {
		return nil, errors.New("traffic model: no services")
	}
	if !(total > 0) {
		return nil, errors.New("traffic model: total rate must be positive")
	}
	m := &Model{bySlug: make(map[string]int, len(services)), total: total}
	sum := 0.0
	for _, s := range services {
		w := Popularity(s.Slug, s.Category)
		sum += w
		main := "*"
		if len(s.Countries) > 0 {
			main = s.Countries[0]
		}
		m.bySlug[s.Slug] = len(m.services)
		m.services = append(m.services, Service{Service: s, Weight: w, Offset: UTCOffset(main)})
	}
	for i := range m.services {
		m.services[i].Base = total * m.services[i].Weight / sum
	}
	return m, nil
}

// Services returns the modelled services in catalog order. Do not modify.
func (m *Model) Services() []Service { return m.services }

// Index returns the position of a service in Services.
func (m *Model) Index(slug string) (int, bool) {
	i, ok := m.bySlug[slug]
	return i, ok
}

// Rate is service i's expected reports per second at t, without noise or
// outages.
func (m *Model) Rate(i int, t time.Time) float64 {
	s := &m.services[i]
	return s.Base * Rhythm(LocalHour(t, s.Offset))
}

// Total is the expected reports per second of all services at t. Its mean
// over a whole day is the configured total.
func (m *Model) Total(t time.Time) float64 {
	sum := 0.0
	for i := range m.services {
		sum += m.Rate(i, t)
	}
	return sum
}
