package offline

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/detector/internal/nab"
	"github.com/lapor/lapor/services/shared/spike"
	"time"
)

func TestScratchDetail(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	corpora, err := LoadNAB(EvalOptions{Dir: "/work/shared/datasets/nab"}, scratchSettings())
	if err != nil {
		t.Fatal(err)
	}
	files := corpora[os.Getenv("CORPUS")]
	p := nab.Profiles[0]
	thr, raw := nab.BestThreshold(files, p, 0)
	fmt.Printf("best thr %.4f raw %.2f norm %.1f\n", thr, raw, nab.Normalized(raw, nab.Windows(files), p))
	for _, f := range files {
		fmt.Printf("== %s rows %d prob %d raw(thr) %.2f raw(alert) %.2f\n", f.Name, len(f.Times), nab.Probation(len(f.Times)), nab.Raw(f.AtThreshold(thr), f.Windows, p), nab.Raw(f.Alerts, f.Windows, p))
		for _, w := range f.Windows {
			mx, at := 0.0, 0
			for i := w.Start; i <= w.End; i++ {
				if f.Values[i] > mx {
					mx, at = f.Values[i], i
				}
			}
			fmt.Printf("  window %d-%d (%s .. %s) max %.0f at +%d\n", w.Start, w.End, f.Times[w.Start].Format("01-02 15:04"), f.Times[w.End].Format("01-02 15:04"), mx, at-w.Start)
		}
		in := func(i int) string {
			for k, w := range f.Windows {
				if i >= w.Start && i <= w.End {
					return fmt.Sprintf("W%d+%d", k, i-w.Start)
				}
			}
			return "FP"
		}
		var sb strings.Builder
		for i := 0; i < len(f.Alerts); i++ {
			if f.Alerts[i] && (i == 0 || !f.Alerts[i-1]) {
				j := i
				for j < len(f.Alerts) && f.Alerts[j] {
					j++
				}
				fmt.Fprintf(&sb, "  alert %d..%d (%d rows) %s %s v=%.0f\n", i, j-1, j-i, f.Times[i].Format("01-02 15:04"), in(i), f.Values[i])
			}
		}
		for i, s := range f.Scores {
			if s >= thr*0.6 {
				fmt.Fprintf(&sb, "  score %d %.3f %s %s v=%.0f\n", i, s, f.Times[i].Format("01-02 15:04"), in(i), f.Values[i])
			}
		}
		fmt.Print(sb.String())
	}
}

func scratchSettings() Settings {
	p := spike.DefaultParams()
	return Settings{Params: p, Recent: time.Hour, Weeks: 4}
}

func xTestScratchAround(t *testing.T) {
	name, at, n := os.Getenv("FILE"), 0, 12
	if name == "" {
		t.Skip()
	}
	fmt.Sscan(os.Getenv("AT"), &at)
	if s := os.Getenv("N"); s != "" {
		fmt.Sscan(s, &n)
	}
	fh, _ := os.Open("/work/shared/datasets/nab/data/realTweets/" + name + ".csv")
	times, values, _ := nab.ReadSeries(fh)
	rows, _ := Score(times, values, scratchSettings())
	for i := max(0, at-n); i < min(len(rows), at+n); i++ {
		r := rows[i].Point
		fmt.Printf("%d %s v=%5.0f e=%7.1f z=%6.2f lvl=%d src=%d kind=%d alert=%v score=%.3f\n", i, times[i].Format("01-02 15:04"), values[i], r.Expected, r.Z, r.Level, r.Source, r.Kind, r.Alert, r.Score)
	}
}
