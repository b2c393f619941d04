// Package simulation turns the traffic model into a stream of reports: it
// draws arrivals for every service each tick, adds the reports of
// scheduled and random outages, dresses each report as a distinct person
// and hands it to a sender.
package simulation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/draw"
	"github.com/lapor/lapor/services/simulator/internal/outage"
	"github.com/lapor/lapor/services/simulator/internal/persona"
	"github.com/lapor/lapor/services/simulator/internal/sender"
	"github.com/lapor/lapor/services/simulator/internal/traffic"
)

// Submitter takes a report to send; false means it was dropped.
type Submitter interface {
	Submit(sender.Request) bool
}

// Config tunes a Simulation. Zero values take the defaults noted.
type Config struct {
	// Rate is the mean reports per second of all services over a day.
	Rate float64
	// Seed makes a run repeatable.
	Seed uint64
	// Outages are scheduled outages.
	Outages []outage.Outage
	// RandomOutages starts an outage on a random service now and then.
	RandomOutages bool
	// RandomFirst and RandomMin/RandomMax space random outages: the first
	// starts within RandomFirst (default 10m), the next ones between
	// RandomMin and RandomMax (default 10m and 30m) after the previous.
	RandomFirst, RandomMin, RandomMax time.Duration
	// Tick is how often arrivals are drawn (default 100ms).
	Tick time.Duration
	// Dispersion is the gamma shape of the per-minute noise (default 5;
	// negative turns noise off).
	Dispersion float64
	// RepeatProb is the chance that a report comes from someone who just
	// reported the same service, which ingest should drop (default 0.03).
	RepeatProb float64
	// CommentProb is the chance a report carries a comment (default 0.06,
	// doubled during an outage).
	CommentProb float64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Body is the JSON a report is posted as.
type Body struct {
	Service  string `json:"service"`
	Symptom  string `json:"symptom"`
	Platform string `json:"platform,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// desktopApp marks categories people often use through a desktop app
// rather than a browser.
var desktopApp = map[string]bool{"gaming": true, "messaging": true, "productivity": true, "music": true}

// recentPerService is how many recent reporters per service can report
// again.
const recentPerService = 16

type running struct {
	outage.Outage
	service  int
	random   bool
	announce bool
}

// Simulation generates reports.
type Simulation struct {
	cfg      Config
	log      *slog.Logger
	out      Submitter
	rng      *rand.Rand
	model    *traffic.Model
	noise    *traffic.Noise
	pool     *persona.Pool
	symptoms [][]float64 // cumulative indicator weights per service
	recent   [][]persona.Person
	outages  []*running
	nextRand time.Time
}

// New builds a simulation over the catalog's services.
func New(cat *catalog.Catalog, cfg Config, out Submitter, log *slog.Logger) (*Simulation, error) {
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Dispersion == 0 {
		cfg.Dispersion = traffic.DefaultDispersion
	}
	if cfg.RepeatProb == 0 {
		cfg.RepeatProb = 0.03
	}
	if cfg.CommentProb == 0 {
		cfg.CommentProb = 0.06
	}
	if cfg.RandomFirst <= 0 {
		cfg.RandomFirst = 10 * time.Minute
	}
	if cfg.RandomMin <= 0 {
		cfg.RandomMin = 10 * time.Minute
	}
	if cfg.RandomMax < cfg.RandomMin {
		cfg.RandomMax = max(30*time.Minute, cfg.RandomMin)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	model, err := traffic.NewModel(cat.All(), cfg.Rate)
	if err != nil {
		return nil, fmt.Errorf("build traffic model: %w", err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	s := &Simulation{
		cfg:    cfg,
		log:    log,
		out:    out,
		rng:    rng,
		model:  model,
		noise:  traffic.NewNoise(rng, len(model.Services()), cfg.Dispersion),
		pool:   persona.NewPool(rng, 5000, 0.15),
		recent: make([][]persona.Person, len(model.Services())),
	}
	for _, svc := range model.Services() {
		s.symptoms = append(s.symptoms, traffic.SymptomWeights(len(svc.Indicators)))
	}
	for _, o := range cfg.Outages {
		i, ok := model.Index(o.Service)
		if !ok {
			return nil, fmt.Errorf("outage on unknown service %q", o.Service)
		}
		svc := model.Services()[i]
		if o.Symptom == "" {
			o.Symptom = svc.Indicators[0]
		}
		if o.Country == "" && svc.Countries[0] != "*" {
			o.Country = svc.Countries[0]
		}
		s.outages = append(s.outages, &running{Outage: o, service: i})
	}
	s.nextRand = cfg.Now().Add(s.between(cfg.RandomFirst/5, cfg.RandomFirst))
	return s, nil
}

// Run generates reports every tick until ctx ends.
func (s *Simulation) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	last := s.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			// The end of the run is the normal way out.
			return nil
		case <-t.C:
			now := s.cfg.Now()
			// A stalled process should not catch up in one burst.
			dt := min(now.Sub(last), time.Second)
			last = now
			s.Step(now, dt)
		}
	}
}

// Step draws the reports of the interval dt ending at now and submits
// them. It returns how many it generated.
func (s *Simulation) Step(now time.Time, dt time.Duration) int {
	s.maybeStartRandom(now)
	s.trackOutages(now)
	secs := dt.Seconds()
	n := 0
	for i := range s.model.Services() {
		base := s.model.Rate(i, now)
		for range draw.Poisson(s.rng, base*s.noise.Factor(i, now)*secs) {
			s.out.Submit(s.report(i, nil))
			n++
		}
	}
	for _, o := range s.outages {
		if !o.Active(now) {
			continue
		}
		extra := o.Extra(now, s.model.Rate(o.service, now))
		for range draw.Poisson(s.rng, extra*secs) {
			s.out.Submit(s.report(o.service, &o.Outage))
			n++
		}
	}
	return n
}

// Outages returns the scheduled and random outages not yet over.
func (s *Simulation) Outages() []outage.Outage {
	out := make([]outage.Outage, len(s.outages))
	for i, o := range s.outages {
		out[i] = o.Outage
	}
	return out
}

// trackOutages logs outages as they start and end and forgets ended ones.
func (s *Simulation) trackOutages(now time.Time) {
	kept := s.outages[:0]
	for _, o := range s.outages {
		if !now.Before(o.End()) {
			if o.announce {
				s.log.Info("simulated outage ended", "slug", o.Service, "random", o.random)
			}
			continue
		}
		if o.Active(now) && !o.announce {
			o.announce = true
			s.log.Info("simulated outage started", "slug", o.Service, "shape", o.Shape.String(),
				"multiplier", o.Multiplier, "duration", o.Duration.String(), "ends", o.End().UTC().Format(time.RFC3339),
				"symptom", o.Symptom, "country", o.Country, "random", o.random)
		}
		kept = append(kept, o)
	}
	s.outages = kept
}

// maybeStartRandom starts a random outage when one is due.
func (s *Simulation) maybeStartRandom(now time.Time) {
	if !s.cfg.RandomOutages || now.Before(s.nextRand) {
		return
	}
	s.nextRand = now.Add(s.between(s.cfg.RandomMin, s.cfg.RandomMax))
	i := s.pickOutageService(now)
	if i < 0 {
		return
	}
	svc := s.model.Services()[i]
	o := outage.Random(s.rng, now)
	o.Service = svc.Slug
	o.Symptom = svc.Indicators[s.pickSymptom(i)]
	o.Country = persona.PickCountry(s.rng, svc.Countries)
	s.outages = append(s.outages, &running{Outage: o, service: i, random: true})
}

// pickOutageService chooses a service without a current outage (see
// traffic.Model.PickForOutage); -1 if none.
func (s *Simulation) pickOutageService(now time.Time) int {
	busy := map[int]bool{}
	for _, o := range s.outages {
		if now.Before(o.End()) {
			busy[o.service] = true
		}
	}
	return s.model.PickForOutage(s.rng, func(i int) bool { return busy[i] })
}

func (s *Simulation) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

func (s *Simulation) pickSymptom(i int) int {
	return traffic.PickCumulative(s.rng, s.symptoms[i])
}

// report builds one report on service i, part of outage o when not nil.
func (s *Simulation) report(i int, o *outage.Outage) sender.Request {
	svc := &s.model.Services()[i]
	var p persona.Person
	if ring := s.recent[i]; len(ring) > 0 && s.rng.Float64() < s.cfg.RepeatProb {
		// Someone who already reported tries again: ingest counts them once.
		p = ring[s.rng.IntN(len(ring))]
	} else {
		country := persona.PickCountry(s.rng, svc.Countries)
		if o != nil && o.Country != "" && s.rng.Float64() < outage.CountryShare {
			country = o.Country
		}
		p = s.pool.Get(country, s.rng.Float64() < persona.DesktopShare(svc.Category))
		if len(ring) < recentPerService {
			s.recent[i] = append(ring, p)
		} else {
			ring[s.rng.IntN(len(ring))] = p
		}
	}
	symptom := svc.Indicators[s.pickSymptom(i)]
	if o != nil && o.Symptom != "" && s.rng.Float64() < outage.SymptomShare {
		symptom = o.Symptom
	}
	b := Body{Service: svc.Slug, Symptom: symptom, Platform: p.Platform}
	if p.Platform == persona.Web && desktopApp[svc.Category] && s.rng.Float64() < 0.5 {
		// On a computer, games, chat and office tools are mostly apps.
		b.Platform = "desktop"
	}
	commentProb := s.cfg.CommentProb
	if o != nil {
		commentProb *= 2
	}
	if s.rng.Float64() < commentProb {
		b.Comment = persona.Comment(s.rng, p.Country, symptom)
	}
	// Marshalling a struct of strings cannot fail.
	body, _ := json.Marshal(b)
	return sender.Request{
		Service:   svc.Slug,
		Body:      body,
		IP:        p.IP.String(),
		UserAgent: p.UserAgent,
		Language:  persona.Language(p.Country),
	}
}
