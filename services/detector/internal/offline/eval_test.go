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
			if !math.IsNaN(r.Best) {
				t.Errorf("%s/%s: score %v without windows, want none", r.Corpus, r.Profile, r.Best)
			}
			continue
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
	for _, want := range []string{"profile standard", "profile reward_low_FP_rate", "profile reward_low_FN_rate", "realTweets", Overall, "realTweets standard:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
