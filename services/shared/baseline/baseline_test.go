package baseline_test

import (
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/baseline"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := baseline.Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestExpectedIgnoresOnePastOutage(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	counts := map[int64]float64{}
	for k := 1; k <= 4; k++ {
		counts[t0.Add(-time.Duration(k)*baseline.Week).Unix()] = 10
	}
	counts[t0.Add(-baseline.Week).Unix()] = 900 // last week's outage
	slot := baseline.SameSlot(counts, t0, baseline.Week, 4, t0.Add(-60*24*time.Hour))
	if len(slot) != 4 {
		t.Fatalf("got %d weeks", len(slot))
	}
	if got := baseline.Expected(slot, 1); got != 10 {
		t.Fatalf("Expected = %v, want 10", got)
	}
	if got := baseline.Expected(nil, 2); got != 2 {
		t.Fatalf("no history: Expected = %v, want the floor 2", got)
	}
	if got := baseline.SameSlot(counts, t0, baseline.Week, 4, t0.Add(-8*24*time.Hour)); len(got) != 1 {
		t.Fatalf("history of 8 days gives %d weeks, want 1", len(got))
	}
}

func TestUsualFallsBackFromWeeksToDays(t *testing.T) {
	s := baseline.Seasons{Weeks: 4, MinWeeks: 2, Days: 7, MinDays: 2}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	counts := map[int64]float64{}
	for d := 1; d <= 28; d++ {
		counts[t0.Add(-time.Duration(d)*baseline.Day).Unix()] = 20 // every day at 09:00
	}
	for w := 1; w <= 4; w++ {
		counts[t0.Add(-time.Duration(w)*baseline.Week).Unix()] = 50 // Tuesdays are busier
	}
	counts[t0.Add(-2*baseline.Day).Unix()] = 900 // an outage two days ago
	tests := []struct {
		name    string
		history time.Duration
		want    float64
		ok      bool
	}{
		{"four weeks: the time of week", 28 * baseline.Day, 50, true},
		{"two weeks are enough for the week", 14 * baseline.Day, 50, true},
		{"ten days: the time of day, one outage ignored", 10 * baseline.Day, 20, true},
		{"three days make a daily baseline", 3 * baseline.Day, 20, true},
		{"two days make one, the lower of them: the outage ignored", 2 * baseline.Day, 20, true},
		{"one day is not enough", 1 * baseline.Day, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Usual(counts, t0, t0.Add(-tt.history))
			if got != tt.want || ok != tt.ok {
				t.Errorf("Usual = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if got := s.Offsets(); len(got) != 10 || got[0] != 1 || got[6] != 7 || got[9] != 28 {
		t.Errorf("Offsets = %v, want days 1..7 then 14, 21, 28", got)
	}
}
