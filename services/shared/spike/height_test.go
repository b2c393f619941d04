package spike

import (
	"math"
	"testing"
	"time"
)

func TestHeights(t *testing.T) {
	tests := []struct {
		name   string
		counts []float64
		want   float64 // the height before rounding down to its bin
	}{
		{"empty", nil, math.NaN()},
		{"no reports at all", burst(500, 0), 0},
		{"gaps are buckets with no reports", burst(500, math.NaN()), 0},
		// 100 buckets: the busiest one is the busiest 1%.
		{"one busiest bucket in a hundred", concat(burst(99, 5), burst(1, 300)), 300},
		// 1000 buckets: the busiest 10 are 1%, so one spike is not the height.
		{"a lone spike is not the height", concat(burst(989, 5), burst(1, 3000), burst(10, 40)), 40},
		{"the busiest share reaches the height", concat(burst(980, 5), burst(20, 120)), 120},
		{"the height is the lowest of the busiest share", concat(burst(990, 5), burst(5, 1000), burst(5, 70)), 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h heights
			for _, c := range tt.counts {
				h.add(c)
			}
			got := h.height()
			switch {
			case math.IsNaN(tt.want):
				if !math.IsNaN(got) {
					t.Fatalf("height %v, want NaN", got)
				}
			case got > tt.want || got < tt.want/math.Exp2(1.0/heightBinsPerDoubling)-1:
				t.Fatalf("height %v, want %v rounded down to its bin", got, tt.want)
			}
		})
	}
}

func TestHeightsRemoveUndoesAdd(t *testing.T) {
	var h, want heights
	for i := range 500 {
		want.add(float64(i % 37))
		h.add(float64(i % 37))
	}
	for _, c := range []float64{0, 1, 2.5, 1e6, 1e15, math.NaN()} {
		h.add(c)
		h.remove(c)
	}
	if h != want {
		t.Fatal("adding and removing the same counts changed the histogram")
	}
}

func TestHeighted(t *testing.T) {
	tests := []struct {
		name             string
		score, c, height float64
		want             float64
	}{
		{"no score stays none", 0, 5, 100, 0},
		{"unknown height leaves the score", 0.6, 5, math.NaN(), 0.6},
		{"at the height", 0.6, 100, 100, 0.6},
		{"above the height", 0.6, 500, 100, 0.6},
		{"below it by the ratio with the pseudo-count", 0.6, 50, 110, 0.6 * 60 / 120},
		{"a quiet series' height of zero", 0.6, 3, 0, 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := heighted(tt.score, tt.c, tt.height); math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("heighted(%v, %v, %v) = %v, want %v", tt.score, tt.c, tt.height, got, tt.want)
			}
		})
	}
}

// TestStreamScoreRanksByHeight checks that a burst scores lower on a
// series whose busiest buckets of the last weeks reached well above it
// than the same burst on a series that never went so high, and that the
// height leaves with the weeks the baseline reads.
func TestStreamScoreRanksByHeight(t *testing.T) {
	const (
		step   = 5 * time.Minute
		perDay = int(24 * time.Hour / step)
		weeks  = 4
		busy   = 210.0 // a whole busy day at the start
		level  = 20.0
		peak   = 60.0
	)
	// burstAt is where the burst starts: some days after the busy day, so
	// that the record of that day's burst has faded to nothing, but
	// within (or, for the last case, past) the weeks the height spans.
	tests := []struct {
		name    string
		burstAt int
		busyDay bool
		want    float64 // the burst's best score over the plain series'
	}{
		{"a series that never went higher", 27*perDay + perDay/2, false, 1},
		{"a burst below the busy day's height", 27*perDay + perDay/2, true, (peak + scorePseudo) / (busy + scorePseudo)},
		{"the busy day has left the weeks read", 29*perDay + perDay/2, true, 1},
	}
	best := func(busyDay bool, burstAt int) float64 {
		s, err := NewStream(DefaultParams(), step, time.Hour, weeks)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		var max float64
		for i := 0; i < burstAt+12; i++ {
			c := level
			switch {
			case busyDay && i < perDay:
				c = busy
			case i >= burstAt && i < burstAt+3:
				c = peak
			}
			p := s.Observe(t0.Add(time.Duration(i)*step), c)
			if i >= burstAt {
				max = math.Max(max, p.Score)
			}
		}
		return max
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := best(false, tt.burstAt)
			if plain <= 0 {
				t.Fatal("the burst did not score on the plain series")
			}
			ratio := best(tt.busyDay, tt.burstAt) / plain
			// The height is rounded down to its bin, which raises the
			// ratio by at most the bin's width.
			if ratio < tt.want*0.999 || ratio > tt.want*1.05 {
				t.Fatalf("the burst scored %.3f of the plain series' score, want %.3f", ratio, tt.want)
			}
		})
	}
}
