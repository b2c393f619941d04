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
	// LOO is the normalized score of the files each scored at the best
	// single threshold of the corpus's other files: unlike Best, no
	// setting is chosen on the file being scored. NaN for one file.
	LOO  float64
	Held []HeldOut // LOO file by file, nil for one file
	// Alert is the normalized score of the alert column: the rows where an
	// alert goes out (an incident opened or escalated), as a partner
	// receives them. Open counts every row of an open incident instead,
	// as a status page shows it.
	Alert float64
	Open  float64
}

// HeldOut is one file's part in a leave-one-out score. Its shares are on
// the corpus's normalised scale, so the files' shares add up to the
// corpus's LOO and Best.
type HeldOut struct {
	File      string
	Windows   int
	Threshold float64 // best single threshold of the corpus's other files
	Share     float64 // the file's share of LOO, scored at Threshold
	AtBest    float64 // its share of Best, at the corpus's threshold
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
		Scores: make([]float64, len(rows)), Alerts: make([]bool, len(rows)), Open: make([]bool, len(rows))}
	for i, r := range rows {
		f.Scores[i], f.Alerts[i], f.Open[i] = r.Point.Score, r.Point.Alerted(), r.Point.Alert
	}
	return f, nil
}

// thresholdCandidates bounds the search for the best threshold.
const thresholdCandidates = 400

// Evaluate scores each corpus and all files together under every profile.
// Corpora without windows get NaN, as NAB's normalisation is undefined
// there; they still weigh in the overall row through their false
// positives. The overall row's leave-one-out leaves one file out of all.
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
			out = append(out, evaluate(c, files, p))
		}
	}
	return out
}

// evaluate scores one corpus under one profile.
func evaluate(corpus string, files []*nab.File, p nab.Profile) Result {
	w := nab.Windows(files)
	search := nab.NewSearch(files, p, thresholdCandidates)
	thr, raw := search.Best()
	r := Result{
		Corpus: corpus, Files: len(files), Windows: w, Profile: p.Name,
		Threshold: thr,
		Best:      nab.Normalized(raw, w, p),
		LOO:       math.NaN(),
		Alert:     nab.Normalized(nab.AlertsRaw(files, p), w, p),
		Open:      nab.Normalized(nab.OpenRaw(files, p), w, p),
	}
	held := search.LeaveOneOut()
	if held == nil {
		return r
	}
	looRaw := 0.0
	for i, h := range held {
		f := files[i]
		looRaw += h.Raw
		r.Held = append(r.Held, HeldOut{
			File: f.Name, Windows: len(f.Windows), Threshold: h.Threshold,
			Share:  nab.Share(h.Raw, len(f.Windows), w, p),
			AtBest: nab.Share(search.Raw(i, thr), len(f.Windows), w, p),
		})
	}
	r.LOO = nab.Normalized(looRaw, w, p)
	return r
}

// summaryCorpus is the corpus PrintResults repeats at the end: the public
// data closest to crowdsourced reports.
const summaryCorpus = "realTweets"

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
			fmt.Fprintf(&b, "%-22s %5s %7s %10s %8s %8s %8s %8s\n", "corpus", "files", "windows", "threshold", "best", "loo", "alert", "open")
			last = r.Profile
		}
		fmt.Fprintf(&b, "%-22s %5d %7d %10s %8s %8s %8s %8s\n", r.Corpus, r.Files, r.Windows, num(r.Threshold, 4), num(r.Best, 1), num(r.LOO, 1), num(r.Alert, 1), num(r.Open, 1))
	}
	for _, r := range results {
		if r.Corpus == summaryCorpus && r.Profile == nab.Profiles[0].Name {
			fmt.Fprintf(&b, "\n%s %s: best threshold %s, leave-one-out %s, alert column %s (open rows %s)\n",
				r.Corpus, r.Profile, num(r.Best, 1), num(r.LOO, 1), num(r.Alert, 1), num(r.Open, 1))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PrintLOO writes a result's leave-one-out file by file: the threshold the
// other files chose and the file's share of the corpus score there, beside
// its share at the corpus's own best threshold, so that the file that
// loses most when it cannot choose shows.
func PrintLOO(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "leave-one-out, %s, profile %s: each file at the best threshold of the other %d\n", r.Corpus, r.Profile, r.Files-1)
	if r.Held == nil {
		b.WriteString("  undefined: one file, nothing to choose on\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "%-42s %7s %10s %8s %8s %8s\n", "file", "windows", "threshold", "loo", "best", "change")
	for _, h := range r.Held {
		fmt.Fprintf(&b, "%-42s %7d %10s %8s %8s %8s\n", h.File, h.Windows, num(h.Threshold, 4), num(h.Share, 1), num(h.AtBest, 1), num(h.Share-h.AtBest, 1))
	}
	fmt.Fprintf(&b, "%-42s %7d %10s %8s %8s %8s\n", "total", r.Windows, "", num(r.LOO, 1), num(r.Best, 1), num(r.LOO-r.Best, 1))
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
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Trim(s, "-0.") == "" {
		return s[strings.Count(s, "-"):] // no "-0.0" for a tiny loss
	}
	return s
}
