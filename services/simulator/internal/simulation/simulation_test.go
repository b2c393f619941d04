package simulation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/simulator/internal/outage"
	"github.com/lapor/lapor/services/simulator/internal/sender"
)

type collect struct {
	now   *time.Time
	reqs  []sender.Request
	times []time.Time
}

func (c *collect) Submit(r sender.Request) bool {
	c.reqs = append(c.reqs, r)
	if c.now != nil {
		c.times = append(c.times, *c.now)
	}
	return true
}

func load(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simulate runs the simulation over simulated time, one tick at a time.
func simulate(t *testing.T, cfg Config, start time.Time, d time.Duration) []sender.Request {
	return simulateTimed(t, cfg, start, d).reqs
}

func simulateTimed(t *testing.T, cfg Config, start time.Time, d time.Duration) *collect {
	t.Helper()
	now := start
	cfg.Now = func() time.Time { return now }
	out := &collect{now: &now}
	s, err := New(load(t), cfg, out, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	for now.Before(start.Add(d)) {
		now = now.Add(time.Second)
		s.Step(now, time.Second)
	}
	return out
}

var start = time.Date(2026, 5, 11, 5, 0, 0, 0, time.UTC) // noon in Jakarta

func TestReportsAreValid(t *testing.T) {
	cat := load(t)
	reqs := simulate(t, Config{Rate: 20, Seed: 1}, start, 10*time.Minute)
	if len(reqs) < 6000 {
		t.Fatalf("only %d reports in 10 minutes at 20/s", len(reqs))
	}
	services := map[string]int{}
	comments, indonesian := 0, 0
	for _, r := range reqs {
		var b Body
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			t.Fatalf("body %s: %v", r.Body, err)
		}
		svc, ok := cat.Get(b.Service)
		if !ok || b.Service != r.Service {
			t.Fatalf("unknown service in %s", r.Body)
		}
		if !svc.HasIndicator(b.Symptom) {
			t.Fatalf("symptom %q not an indicator of %s", b.Symptom, b.Service)
		}
		if b.Platform != "android" && b.Platform != "ios" && b.Platform != "web" && b.Platform != "desktop" {
			t.Fatalf("platform %q", b.Platform)
		}
		if r.IP == "" || r.UserAgent == "" || r.Language == "" {
			t.Fatalf("request without identity: %+v", r)
		}
		if b.Comment != "" {
			comments++
			if utf8.RuneCountInString(b.Comment) > 280 {
				t.Fatalf("comment too long: %q", b.Comment)
			}
			if strings.HasPrefix(r.Language, "id") && (strings.Contains(b.Comment, "gak") || strings.Contains(b.Comment, "tidak") ||
				strings.Contains(b.Comment, "terus") || strings.Contains(b.Comment, "lagi") || strings.Contains(b.Comment, "dari")) {
				indonesian++
			}
		}
		services[b.Service]++
	}
	if len(services) < cat.Len()*8/10 {
		t.Errorf("only %d of %d services reported on in 10 minutes", len(services), cat.Len())
	}
	if services["whatsapp"] < 5*services["jenius"] {
		t.Errorf("whatsapp %d vs jenius %d: popularity not reflected", services["whatsapp"], services["jenius"])
	}
	if share := float64(comments) / float64(len(reqs)); share < 0.03 || share > 0.1 {
		t.Errorf("comment share %.3f", share)
	}
	if indonesian == 0 {
		t.Error("no Indonesian comments")
	}
}

func TestFirstIndicatorMostCommon(t *testing.T) {
	cat := load(t)
	reqs := simulate(t, Config{Rate: 50, Seed: 2}, start, 10*time.Minute)
	bySvc := map[string]map[string]int{}
	for _, r := range reqs {
		var b Body
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatal(err)
		}
		if bySvc[b.Service] == nil {
			bySvc[b.Service] = map[string]int{}
		}
		bySvc[b.Service][b.Symptom]++
	}
	for _, slug := range []string{"whatsapp", "instagram", "bca", "telkomsel"} {
		svc, _ := cat.Get(slug)
		counts := bySvc[slug]
		for _, in := range svc.Indicators[1:] {
			if counts[in] >= counts[svc.Indicators[0]] {
				t.Errorf("%s: %s (%d) as common as first indicator %s (%d)", slug, in, counts[in], svc.Indicators[0], counts[svc.Indicators[0]])
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := simulate(t, Config{Rate: 10, Seed: 9, RandomOutages: true}, start, 5*time.Minute)
	b := simulate(t, Config{Rate: 10, Seed: 9, RandomOutages: true}, start, 5*time.Minute)
	if len(a) != len(b) {
		t.Fatalf("same seed gave %d and %d reports", len(a), len(b))
	}
	for i := range a {
		if a[i].IP != b[i].IP || !bytes.Equal(a[i].Body, b[i].Body) {
			t.Fatalf("report %d differs", i)
		}
	}
	c := simulate(t, Config{Rate: 10, Seed: 10}, start, 5*time.Minute)
	if len(c) == len(a) && c[0].IP == a[0].IP {
		t.Error("different seeds gave the same run")
	}
}

// TestRepeatReporters checks that a few people report the same service
// twice, which ingest's dedupe is meant to drop, while most are distinct.
func TestRepeatReporters(t *testing.T) {
	reqs := simulate(t, Config{Rate: 20, Seed: 3}, start, 10*time.Minute)
	seen := map[string]bool{}
	ips := map[string]bool{}
	repeats := 0
	for _, r := range reqs {
		k := r.Service + "|" + r.IP + "|" + r.UserAgent
		if seen[k] {
			repeats++
		}
		seen[k] = true
		ips[r.IP] = true
	}
	share := float64(repeats) / float64(len(reqs))
	if share < 0.01 || share > 0.08 {
		t.Errorf("repeat share %.3f, want a few percent", share)
	}
	if float64(len(ips)) < 0.7*float64(len(reqs)) {
		t.Errorf("%d distinct addresses for %d reports", len(ips), len(reqs))
	}
}

func TestScheduledOutageMultipliesShare(t *testing.T) {
	shapes := []outage.Shape{outage.Step, outage.Spike, outage.Ramp}
	for _, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			o := outage.Outage{Service: "bca", Start: start.Add(10 * time.Minute), Duration: 10 * time.Minute, Multiplier: 20, Shape: shape}
			run := simulateTimed(t, Config{Rate: 20, Seed: 4, Outages: []outage.Outage{o}}, start, 30*time.Minute)
			var before, during, after int
			symptoms := map[string]int{}
			for i, r := range run.reqs {
				if r.Service != "bca" {
					continue
				}
				switch minute := run.times[i].Sub(start).Minutes(); {
				case minute <= 10:
					before++
				case minute <= 20:
					during++
					var b Body
					_ = json.Unmarshal(r.Body, &b)
					symptoms[b.Symptom]++
				default:
					after++
				}
			}
			want := 10 // step: about 20x; spike and ramp average less
			if shape != outage.Step {
				want = 4
			}
			if during < want*max(before, 5) || during < want*max(after, 5) {
				t.Errorf("bca reports before %d, during %d, after %d", before, during, after)
			}
			t.Logf("bca before %d during %d after %d", before, during, after)
			if symptoms["mobile-banking"] < during/2 {
				t.Errorf("leading symptom not dominant: %v", symptoms)
			}
		})
	}
}

func TestRandomOutages(t *testing.T) {
	now := start
	out := &collect{}
	var logs bytes.Buffer
	s, err := New(load(t), Config{
		Rate: 5, Seed: 5, RandomOutages: true,
		RandomFirst: time.Minute, RandomMin: 5 * time.Minute, RandomMax: 6 * time.Minute,
		Now: func() time.Time { return now },
	}, out, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	started := map[string]outage.Outage{}
	for range 60 * 60 {
		now = now.Add(time.Second)
		s.Step(now, time.Second)
		for _, o := range s.Outages() {
			started[fmt.Sprint(o.Service, o.Start)] = o
		}
	}
	if len(started) < 8 || len(started) > 13 {
		t.Fatalf("%d random outages in an hour at 5-6 minute spacing", len(started))
	}
	cat := load(t)
	for _, o := range started {
		svc, ok := cat.Get(o.Service)
		if !ok || !svc.HasIndicator(o.Symptom) || o.Country == "" || o.Multiplier < 6 || o.Multiplier > 30 ||
			o.Duration < 5*time.Minute || o.Duration > 25*time.Minute {
			t.Errorf("bad random outage %+v", o)
		}
	}
	if n := strings.Count(logs.String(), "simulated outage started"); n != len(started) {
		t.Errorf("%d start logs for %d outages", n, len(started))
	}
	if strings.Contains(logs.String(), `"ip"`) {
		t.Error("logs mention an IP")
	}
}

func TestNewRejectsUnknownOutageService(t *testing.T) {
	_, err := New(load(t), Config{Rate: 1, Outages: []outage.Outage{{Service: "nosuch", Start: start, Duration: time.Minute, Multiplier: 2}}}, &collect{}, logging.Discard())
	if err == nil {
		t.Fatal("accepted outage on unknown service")
	}
	if _, err := New(load(t), Config{Rate: 0}, &collect{}, logging.Discard()); err == nil {
		t.Fatal("accepted zero rate")
	}
}
