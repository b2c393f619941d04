// Package history generates past report traffic minute by minute with the
// same model as the live simulator — popularity, daily rhythm in each
// service's main country, per-minute overdispersion, symptom and country
// mixes — plus a few past outages, as counts per service, minute, symptom
// and country. A fresh stack backfills its rollups from it so that the
// detector has a time-of-week baseline from the start.
package history

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/draw"
	"github.com/lapor/lapor/services/simulator/internal/outage"
	"github.com/lapor/lapor/services/simulator/internal/persona"
	"github.com/lapor/lapor/services/simulator/internal/traffic"
)

// DefaultOutageEvery is the mean time between past outages.
const DefaultOutageEvery = 48 * time.Hour

// Config says which stretch of history to generate and how.
type Config struct {
	// Rate is the mean reports per second of all services over a day, as
	// the live simulator's -rate.
	Rate float64
	// Seed makes the history repeatable.
	Seed uint64
	// Start and End bound the history; both are truncated to the minute
	// and End is excluded.
	Start, End time.Time
	// OutageEvery is the mean gap between past outages (default
	// DefaultOutageEvery; negative means none). Gaps vary between half and
	// one and a half times it.
	OutageEvery time.Duration
	// Dispersion is the gamma shape of the per-minute noise (default
	// traffic.DefaultDispersion; negative turns noise off).
	Dispersion float64
}

// Row is how many reports one service got in one minute with one symptom
// from one country.
type Row struct {
	Service string
	Minute  time.Time
	Symptom string
	Country string
	N       uint32
}

// slotsPerMinute is how finely an outage's changing rate is followed
// within a minute.
const slotsPerMinute = 6

// cell counts the reports of one symptom (index) from one country.
type cell struct {
	symptom int
	country string
	n       uint32
}

type pastOutage struct {
	outage.Outage
	service int
}

// Generator produces history a minute at a time, oldest first.
type Generator struct {
	cfg      Config
	rng      *rand.Rand
	model    *traffic.Model
	noise    *traffic.Noise
	symptoms [][]float64
	outages  []pastOutage
	next     time.Time // first minute not yet generated
	cells    []cell
}

// New plans the history over the catalog's services, outages included.
func New(cat *catalog.Catalog, cfg Config) (*Generator, error) {
	cfg.Start = cfg.Start.Truncate(time.Minute).UTC()
	cfg.End = cfg.End.Truncate(time.Minute).UTC()
	if !cfg.Start.Before(cfg.End) {
		return nil, fmt.Errorf("history from %s to %s is empty", cfg.Start.Format(time.RFC3339), cfg.End.Format(time.RFC3339))
	}
	if cfg.OutageEvery == 0 {
		cfg.OutageEvery = DefaultOutageEvery
	}
	if cfg.OutageEvery > 0 && cfg.OutageEvery < time.Hour {
		return nil, errors.New("history: outages must be at least an hour apart on average")
	}
	if cfg.Dispersion == 0 {
		cfg.Dispersion = traffic.DefaultDispersion
	}
	model, err := traffic.NewModel(cat.All(), cfg.Rate)
	if err != nil {
		return nil, fmt.Errorf("build traffic model: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x6a09e667f3bcc909))
	g := &Generator{
		cfg:   cfg,
		rng:   rng,
		model: model,
		noise: traffic.NewNoise(rng, len(model.Services()), cfg.Dispersion),
		next:  cfg.Start,
	}
	for _, svc := range model.Services() {
		g.symptoms = append(g.symptoms, traffic.SymptomWeights(len(svc.Indicators)))
	}
	g.planOutages()
	return g, nil
}

// quietTail is the end of the history that holds no outage: one that
// had just ended when a stack starts would raise the detector's recent
// baseline, and the live simulator's outages, or a reader's test crowd,
// would be judged against it.
const quietTail = 12 * time.Hour

// planOutages scatters random outages, like the live simulator's, over
// the history, none starting in its last quietTail.
func (g *Generator) planOutages() {
	every := g.cfg.OutageEvery
	if every < 0 {
		return
	}
	t := g.cfg.Start.Add(g.between(0, every))
	for t.Before(g.cfg.End.Add(-quietTail)) {
		i := g.model.PickForOutage(g.rng, func(i int) bool {
			for _, o := range g.outages {
				if o.service == i && t.Before(o.End()) {
					return true
				}
			}
			return false
		})
		if i < 0 {
			break
		}
		svc := g.model.Services()[i]
		o := outage.Random(g.rng, t.Truncate(time.Second))
		o.Service = svc.Slug
		o.Symptom = svc.Indicators[traffic.PickCumulative(g.rng, g.symptoms[i])]
		o.Country = persona.PickCountry(g.rng, svc.Countries)
		g.outages = append(g.outages, pastOutage{Outage: o, service: i})
		t = t.Add(g.between(every/2, every*3/2))
	}
}

func (g *Generator) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

// Start is the first minute of the history.
func (g *Generator) Start() time.Time { return g.cfg.Start }

// End is the minute after the last one of the history.
func (g *Generator) End() time.Time { return g.cfg.End }

// Outages returns the past outages in the history, oldest first.
func (g *Generator) Outages() []outage.Outage {
	out := make([]outage.Outage, len(g.outages))
	for i, o := range g.outages {
		out[i] = o.Outage
	}
	return out
}

// Done reports whether every minute has been generated.
func (g *Generator) Done() bool { return !g.next.Before(g.cfg.End) }

// Next is the first minute that the next call to Generate starts with.
func (g *Generator) Next() time.Time { return g.next }

// Generate appends to rows the counts of the minutes from where the last
// call stopped up to until (excluded, and never past End), and returns
// them. The same seed and bounds give the same rows however the history
// is cut into calls.
func (g *Generator) Generate(until time.Time, rows []Row) []Row {
	until = until.Truncate(time.Minute)
	if until.After(g.cfg.End) {
		until = g.cfg.End
	}
	for ; g.next.Before(until); g.next = g.next.Add(time.Minute) {
		rows = g.minute(g.next, rows)
	}
	return rows
}

// minute draws every service's reports in the minute starting at t0.
func (g *Generator) minute(t0 time.Time, rows []Row) []Row {
	mid := t0.Add(30 * time.Second)
	for i := range g.model.Services() {
		svc := &g.model.Services()[i]
		g.cells = g.cells[:0]
		// The rhythm changes slowly, so the rate at mid-minute stands for
		// the whole minute.
		normal := draw.Poisson(g.rng, g.model.Rate(i, mid)*60*g.noise.Factor(i, t0))
		for range normal {
			g.add(traffic.PickCumulative(g.rng, g.symptoms[i]), persona.PickCountry(g.rng, svc.Countries))
		}
		for k := range g.outages {
			o := &g.outages[k]
			if o.service != i || !o.Start.Before(t0.Add(time.Minute)) || !t0.Before(o.End()) {
				continue
			}
			extra := 0.0
			for s := range slotsPerMinute {
				at := t0.Add(time.Duration(2*s+1) * time.Minute / (2 * slotsPerMinute))
				extra += o.Extra(at, g.model.Rate(i, at)) * 60 / slotsPerMinute
			}
			for range draw.Poisson(g.rng, extra) {
				// Most of an outage's reports share its symptom and
				// country, as in the live simulator.
				symptom := traffic.PickCumulative(g.rng, g.symptoms[i])
				if o.Symptom != "" && g.rng.Float64() < outage.SymptomShare {
					symptom = indexOf(svc.Indicators, o.Symptom, symptom)
				}
				country := persona.PickCountry(g.rng, svc.Countries)
				if o.Country != "" && g.rng.Float64() < outage.CountryShare {
					country = o.Country
				}
				g.add(symptom, country)
			}
		}
		for _, c := range g.cells {
			rows = append(rows, Row{Service: svc.Slug, Minute: t0, Symptom: svc.Indicators[c.symptom], Country: c.country, N: c.n})
		}
	}
	return rows
}

// add counts one report in the current service-minute. A service gets a
// handful of reports a minute, so a linear search beats a map.
func (g *Generator) add(symptom int, country string) {
	for k := range g.cells {
		if c := &g.cells[k]; c.symptom == symptom && c.country == country {
			c.n++
			return
		}
	}
	g.cells = append(g.cells, cell{symptom: symptom, country: country, n: 1})
}

func indexOf(xs []string, x string, otherwise int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return otherwise
}
