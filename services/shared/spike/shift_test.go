package spike_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/draw"
	"github.com/lapor/lapor/services/shared/spike"
)

// TestStreamLevelShiftIsANewNormal checks that a count that steps up for
// good (a service that grew) ends as an incident once the incident's
// baseline thaws, instead of staying open until the weekly slots catch
// up, and that FreezeFor 0 keeps the old behaviour.
func TestStreamLevelShiftIsANewNormal(t *testing.T) {
	tests := []struct {
		name      string
		freezeFor time.Duration
		// open is how long the incident the shift opens stays open, at
		// least and at most.
		min, max time.Duration
	}{
		{"thawed after 12 hours", 12 * time.Hour, 12 * time.Hour, 13 * time.Hour},
		{"frozen for good", 0, 71 * time.Hour, 1000 * time.Hour}, // still open when the series ends
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spike.DefaultParams()
			p.FreezeFor = tt.freezeFor
			st, err := spike.NewStream(p, time.Minute, time.Hour, 4)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			shift := 15 * 24 * 60 // two weeks and a day at 40 a minute, then 160
			var opened, closed int
			for i := 0; i < shift+3*24*60 && closed == 0; i++ {
				mean := 40.0
				if i >= shift {
					mean = 160
				}
				pt := st.Observe(t0.Add(time.Duration(i)*time.Minute), float64(draw.Poisson(r, mean)))
				switch {
				case i < shift:
					if pt.Kind == spike.Opened && i > 60 {
						t.Fatalf("incident opened at minute %d, before the shift", i)
					}
				case pt.Kind == spike.Opened && opened == 0:
					opened = i
				case pt.Kind == spike.Resolved && opened > 0:
					closed = i
				}
			}
			if opened == 0 {
				t.Fatal("the shift opened no incident")
			}
			if closed == 0 {
				closed = shift + 3*24*60
			}
			if open := time.Duration(closed-opened) * time.Minute; open < tt.min || open > tt.max {
				t.Fatalf("incident open for %s, want %s to %s", open, tt.min, tt.max)
			}
		})
	}
}
