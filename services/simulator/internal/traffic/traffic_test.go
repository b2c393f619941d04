package traffic

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/draw"
)

func seedServices(t *testing.T) []lapor.Service {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c.All()
}

func TestRhythmShape(t *testing.T) {
	night := []float64{2, 3, 3.5, 4, 5}
	day := []float64{10, 11, 12, 19, 20, 20.5, 21}
	for _, n := range night {
		for _, d := range day {
			if Rhythm(n) >= Rhythm(d)/3 {
				t.Errorf("Rhythm(%v)=%.3f not well below Rhythm(%v)=%.3f", n, Rhythm(n), d, Rhythm(d))
			}
		}
	}
	if Rhythm(11) <= Rhythm(8) || Rhythm(20.5) <= Rhythm(17) {
		t.Error("no late-morning or evening peak")
	}
	// Continuity across midnight.
	if math.Abs(Rhythm(23.99)-Rhythm(0)) > 0.01 {
		t.Errorf("jump at midnight: %.3f vs %.3f", Rhythm(23.99), Rhythm(0))
	}
	sum := 0.0
	for m := range 1440 {
		sum += Rhythm(float64(m) / 60)
	}
	if mean := sum / 1440; math.Abs(mean-1) > 1e-9 {
		t.Errorf("daily mean %.6f, want 1", mean)
	}
}

func TestRateFollowsLocalTime(t *testing.T) {
	m, err := NewModel(seedServices(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		slug        string
		night, noon time.Time // local 03:30 and 11:00
	}{
		{"bca", day.Add(20*time.Hour + 30*time.Minute), day.Add(4 * time.Hour)},      // UTC+7
		{"chase", day.Add(8*time.Hour + 30*time.Minute), day.Add(16 * time.Hour)},    // UTC-5
		{"whatsapp", day.Add(3*time.Hour + 30*time.Minute), day.Add(11 * time.Hour)}, // global: UTC
		{"jio", day.Add(22 * time.Hour), day.Add(5*time.Hour + 30*time.Minute)},      // UTC+5:30
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			i, ok := m.Index(tt.slug)
			if !ok {
				t.Fatalf("%s not modelled", tt.slug)
			}
			if n, d := m.Rate(i, tt.night), m.Rate(i, tt.noon); n*3 >= d {
				t.Errorf("night rate %.4f not well below day rate %.4f", n, d)
			}
		})
	}
}

func TestPopularityOrder(t *testing.T) {
	m, err := NewModel(seedServices(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	base := func(slug string) float64 {
		i, ok := m.Index(slug)
		if !ok {
			t.Fatalf("%s not modelled", slug)
		}
		return m.Services()[i].Base
	}
	if !(base("whatsapp") > base("bca") && base("bca") > base("jenius") && base("chatgpt") > base("monzo")) {
		t.Error("popularity order wrong")
	}
	// The spread is what the brief asks: the giants get a few reports a
	// minute at the default rate, the smallest at least one an hour.
	if b := base("whatsapp") * 60; b < 3 {
		t.Errorf("whatsapp base %.2f/min, want a few per minute", b)
	}
	for _, s := range m.Services() {
		if s.Base*3600 < 1 {
			t.Errorf("%s base %.2f/hour, want at least one an hour", s.Slug, s.Base*3600)
		}
	}
}

func TestEverySeededServiceHasOwnPopularity(t *testing.T) {
	for _, s := range seedServices(t) {
		if _, ok := popularity[s.Slug]; !ok {
			t.Errorf("%s has no popularity entry; it falls back to its category", s.Slug)
		}
	}
	slugs := map[string]bool{}
	for _, s := range seedServices(t) {
		slugs[s.Slug] = true
	}
	for slug := range popularity {
		if !slugs[slug] {
			t.Errorf("popularity entry %q is not in the catalog", slug)
		}
	}
}

// TestSimulatedHour draws an hour of one-second ticks and checks that the
// arrivals add up to what the model says, with the noise on.
func TestSimulatedHour(t *testing.T) {
	const total = 10.0
	m, err := NewModel(seedServices(t), total)
	if err != nil {
		t.Fatal(err)
	}
	starts := []time.Time{
		time.Date(2026, 5, 11, 4, 0, 0, 0, time.UTC),  // Indonesian late morning
		time.Date(2026, 5, 11, 13, 0, 0, 0, time.UTC), // Indonesian evening, European midday
		time.Date(2026, 5, 11, 21, 0, 0, 0, time.UTC), // Indonesian night, American afternoon
	}
	for _, start := range starts {
		t.Run(start.Format("15:04"), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, 7))
			noise := NewNoise(rng, len(m.Services()), 5)
			got, want := 0, 0.0
			for s := range 3600 {
				now := start.Add(time.Duration(s) * time.Second)
				want += m.Total(now)
				for i := range m.Services() {
					got += draw.Poisson(rng, m.Rate(i, now)*noise.Factor(i, now))
				}
			}
			if math.Abs(float64(got)-want)/want > 0.1 {
				t.Errorf("simulated hour: %d reports, model expects %.0f", got, want)
			}
			// The model's own hourly total stays near the configured rate:
			// many zones overlap, so the world never sleeps entirely.
			if rate := want / 3600; rate < total*0.4 || rate > total*1.8 {
				t.Errorf("model rate %.2f/s far from configured %.0f/s", rate, total)
			}
		})
	}
	// Over a whole day the model delivers exactly the configured mean.
	day := time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)
	sum := 0.0
	for mnt := range 1440 {
		sum += m.Total(day.Add(time.Duration(mnt) * time.Minute))
	}
	if mean := sum / 1440; math.Abs(mean-total) > 0.01 {
		t.Errorf("daily mean %.4f, want %.0f", mean, total)
	}
}

func TestNoiseOverdispersed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := NewNoise(rng, 1, 4)
	const lambda = 20.0 // per minute
	var counts []float64
	start := time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)
	for mnt := range 3000 {
		counts = append(counts, float64(draw.Poisson(rng, lambda*noise.Factor(0, start.Add(time.Duration(mnt)*time.Minute)))))
	}
	mean, variance := meanVar(counts)
	if math.Abs(mean-lambda) > 1.5 {
		t.Errorf("mean %.2f, want about %.0f", mean, lambda)
	}
	// Negative binomial: λ + λ²/shape = 20 + 100 = 120; Poisson would be 20.
	if variance < 2*lambda {
		t.Errorf("variance %.1f not overdispersed (mean %.1f)", variance, mean)
	}
}

func TestNewModelRejects(t *testing.T) {
	svcs := seedServices(t)
	if _, err := NewModel(nil, 10); err == nil {
		t.Error("accepted no services")
	}
	for _, r := range []float64{0, -1, math.NaN()} {
		if _, err := NewModel(svcs, r); err == nil {
			t.Errorf("accepted rate %v", r)
		}
	}
}

func meanVar(xs []float64) (float64, float64) {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, ss / float64(len(xs)-1)
}

func TestSymptomWeightsAndPick(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		cum := SymptomWeights(n)
		if len(cum) != n || math.Abs(cum[n-1]-1) > 1e-12 {
			t.Fatalf("SymptomWeights(%d) = %v", n, cum)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		counts := make([]int, n)
		for range 20000 {
			counts[PickCumulative(rng, cum)]++
		}
		for j := 1; j < n; j++ {
			if counts[j] >= counts[j-1] {
				t.Errorf("n=%d: symptom %d drawn %d times, %d before it", n, j, counts[j], counts[j-1])
			}
		}
	}
}

func TestPickForOutage(t *testing.T) {
	m, err := NewModel(seedServices(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	wa, _ := m.Index("whatsapp")
	jenius, _ := m.Index("jenius")
	counts := map[int]int{}
	for range 20000 {
		i := m.PickForOutage(rng, func(i int) bool { return i == wa })
		if i == wa || i < 0 {
			t.Fatalf("picked busy or no service: %d", i)
		}
		counts[i]++
	}
	if counts[jenius] == 0 || len(counts) < len(m.Services())/2 {
		t.Errorf("small services never picked: %d distinct, jenius %d", len(counts), counts[jenius])
	}
	if i := m.PickForOutage(rng, func(int) bool { return true }); i != -1 {
		t.Errorf("all busy picked %d", i)
	}
}
