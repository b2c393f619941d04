package offline

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lapor/lapor/services/detector/internal/nab"
)

// EvalOptions choose what an evaluation reads.
type EvalOptions struct {
	Dir     string // NAB folder holding data/ and labels/
	MaxRows int    // rows read from each file, 0 for all (quick runs)
}

// Result is one corpus's scores under one profile.
type Result struct {
	Corpus    string
	Files     int
	Windows   int
	Profile   string
	Threshold float64 // best single threshold on the score
	Best      float64 // normalized score at that threshold
	Alert     float64 // normalized score of the alert column
}

// Overall names the row of all files together.
const Overall = "overall"

// LoadNAB reads, scores and labels every file of the NAB folder, grouped by
// corpus folder.
func LoadNAB(opt EvalOptions, s Settings) (map[string][]*nab.File, error) {
	labels, err := nab.ReadLabels(filepath.Join(opt.Dir, "labels", "combined_windows.json"))
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(opt.Dir, "data", "*", "*.csv"))
	if err != nil {
		return nil, fmt.Errorf("list NAB files: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no data/<corpus>/*.csv under %s", opt.Dir)
	}
	sort.Strings(paths)
	out := make(map[string][]*nab.File)
	for _, p := range paths {
		corpus := filepath.Base(filepath.Dir(p))
		name := corpus + "/" + filepath.Base(p)
		f, err := loadFile(p, name, labels[name], opt.MaxRows, s)
		if err != nil {
			return nil, err
		}
		out[corpus] = append(out[corpus], f)
	}
	return out, nil
}

func loadFile(path, name string, bounds [][2]string, maxRows int, s Settings) (*nab.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer fh.Close()
	times, values, err := nab.ReadSeries(fh)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if maxRows > 0 && len(times) > maxRows {
		times, values = times[:maxRows], values[:maxRows]
	}
	rows, err := Score(times, values, s)
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", name, err)
	}
	windows, err := nab.ToWindows(times, bounds)
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", name, err)
	}
	f := &nab.File{Name: name, Times: times, Values: values, Windows: windows,
		Scores: make([]float64, len(rows)), Alerts: make([]bool, len(rows))}
	for i, r := range rows {
		f.Scores[i], f.Alerts[i] = r.Point.Score, r.Point.Alert
	}
	return f, nil
}

// thresholdCandidates bounds the search for the best threshold.
const thresholdCandidates = 400

// Evaluate scores each corpus and all files together under every profile.
// Corpora without windows get NaN, as NAB's normalisation is undefined
// there; they still weigh in the overall row through their false
// positives.
func Evaluate(corpora map[string][]*nab.File) []Result {
	names := make([]string, 0, len(corpora))
	var all []*nab.File
	for c := range corpora {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		all = append(all, corpora[c]...)
	}
	var out []Result
	for _, p := range nab.Profiles {
		for _, c := range append(names, Overall) {
			files := corpora[c]
			if c == Overall {
				files = all
			}
			w := nab.Windows(files)
			thr, raw := nab.BestThreshold(files, p, thresholdCandidates)
			out = append(out, Result{
				Corpus: c, Files: len(files), Windows: w, Profile: p.Name,
				Threshold: thr,
				Best:      nab.Normalized(raw, w, p),
				Alert:     nab.Normalized(nab.AlertsRaw(files, p), w, p),
			})
		}
	}
	return out
}

// PrintResults writes the results as a table, one block per profile, and
// the realTweets line of the standard profile again at the end.
func PrintResults(w io.Writer, results []Result) error {
	var b strings.Builder
	last := ""
	for _, r := range results {
		if r.Profile != last {
			if last != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "profile %s\n", r.Profile)
			fmt.Fprintf(&b, "%-22s %5s %7s %10s %8s %8s\n", "corpus", "files", "windows", "threshold", "best", "alert")
			last = r.Profile
		}
		fmt.Fprintf(&b, "%-22s %5d %7d %10s %8s %8s\n", r.Corpus, r.Files, r.Windows, num(r.Threshold, 4), num(r.Best, 1), num(r.Alert, 1))
	}
	for _, r := range results {
		if r.Corpus == "realTweets" && r.Profile == nab.Profiles[0].Name {
			fmt.Fprintf(&b, "\nrealTweets standard: best threshold %s, alert column %s\n", num(r.Best, 1), num(r.Alert, 1))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64, prec int) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 1):
		return "never"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
