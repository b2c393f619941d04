package nab

import (
	"math"
	"strings"
	"testing"
	"time"
)

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

// The worked examples of the dataset's README: one window [l, r] of width
// 10, nothing in probation.
func TestWorkedExamples(t *testing.T) {
	const n, l, r = 1000, 500, 509
	w := []Window{{l, r}}
	std := Profiles[0]
	tests := []struct {
		name     string
		detect   []int
		raw, nrm float64
	}{
		{"detection at the window's first row", []int{l}, 1.0, 100},
		{"detection at the window's last row", []int{r}, 0.248, math.NaN()},
		{"no detection", nil, -1.0, 0},
		{"first row plus a false one long before", []int{200, l}, 0.89, 94.5},
		{"only the earliest detection in a window counts", []int{l, l + 1, r}, 1.0, 100},
		{"detections in probation are not scored", []int{10, 100, l}, 1.0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := make([]bool, n)
			for _, i := range tt.detect {
				d[i] = true
			}
			raw := Raw(d, w, std)
			if !near(raw, tt.raw, 0.001) {
				t.Fatalf("raw = %.4f, want %.4f", raw, tt.raw)
			}
			if !math.IsNaN(tt.nrm) {
				if got := Normalized(raw, 1, std); !near(got, tt.nrm, 0.05) {
					t.Fatalf("normalized = %.2f, want %.2f", got, tt.nrm)
				}
			}
		})
	}
}

func TestFalsePositiveAfterWindow(t *testing.T) {
	w := []Window{{500, 509}}
	d := make([]bool, 1000)
	d[510] = true // right after the window: almost free
	// The window is missed (−1); the detection one row after a window of
	// width 10 costs fp·σ(1/9) ≈ −0.11·0.271.
	if got := Raw(d, w, Profiles[0]); !near(got, -1+0.11*(2/(1+math.Exp(5.0/9))-1), 0.001) {
		t.Fatalf("raw = %.4f", got)
	}
	d[510], d[900] = false, true // far after: a full false positive
	if got := Raw(d, w, Profiles[0]); !near(got, -1.11, 0.001) {
		t.Fatalf("raw = %.4f, want -1.11", got)
	}
}

func TestProfiles(t *testing.T) {
	d := make([]bool, 1000)
	d[200] = true
	w := []Window{{500, 509}}
	want := map[string]float64{"standard": -1.11, "reward_low_FP_rate": -1.22, "reward_low_FN_rate": -2.11}
	for _, p := range Profiles {
		t.Run(p.Name, func(t *testing.T) {
			if got := Raw(d, w, p); !near(got, want[p.Name], 1e-9) {
				t.Fatalf("raw = %v, want %v", got, want[p.Name])
			}
		})
	}
}

func TestProbation(t *testing.T) {
	for _, tt := range []struct{ n, want int }{{100, 15}, {4032, 604}, {15902, 750}, {7, 1}} {
		if got := Probation(tt.n); got != tt.want {
			t.Errorf("Probation(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestBestThreshold(t *testing.T) {
	f := &File{Scores: make([]float64, 1000), Windows: []Window{{500, 509}}}
	f.Scores[300] = 0.6 // a false alarm
	f.Scores[502] = 0.9 // the anomaly, early in its window
	thr, raw := BestThreshold([]*File{f}, Profiles[0], 0)
	if thr <= 0.6 || thr > 0.9 {
		t.Fatalf("threshold %v, want in (0.6, 0.9]", thr)
	}
	if raw <= 0.5 {
		t.Fatalf("raw %v", raw)
	}
}

func TestReadSeriesAndWindows(t *testing.T) {
	in := "timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26 21:47:53,100\n2015-02-26 21:52:53,7\n"
	times, values, err := ReadSeries(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 3 || values[2] != 7 || times[1].Sub(times[0]) != 5*time.Minute {
		t.Fatalf("got %v %v", times, values)
	}
	w, err := ToWindows(times, [][2]string{{"2015-02-26 21:47:53.000000", "2015-02-26 21:52:53.000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || w[0] != (Window{1, 2}) {
		t.Fatalf("windows %v", w)
	}
	for _, bad := range []string{"", "time,value\n", "timestamp,value\nnot a time,1\n", "timestamp,value\n2015-02-26 21:42:53,x\n", "timestamp,value\n2015-02-26 21:42:53,NaN\n"} {
		if _, _, err := ReadSeries(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadSeries(%q) accepted", bad)
		}
	}
}
