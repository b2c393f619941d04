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
	slot := baseline.SameSlot(counts, t0, 4, t0.Add(-60*24*time.Hour))
	if len(slot) != 4 {
		t.Fatalf("got %d weeks", len(slot))
	}
	if got := baseline.Expected(slot, 1); got != 10 {
		t.Fatalf("Expected = %v, want 10", got)
	}
	if got := baseline.Expected(nil, 2); got != 2 {
		t.Fatalf("no history: Expected = %v, want the floor 2", got)
	}
	if got := baseline.SameSlot(counts, t0, 4, t0.Add(-8*24*time.Hour)); len(got) != 1 {
		t.Fatalf("history of 8 days gives %d weeks, want 1", len(got))
	}
}
