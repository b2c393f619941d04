package nab

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	thr, raw := NewSearch([]*File{f}, Profiles[0], 0).Best()
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

// randomFile has n rows of scores on a coarse grid, so that rows share
// scores, and the given windows.
func randomFile(r *rand.Rand, name string, n int, windows []Window) *File {
	f := &File{Name: name, Scores: make([]float64, n), Windows: windows}
	for i := range f.Scores {
		f.Scores[i] = float64(r.IntN(21)) / 20
	}
	return f
}

func TestCurveAgreesWithRaw(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		n       int
		windows []Window
	}{
		{"no windows", 200, nil},
		{"one window", 200, []Window{{100, 119}}},
		{"windows back to back", 300, []Window{{60, 69}, {70, 71}, {200, 200}}},
		{"window in probation", 200, []Window{{10, 40}, {150, 180}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := randomFile(r, tt.name, tt.n, tt.windows)
			f.Scores[tt.n-1] = math.NaN() // never a detection
			var thresholds []float64
			for k := -1; k <= 21; k++ {
				thresholds = append(thresholds, float64(k)/20, float64(k)/20+0.01)
			}
			thresholds = append(thresholds, math.Inf(1), math.Inf(-1))
			for _, p := range Profiles {
				c := NewCurve(f, p)
				for _, thr := range thresholds {
					if got, want := c.At(thr), Raw(f.AtThreshold(thr), f.Windows, p); !near(got, want, 1e-9) {
						t.Errorf("%s at %v: curve %v, Raw %v", p.Name, thr, got, want)
					}
				}
			}
		})
	}
}

// hand is a 100-row file (its first 15 rows in probation) scoring 0 but
// where given.
func hand(name string, windows []Window, scores map[int]float64) *File {
	f := &File{Name: name, Scores: make([]float64, 100), Windows: windows}
	for i, s := range scores {
		f.Scores[i] = s
	}
	return f
}

func TestLeaveOneOut(t *testing.T) {
	// With one window at rows 50–59 of width 10, a detection at row 50 earns
	// 1, a miss costs 1 and a detection at row 20 or 30 costs 0.11.
	w := []Window{{50, 59}}
	hitLowFP := hand("hit 0.8, false alarm 0.6", w, map[int]float64{50: 0.8, 30: 0.6})
	hitHighFP := hand("hit 0.6, false alarm 0.8", w, map[int]float64{50: 0.6, 20: 0.8})
	hit7 := hand("hit 0.7", w, map[int]float64{50: 0.7})
	hit5 := hand("hit 0.5", w, map[int]float64{50: 0.5})
	quiet := hand("no windows, false alarm 0.9", nil, map[int]float64{30: 0.9})
	never := math.Inf(1)
	tests := []struct {
		name  string
		files []*File
		want  []Held // nil: nothing to leave out
	}{
		{
			// Left out, the first file gets 0.6 (the others sum 1.89 there,
			// −0.11 at 0.7) and keeps its false alarm; the second gets 0.7
			// (the others sum 2) and misses; the third gets 0.6 (1.78).
			name:  "each file at the others' threshold",
			files: []*File{hitLowFP, hitHighFP, hit7},
			want: []Held{
				{hitLowFP.Name, 0.6, 0.89},
				{hitHighFP.Name, 0.7, -1.11},
				{hit7.Name, 0.6, 1},
			},
		},
		{
			// The two copies sum 2 anywhere in (0.6, 0.8]; their own
			// candidate there is 0.8, which misses the third file's 0.7.
			// Had its score been a candidate, it would have been chosen.
			name:  "the held-out file's scores are no candidates",
			files: []*File{hitLowFP, hitLowFP, hit7},
			want: []Held{
				{hitLowFP.Name, 0.7, 1},
				{hitLowFP.Name, 0.7, 1},
				{hit7.Name, 0.8, -1},
			},
		},
		{
			// A file without windows is best never fired on, which misses
			// the other's window; it pays its false alarm at 0.5.
			name:  "a file without windows",
			files: []*File{hit5, quiet},
			want: []Held{
				{hit5.Name, never, -1},
				{quiet.Name, 0.5, -0.11},
			},
		},
		{name: "one file", files: []*File{hit7}},
		{name: "no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewSearch(tt.files, Profiles[0], 0).LeaveOneOut()
			if len(got) != len(tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i, h := range got {
				if w := tt.want[i]; h.File != w.File || h.Threshold != w.Threshold || !near(h.Raw, w.Raw, 1e-9) {
					t.Errorf("file %d: got %+v, want %+v", i, h, w)
				}
			}
		})
	}
}

// Leaving a file out must be the same search as BestThreshold on the other
// files, thinning included.
func TestLeaveOneOutIsBestThresholdOfTheOthers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	files := []*File{
		randomFile(r, "a", 300, []Window{{100, 129}}),
		randomFile(r, "b", 250, nil),
		randomFile(r, "c", 400, []Window{{80, 99}, {300, 349}}),
		randomFile(r, "d", 200, []Window{{150, 160}}),
	}
	files[1].Scores[7] = 0.123 // a score only one file holds
	for _, max := range []int{0, 6} {
		for _, p := range Profiles {
			t.Run(fmt.Sprintf("%s, %d candidates", p.Name, max), func(t *testing.T) {
				for i, h := range NewSearch(files, p, max).LeaveOneOut() {
					others := slices.Delete(slices.Clone(files), i, i+1)
					thr, _ := NewSearch(others, p, max).Best()
					if h.Threshold != thr {
						t.Errorf("%s: threshold %v, BestThreshold of the others %v", h.File, h.Threshold, thr)
					}
					if want := Raw(files[i].AtThreshold(thr), files[i].Windows, p); !near(h.Raw, want, 1e-9) {
						t.Errorf("%s: raw %v, want %v", h.File, h.Raw, want)
					}
				}
			})
		}
	}
}

func TestBestThresholdBeatsEveryScore(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	files := []*File{randomFile(r, "a", 300, []Window{{100, 129}}), randomFile(r, "b", 300, []Window{{200, 210}})}
	for _, p := range Profiles {
		t.Run(p.Name, func(t *testing.T) {
			thr, raw := NewSearch(files, p, 0).Best()
			if want := corpusRaw(files, thr, p); !near(raw, want, 1e-9) {
				t.Fatalf("raw %v at %v, corpusRaw %v", raw, thr, want)
			}
			for k := 0; k <= 20; k++ {
				c := float64(k) / 20
				if s := corpusRaw(files, c, p); s > raw+1e-9 || (c < thr && s >= raw-1e-9) {
					t.Errorf("threshold %v scores %v, the best %v scores %v (ties go to the lowest)", c, s, thr, raw)
				}
			}
		})
	}
}

func TestShareAddsUp(t *testing.T) {
	const fn = 2
	p := Profile{Name: "p", TP: 1, FN: fn, FP: 0.11}
	raws, windows := []float64{0.5, -0.11, -2}, []int{1, 0, 1}
	sum, total := 0.0, 0.0
	for i := range raws {
		sum += Share(raws[i], windows[i], 2, p)
		total += raws[i]
	}
	if want := Normalized(total, 2, p); !near(sum, want, 1e-9) {
		t.Fatalf("shares sum to %v, Normalized %v", sum, want)
	}
	if !math.IsNaN(Share(-0.11, 0, 0, p)) {
		t.Fatal("a share of a corpus without windows is a number")
	}
}

// corpusRaw sums the files' raw scores at a threshold row by row: the
// reference the curves are checked against.
func corpusRaw(files []*File, thr float64, p Profile) float64 {
	s := 0.0
	for _, f := range files {
		s += Raw(f.AtThreshold(thr), f.Windows, p)
	}
	return s
}
