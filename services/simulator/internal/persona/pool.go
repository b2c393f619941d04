// Package persona invents the people who file simulated reports: where
// they are, their address, their device and what they write.
package persona

import (
	"math/rand/v2"
	"net/netip"
)

// Person is one simulated reporter. The ingest service identifies a
// reporter by address and user agent, so these two make the person.
type Person struct {
	IP        netip.Addr
	UserAgent string
	Platform  string
	Country   string
}

type poolKey struct {
	country string
	desktop bool
}

// Pool hands out people, sometimes someone seen before, so that one person
// reports several services over time the way real users do.
type Pool struct {
	rng    *rand.Rand
	size   int
	reuse  float64
	people map[poolKey][]Person
	next   map[poolKey]int
}

// NewPool keeps up to size people per country and device kind and returns
// a known person with probability reuse once it has a few.
func NewPool(rng *rand.Rand, size int, reuse float64) *Pool {
	return &Pool{rng: rng, size: max(size, 1), reuse: reuse, people: map[poolKey][]Person{}, next: map[poolKey]int{}}
}

// Get returns a person in the country on a desktop browser or a phone.
func (p *Pool) Get(country string, desktop bool) Person {
	k := poolKey{country, desktop}
	known := p.people[k]
	if len(known) >= 20 && p.rng.Float64() < p.reuse {
		return known[p.rng.IntN(len(known))]
	}
	person := p.newPerson(country, desktop)
	if len(known) < p.size {
		p.people[k] = append(known, person)
	} else {
		i := p.next[k]
		known[i] = person
		p.next[k] = (i + 1) % p.size
	}
	return person
}

func (p *Pool) newPerson(country string, desktop bool) Person {
	platform := Web
	if !desktop {
		platform = MobilePlatform(p.rng, country)
	}
	return Person{
		IP:        RandomIP(p.rng, country),
		UserAgent: UserAgent(p.rng, platform),
		Platform:  platform,
		Country:   country,
	}
}
