package history

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/simulator/internal/traffic"
)

func load(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var end = time.Date(2026, 5, 18, 0, 0, 0, 0, time.UTC)

func generate(t *testing.T, cfg Config, step time.Duration) ([]Row, *Generator) {
	t.Helper()
	g, err := New(load(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for !g.Done() {
		rows = g.Generate(g.Next().Add(step), rows)
	}
	return rows, g
}

// each generates the history a day at a time and hands every row to fn,
// without keeping weeks of rows in memory.
func each(t *testing.T, cfg Config, fn func(Row)) *Generator {
	t.Helper()
	g, err := New(load(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for !g.Done() {
		rows = g.Generate(g.Next().Add(24*time.Hour), rows[:0])
		for _, r := range rows {
			fn(r)
		}
	}
	return g
}

func TestDeterministicWhateverTheChunks(t *testing.T) {
	cfg := Config{Rate: 10, Seed: 7, Start: end.Add(-24 * time.Hour), End: end}
	whole, _ := generate(t, cfg, 10*24*time.Hour)
	tests := []struct {
		name string
		step time.Duration
	}{
		{"by 6 hours", 6 * time.Hour},
		{"by 7 hours", 7 * time.Hour},
		{"by minute", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := generate(t, cfg, tt.step)
			if !slices.Equal(rows, whole) {
				t.Fatalf("%d rows cut %s differ from %d rows in one go", len(rows), tt.name, len(whole))
			}
		})
	}
	cfg.Seed = 8
	other, _ := generate(t, cfg, 24*time.Hour)
	if slices.Equal(other, whole) {
		t.Error("different seeds gave the same history")
	}
}

func TestRowsAreWellFormed(t *testing.T) {
	cat := load(t)
	cfg := Config{Rate: 10, Seed: 1, Start: end.Add(-6 * time.Hour).Add(17 * time.Second), End: end.Add(30 * time.Second)}
	rows, g := generate(t, cfg, time.Hour)
	if !g.Start().Equal(end.Add(-6*time.Hour)) || !g.End().Equal(end) {
		t.Errorf("bounds %s..%s not truncated to the minute", g.Start(), g.End())
	}
	type key struct {
		service, symptom, country string
		minute                    time.Time
	}
	seen := map[key]bool{}
	for _, r := range rows {
		svc, ok := cat.Get(r.Service)
		switch {
		case !ok:
			t.Fatalf("unknown service %q", r.Service)
		case !svc.HasIndicator(r.Symptom):
			t.Fatalf("%s has no symptom %q", r.Service, r.Symptom)
		case len(r.Country) != 2:
			t.Fatalf("country %q", r.Country)
		case r.N == 0:
			t.Fatalf("empty row %+v", r)
		case r.Minute.Before(g.Start()) || !r.Minute.Before(g.End()) || r.Minute.Second() != 0:
			t.Fatalf("minute %s outside the history or not on a minute", r.Minute)
		}
		k := key{r.Service, r.Symptom, r.Country, r.Minute}
		if seen[k] {
			t.Fatalf("duplicate row %+v", r)
		}
		seen[k] = true
	}
}

// TestFollowsTheLiveModel checks a week of history against the traffic
// model: the totals, the popularity order, the daily rhythm, and the
// symptom and country mixes.
func TestFollowsTheLiveModel(t *testing.T) {
	const rate = 10.0
	cfg := Config{Rate: rate, Seed: 3, Start: end.Add(-7 * 24 * time.Hour), End: end, OutageEvery: -1}
	total := 0
	bySvc := map[string]int{}
	bySym := map[string]map[string]int{}
	byCountry := map[string]map[string]int{}
	// bca lives in UTC+7: 20:00-23:00 UTC is 03:00-06:00 there, 03:00-06:00
	// UTC is 10:00-13:00.
	night, day := 0, 0
	each(t, cfg, func(r Row) {
		n := int(r.N)
		total += n
		bySvc[r.Service] += n
		if bySym[r.Service] == nil {
			bySym[r.Service], byCountry[r.Service] = map[string]int{}, map[string]int{}
		}
		bySym[r.Service][r.Symptom] += n
		byCountry[r.Service][r.Country] += n
		if r.Service == "bca" {
			switch h := r.Minute.Hour(); {
			case h >= 20 && h < 23:
				night += n
			case h >= 3 && h < 6:
				day += n
			}
		}
	})
	want := rate * 7 * 24 * 3600
	if math.Abs(float64(total)-want)/want > 0.03 {
		t.Errorf("a week holds %d reports, the model expects %.0f", total, want)
	}
	if !(bySvc["whatsapp"] > bySvc["bca"] && bySvc["bca"] > bySvc["jenius"]) {
		t.Errorf("popularity order lost: whatsapp %d, bca %d, jenius %d", bySvc["whatsapp"], bySvc["bca"], bySvc["jenius"])
	}
	if night*3 >= day {
		t.Errorf("bca: %d reports in local night hours, %d in late morning; want a clear daily rhythm", night, day)
	}
	cat := load(t)
	for _, slug := range []string{"whatsapp", "bca", "netflix"} {
		svc, _ := cat.Get(slug)
		first := bySym[slug][svc.Indicators[0]]
		for _, in := range svc.Indicators[1:] {
			if bySym[slug][in] >= first {
				t.Errorf("%s: symptom %s (%d) as common as %s (%d)", slug, in, bySym[slug][in], svc.Indicators[0], first)
			}
		}
	}
	if c := byCountry["bca"]; c["ID"]*2 < bySvc["bca"] {
		t.Errorf("bca: %d of %d reports from its home country", c["ID"], bySvc["bca"])
	}
	if len(byCountry["whatsapp"]) < 10 {
		t.Errorf("whatsapp reports come from only %d countries", len(byCountry["whatsapp"]))
	}
}

func TestPastOutages(t *testing.T) {
	cfg := Config{Rate: 10, Seed: 5, Start: end.Add(-14 * 24 * time.Hour), End: end}
	g, err := New(load(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	outages := g.Outages()
	// One every two days on average, gaps of one to three days.
	if len(outages) < 4 || len(outages) > 14 {
		t.Fatalf("%d outages in 14 days, want about 7", len(outages))
	}
	model, err := traffic.NewModel(load(t).All(), cfg.Rate)
	if err != nil {
		t.Fatal(err)
	}
	perMinute := map[string]map[time.Time]int{}
	for _, o := range outages {
		perMinute[o.Service] = map[time.Time]int{}
	}
	each(t, cfg, func(r Row) {
		if m := perMinute[r.Service]; m != nil {
			m[r.Minute] += int(r.N)
		}
	})
	got, normal := 0, 0.0
	for k, o := range outages {
		if o.Start.Before(g.Start()) || !o.Start.Before(g.End()) {
			t.Errorf("outage %d starts at %s, outside the history", k, o.Start)
		}
		if k > 0 && o.Start.Sub(outages[k-1].Start) < 24*time.Hour {
			t.Errorf("outages %d and %d less than a day apart", k-1, k)
		}
		if o.Service == "" || o.Symptom == "" || o.Country == "" || o.Multiplier < 6 || o.Duration < 5*time.Minute {
			t.Errorf("outage %d incomplete: %+v", k, o)
		}
		i, _ := model.Index(o.Service)
		from, to := o.Start.Truncate(time.Minute), o.End()
		for m := from; m.Before(to); m = m.Add(time.Minute) {
			normal += model.Rate(i, m.Add(30*time.Second)) * 60
			got += perMinute[o.Service][m]
		}
	}
	// Even a spike, the mildest shape, more than doubles a service's
	// reports over its window.
	if float64(got) < 2*normal+10 {
		t.Errorf("outage windows hold %d reports, normal traffic would be %.1f", got, normal)
	}
	cfg.OutageEvery = -1
	g, err = New(load(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Outages()); n != 0 {
		t.Errorf("%d outages with outages off", n)
	}
}

func TestNewRejects(t *testing.T) {
	cat := load(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"empty range", Config{Rate: 10, Start: end, End: end.Add(30 * time.Second)}},
		{"reversed range", Config{Rate: 10, Start: end, End: end.Add(-time.Hour)}},
		{"no rate", Config{Start: end.Add(-time.Hour), End: end}},
		{"outages too often", Config{Rate: 10, Start: end.Add(-time.Hour), End: end, OutageEvery: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(cat, tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func BenchmarkGenerateDay(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	var rows []Row
	for b.Loop() {
		g, err := New(cat, Config{Rate: 10, Seed: 1, Start: end.Add(-24 * time.Hour), End: end})
		if err != nil {
			b.Fatal(err)
		}
		rows = g.Generate(end, rows[:0])
	}
	b.ReportMetric(float64(len(rows)), "rows/day")
}
