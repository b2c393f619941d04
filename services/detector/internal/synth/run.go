package synth

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// Phase is the part of a series an incident or outage falls in.
type Phase uint8

// Phases, in time order.
const (
	NewServicePhase Phase = iota // warm-up before the weekly baseline exists
	SettledPhase                 // the rest of the warm-up
	EvalPhase                    // the evaluation span
)

// Cause is the likeliest reason for a false incident, from what the
// generator knows about the traffic.
type Cause uint8

// Causes of false incidents.
const (
	CauseNoise       Cause = iota // nothing special: noise and drift
	CauseHoliday                  // on a holiday
	CauseBump                     // during a news bump
	CauseAfterOutage              // within an hour after an outage's grace
	numCauses
)

func (c Cause) String() string {
	return [...]string{"noise", "holiday", "news bump", "after an outage"}[c]
}

// OutageResult is the verdict on one injected outage.
type OutageResult struct {
	Outage
	Service int
	Class   Class
	Detection
}

// IncidentResult is one incident the detector opened.
type IncidentResult struct {
	Service int
	Class   Class
	Span
	Phase Phase
	True  bool  // overlaps an outage
	Cause Cause // for false incidents
}

// ServiceInfo is what the report needs to know about a service.
type ServiceInfo struct {
	Index      int
	Class      Class
	Level      float64       // mean reporters a minute
	Dispersion float64       // φ of the per-minute count; 0 in the alt suite (Poisson within a day)
	Daily      DailyShape    // main suite only
	Weekly     WeeklyPattern // main suite only
}

// generated is one generated service as the scoring sees it: a main-suite
// *Service or an alt-suite *AltService.
type generated interface {
	info() ServiceInfo
	Minutes() int
	Counts() iter.Seq2[int, int]
	outages() []Outage
	// cause names the likeliest reason for a false incident.
	cause(in Span, grace int) Cause
}

// generator returns the function that makes service i of the run.
func (c Config) generator() func(i int) generated {
	if c.Suite == AltSuite {
		return func(i int) generated { return NewAltService(c, i) }
	}
	holidays := Holidays(c)
	return func(i int) generated { return NewService(c, i, holidays) }
}

// Result is everything a run measured.
type Result struct {
	Config    Config
	Classes   [numClasses]int // services per volume class
	Services  []ServiceInfo
	Outages   []OutageResult
	Incidents []IncidentResult
}

// Run generates the run's services and scores each through its own
// spike.Stream, Workers at a time. Only one series per worker is held in
// memory. The result depends only on the Config.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("synthetic suite config: %w", err)
	}
	gen := c.generator()
	per := make([]serviceResult, c.Services)
	workers := max(1, min(c.Workers, c.Services))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := scoreService(ctx, c, gen(i))
				if err != nil {
					errs <- fmt.Errorf("score service %d: %w", i, err)
					cancel()
					return
				}
				per[i] = r
			}
		}()
	}
feed:
	for i := range c.Services {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &Result{Config: c}
	for _, r := range per {
		res.Classes[r.info.Class]++
		res.Services = append(res.Services, r.info)
		res.Outages = append(res.Outages, r.outages...)
		res.Incidents = append(res.Incidents, r.incidents...)
	}
	return res, nil
}

type serviceResult struct {
	info      ServiceInfo
	outages   []OutageResult
	incidents []IncidentResult
}

// scoreService streams one service through a fresh detector and matches
// its incidents with its outages.
func scoreService(ctx context.Context, c Config, sv generated) (serviceResult, error) {
	s, err := spike.NewStream(c.Params, c.Step, c.Recent, c.Weeks)
	if err != nil {
		return serviceResult{}, fmt.Errorf("new stream: %w", err)
	}
	alert := make([]bool, sv.Minutes())
	for t, n := range sv.Counts() {
		if t%minutesPerDay == 0 && ctx.Err() != nil {
			return serviceResult{}, ctx.Err()
		}
		p := s.Observe(Start.Add(time.Duration(t)*c.Step), float64(n))
		alert[t] = p.Alert
	}

	incs := Incidents(alert)
	known := sv.outages()
	outs := make([]Span, len(known))
	for k, o := range known {
		outs[k] = Span{o.Start, o.End()}
	}
	det, isTrue := Match(outs, incs, c.Grace)

	r := serviceResult{info: sv.info()}
	for k, o := range known {
		r.outages = append(r.outages, OutageResult{Outage: o, Service: r.info.Index, Class: r.info.Class, Detection: det[k]})
	}
	for j, in := range incs {
		ir := IncidentResult{Service: r.info.Index, Class: r.info.Class, Span: in, True: isTrue[j]}
		switch {
		case in.Start >= c.warmup():
			ir.Phase = EvalPhase
		case in.Start >= c.newServiceRegime():
			ir.Phase = SettledPhase
		}
		if !ir.True {
			ir.Cause = sv.cause(in, c.Grace)
		}
		r.incidents = append(r.incidents, ir)
	}
	return r, nil
}

// afterOutage reports whether an incident starts within an hour after an
// outage's grace: the detector's baseline coming back, not noise.
func afterOutage(known []Outage, in Span, grace int) bool {
	for _, o := range known {
		after := o.End() + grace
		if in.Start >= after && in.Start < after+60 {
			return true
		}
	}
	return false
}

func (sv *Service) info() ServiceInfo {
	return ServiceInfo{
		Index: sv.Index, Class: sv.Class(), Level: sv.Level, Dispersion: sv.Dispersion,
		Daily: sv.Daily, Weekly: sv.Weekly,
	}
}

func (sv *Service) outages() []Outage { return sv.Outages }

func (sv *Service) cause(in Span, grace int) Cause {
	if afterOutage(sv.Outages, in, grace) {
		return CauseAfterOutage
	}
	for _, b := range sv.Bumps {
		if in.overlaps(Span{b.Start, b.Start + b.Len + grace}) {
			return CauseBump
		}
	}
	for d := in.Start / minutesPerDay; d <= (in.End-1)/minutesPerDay && d < len(sv.DayFactor); d++ {
		if sv.DayFactor[d] != 1 {
			return CauseHoliday
		}
	}
	return CauseNoise
}
