package spike_test

import (
	"math"
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

// TestStreamOutageAfterOutage checks the window after an incident: an
// outage that comes back soon after a long one is announced again, at
// once and for as long as it lasts, while the fading tail of one outage
// is no second one.
func TestStreamOutageAfterOutage(t *testing.T) {
	const start = 3 * 60 // minutes of steady traffic first
	tests := []struct {
		name  string
		mean  func(m int) float64 // the outage's multiple of the usual 40, m minutes after start
		spans [][2]int            // incidents as [opened, resolved] minutes after start, ±1
	}{
		{"back ten minutes after 45 minutes down", func(m int) float64 {
			if m < 45 || m >= 55 && m < 75 {
				return 10
			}
			return 1
		}, [][2]int{{0, 47}, {55, 77}}},
		{"back at a third of the size", func(m int) float64 {
			switch {
			case m < 45:
				return 10
			case m >= 55 && m < 75:
				return 4
			}
			return 1
		}, [][2]int{{0, 47}, {55, 77}}},
		{"one outage fading for an hour", func(m int) float64 { return 1 + 20*math.Exp(-float64(m)/30) }, [][2]int{{0, 60}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := spike.NewStream(spike.DefaultParams(), time.Minute, time.Hour, 4)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			var got [][2]int
			for i := 0; i < start+180; i++ {
				mean := 40.0
				if i >= start {
					mean *= tt.mean(i - start)
				}
				p := st.Observe(t0.Add(time.Duration(i)*time.Minute), float64(draw.Poisson(r, mean)))
				switch {
				case i < 60: // a new series' first minutes
				case p.Kind == spike.Opened:
					got = append(got, [2]int{i - start, -1})
				case p.Kind == spike.Resolved:
					got[len(got)-1][1] = i - start
				}
			}
			if len(got) != len(tt.spans) {
				t.Fatalf("incidents %v, want %v", got, tt.spans)
			}
			for k, sp := range tt.spans {
				if d0, d1 := got[k][0]-sp[0], got[k][1]-sp[1]; d0 < -1 || d0 > 1 || d1 < -1 || d1 > 1 {
					t.Fatalf("incidents %v, want %v (±1 minute)", got, tt.spans)
				}
			}
		})
	}
}
