package offline

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/detector/internal/nab"
)

// nabDir is the shared NAB subset, from this package's folder.
var nabDir = filepath.Join("..", "..", "..", "..", "..", "shared", "datasets", "nab")

func TestEvaluateQuickOnNAB(t *testing.T) {
	if _, err := os.Stat(filepath.Join(nabDir, "labels", "combined_windows.json")); err != nil {
		t.Skipf("NAB data not here: %v", err)
	}
	corpora, err := LoadNAB(EvalOptions{Dir: nabDir, MaxRows: 3000}, settings())
	if err != nil {
		t.Fatal(err)
	}
	results := Evaluate(corpora)
	if want := (len(corpora) + 1) * len(nab.Profiles); len(results) != want {
		t.Fatalf("%d result rows, want %d", len(results), want)
	}
	for _, r := range results {
		if r.Windows == 0 {
			if !math.IsNaN(r.Best) || !math.IsNaN(r.LOO) {
				t.Errorf("%s/%s: best %v, loo %v without windows, want none", r.Corpus, r.Profile, r.Best, r.LOO)
			}
			continue
		}
		// Leaving out needs another file; held-out thresholds may score
		// below never firing, but not above perfect.
		if (r.Files == 1) != math.IsNaN(r.LOO) || r.LOO > 100 {
			t.Errorf("%s/%s: %d files, leave-one-out %v", r.Corpus, r.Profile, r.Files, r.LOO)
		}
		// Never firing scores 0, so the best threshold is never below it;
		// a perfect detector scores 100.
		if r.Best < 0 || r.Best > 100 || math.IsNaN(r.Alert) || r.Alert > 100 {
			t.Errorf("%s/%s: best %v, alert %v out of range", r.Corpus, r.Profile, r.Best, r.Alert)
		}
	}
	var out bytes.Buffer
	if err := PrintResults(&out, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"profile standard", "profile reward_low_FP_rate", "profile reward_low_FN_rate", "realTweets", Overall, "realTweets standard: best threshold", ", leave-one-out "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// handFile is a 100-row file (its first 15 rows in probation) scoring 0 but
// where given, with an alert column that never fires.
func handFile(name string, windows []nab.Window, scores map[int]float64) *nab.File {
	f := &nab.File{Name: name, Windows: windows, Scores: make([]float64, 100), Alerts: make([]bool, 100)}
	for i, s := range scores {
		f.Scores[i] = s
	}
	return f
}

func TestEvaluateLeaveOneOut(t *testing.T) {
	// One window at rows 50–59: a detection at row 50 earns 1, a miss
	// costs 1, a detection at row 20 or 30 costs 0.11 (standard profile).
	w := []nab.Window{{Start: 50, End: 59}}
	a := handFile("three/a", w, map[int]float64{50: 0.8, 30: 0.6})
	b := handFile("three/b", w, map[int]float64{50: 0.6, 20: 0.8})
	c := handFile("three/c", w, map[int]float64{50: 0.7})
	d := handFile("one/d", w, map[int]float64{50: 0.7})
	results := Evaluate(map[string][]*nab.File{"three": {a, b, c}, "one": {d}})
	tests := []struct {
		corpus      string
		best, loo   float64 // normalized
		held        []float64
		share, diff []float64 // each file's share of loo, and loo's less best's
	}{
		// Together the three files are best at 0.6: raw 0.89 + 0.89 + 1.
		// Left out, a gets 0.6 (0.89), b 0.7 (−1.11: the others sum 2
		// there, 1.89 at 0.6) and c 0.6 (1), of ±3 over three windows.
		{
			corpus: "three", best: 100 * (2.78 + 3) / 6, loo: 100 * (0.78 + 3) / 6,
			held:  []float64{0.6, 0.7, 0.6},
			share: []float64{100 * 1.89 / 6, 100 * -0.11 / 6, 100 * 2.0 / 6},
			diff:  []float64{0, 100 * -2.0 / 6, 0},
		},
		{corpus: "one", best: 100, loo: math.NaN()},
		// All four: d gets 0.6 (others 2.78 against 0.89 at 0.7), a 0.6,
		// b 0.7 (others 3) and c 0.6.
		{
			corpus: Overall, best: 100 * (3.78 + 4) / 8, loo: 100 * (1.78 + 4) / 8,
			held:  []float64{0.6, 0.6, 0.7, 0.6},
			share: []float64{100 * 2.0 / 8, 100 * 1.89 / 8, 100 * -0.11 / 8, 100 * 2.0 / 8},
			diff:  []float64{0, 0, 100 * -2.0 / 8, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.corpus, func(t *testing.T) {
			var r *Result
			for i := range results {
				if results[i].Corpus == tt.corpus && results[i].Profile == nab.Profiles[0].Name {
					r = &results[i]
				}
			}
			if r == nil {
				t.Fatal("no result")
			}
			if !near(r.Best, tt.best) || !near(r.LOO, tt.loo) {
				t.Errorf("best %v, loo %v; want %v, %v", r.Best, r.LOO, tt.best, tt.loo)
			}
			if len(r.Held) != len(tt.held) || (r.Held == nil) != (tt.held == nil) {
				t.Fatalf("held out %+v, want thresholds %v", r.Held, tt.held)
			}
			for i, h := range r.Held {
				if h.Threshold != tt.held[i] || !near(h.Share, tt.share[i]) || !near(h.Share-h.AtBest, tt.diff[i]) {
					t.Errorf("%s: threshold %v, share %v, change %v; want %v, %v, %v",
						h.File, h.Threshold, h.Share, h.Share-h.AtBest, tt.held[i], tt.share[i], tt.diff[i])
				}
			}
		})
	}

	var out bytes.Buffer
	if err := PrintResults(&out, results); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(out.String(), "\n") {
		// corpus, files, windows, threshold, best, loo, alert, open
		if f := strings.Fields(line); len(f) == 8 && f[0] == "one" {
			rows++
			if f[5] != "-" {
				t.Errorf("one file's leave-one-out printed as %q, want -", f[5])
			}
		}
	}
	if rows != len(nab.Profiles) {
		t.Errorf("%d rows for the one-file corpus, want %d:\n%s", rows, len(nab.Profiles), out.String())
	}
	out.Reset()
	if err := PrintLOO(&out, results[1]); err != nil { // three, standard
		t.Fatal(err)
	}
	for _, want := range []string{"three/b", "0.7000", "-33.3", "total", "63.0", "96.3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("leave-one-out detail lacks %q:\n%s", want, out.String())
		}
	}
}

func near(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-9
}
