package spike

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

func TestStreamFindsASpikeAfterSteadyTraffic(t *testing.T) {
	s, err := NewStream(DefaultParams(), 5*time.Minute, time.Hour, 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var first = -1
	for i := 0; i < 400; i++ {
		c := float64(30 + rng.Intn(11) - 5)
		if i >= 300 && i < 320 {
			c = 200
		}
		p := s.Observe(t0.Add(time.Duration(i)*5*time.Minute), c)
		if p.Score < 0 || p.Score > 1 {
			t.Fatalf("score %v out of [0, 1]", p.Score)
		}
		// The first buckets meet only the floor; judge after the warm-up.
		if p.Alert && first < 0 && i >= 100 {
			first = i
		}
		if i < 300 && i >= 100 && p.Alert {
			t.Fatalf("alert at %d in steady traffic (expected %.1f, count %.0f)", i, p.Expected, c)
		}
	}
	if first != 300 {
		t.Fatalf("first alert at %d, want 300", first)
	}
}

func TestStreamTakesAnyNumber(t *testing.T) {
	s, err := NewStream(DefaultParams(), time.Minute, time.Hour, 4)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i, v := range []float64{1, -5, 1e300, math.MaxFloat64, 3, 5e9, 0.4, -math.MaxFloat64, 2} {
		p := s.Observe(t0.Add(time.Duration(i)*time.Minute), v)
		if !(p.Score >= 0 && p.Score <= 1) || math.IsNaN(p.Evidence) || math.IsNaN(p.Expected) {
			t.Fatalf("value %v: point %+v", v, p)
		}
	}
}
