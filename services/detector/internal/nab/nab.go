// Package nab scores anomaly detections by the rule of the Numenta Anomaly
// Benchmark: labelled windows reward an early detection along a scaled
// sigmoid, a miss costs the false-negative weight, and a detection outside
// every window costs up to the false-positive weight, less if it comes just
// after a window. Raw scores are normalised between a detector that never
// fires (0) and a perfect one (100). This is our own implementation of the
// rule as the dataset's README states it.
package nab

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Profile weighs true positives, misses and false positives.
type Profile struct {
	Name       string
	TP, FN, FP float64
}

// Profiles are NAB's three standard profiles.
var Profiles = []Profile{
	{Name: "standard", TP: 1, FN: 1, FP: 0.11},
	{Name: "reward_low_FP_rate", TP: 1, FN: 1, FP: 0.22},
	{Name: "reward_low_FN_rate", TP: 1, FN: 2, FP: 0.11},
}

// Window is a labelled anomaly window as inclusive row indices.
type Window struct{ Start, End int }

// Width is the number of rows in the window.
func (w Window) Width() int { return w.End - w.Start + 1 }

// sigma is NAB's scaled sigmoid: 1 far before, 0 at, −1 far after.
func sigma(y float64) float64 {
	if y > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

// Probation is how many leading rows of an n-row file are not scored.
func Probation(n int) int {
	p := int(math.Floor(0.15 * float64(n)))
	if p > 750 {
		p = 750
	}
	return p
}

// Raw scores one file: detect[i] says whether row i is a detection.
// Windows must be sorted and not overlap.
func Raw(detect []bool, windows []Window, p Profile) float64 {
	in, worth := worths(len(detect), windows, p)
	score := 0.0
	hit := make([]bool, len(windows))
	for i := Probation(len(detect)); i < len(detect); i++ {
		if !detect[i] {
			continue
		}
		if w := in[i]; w >= 0 {
			if hit[w] {
				continue // only a window's first detection counts
			}
			hit[w] = true
		}
		score += worth[i]
	}
	for _, h := range hit {
		if !h {
			score -= p.FN
		}
	}
	return score
}

// worths says, for each row of an n-row file past probation, which window
// holds it (-1 for none) and what a detection there earns by itself:
// inside a window, the reward if it is the window's first detection;
// outside, the false-positive cost, softened just after a window. Raw and
// Curve share it so that they cannot disagree on the rule.
func worths(n int, windows []Window, p Profile) (in []int, worth []float64) {
	in, worth = make([]int, n), make([]float64, n)
	wi := 0    // index of the first window not yet ended before row i
	prev := -1 // index of the last window that ended before row i
	for i := range in {
		in[i] = -1
	}
	for i := Probation(n); i < n; i++ {
		for wi < len(windows) && windows[wi].End < i {
			prev = wi
			wi++
		}
		switch {
		case wi < len(windows) && windows[wi].Start <= i:
			w := windows[wi]
			in[i] = wi
			y := -float64(w.End-i+1) / float64(w.Width())
			worth[i] = p.TP * sigma(y) / sigma(-1)
		case prev < 0:
			worth[i] = -p.FP
		default:
			w := windows[prev]
			den := float64(w.Width() - 1)
			if den < 1 {
				den = 1
			}
			worth[i] = p.FP * sigma(float64(i-w.End)/den)
		}
	}
	return in, worth
}

// Normalized maps a raw corpus score onto 0 (never fires) … 100 (perfect).
// It is NaN for a corpus without windows, where only false positives count.
func Normalized(raw float64, windows int, p Profile) float64 {
	perfect := p.TP * float64(windows)
	null := -p.FN * float64(windows)
	if perfect == null {
		return math.NaN()
	}
	return 100 * (raw - null) / (perfect - null)
}

// Share is one file's part of its corpus's normalised score: the file's raw
// score above its own null score, on the corpus's scale. The shares of a
// corpus's files add up to Normalized of their summed raw scores, which
// shows where a corpus score is won or lost. It is NaN for a corpus
// without windows.
func Share(raw float64, windows, corpusWindows int, p Profile) float64 {
	scale := (p.TP + p.FN) * float64(corpusWindows)
	if scale == 0 {
		return math.NaN()
	}
	return 100 * (raw + p.FN*float64(windows)) / scale
}

// File is one scored series with its labels.
type File struct {
	Name    string
	Times   []time.Time
	Values  []float64
	Scores  []float64 // anomaly score per row, in [0, 1]
	Alerts  []bool    // rows where the detector sends an alert (opened or escalated)
	Open    []bool    // rows where an incident is open
	Windows []Window
}

// AtThreshold marks rows whose score reaches the threshold.
func (f *File) AtThreshold(thr float64) []bool {
	d := make([]bool, len(f.Scores))
	for i, s := range f.Scores {
		d[i] = s >= thr
	}
	return d
}

// AlertsRaw sums the files' raw scores for their alert columns.
func AlertsRaw(files []*File, p Profile) float64 {
	s := 0.0
	for _, f := range files {
		s += Raw(f.Alerts, f.Windows, p)
	}
	return s
}

// OpenRaw sums the files' raw scores for their open columns: every row of
// an open incident counted as a detection.
func OpenRaw(files []*File, p Profile) float64 {
	s := 0.0
	for _, f := range files {
		s += Raw(f.Open, f.Windows, p)
	}
	return s
}

// Windows counts the labelled windows of the files.
func Windows(files []*File) int {
	n := 0
	for _, f := range files {
		n += len(f.Windows)
	}
	return n
}

// Curve is one file's raw score as a function of the threshold. It is a
// step function that changes only at the file's own scores, so it is
// computed once in one pass from the highest score down, and a threshold
// search then costs a lookup per file instead of a pass over its rows.
type Curve struct {
	steps []float64 // distinct scores of the rows past probation, ascending
	raw   []float64 // raw[k] is the raw score at threshold steps[k]
	none  float64   // the raw score when nothing is detected
}

// NewCurve computes a file's curve under a profile.
func NewCurve(f *File, p Profile) *Curve {
	n := len(f.Scores)
	in, worth := worths(n, f.Windows, p)
	var rows []int
	for i := Probation(n); i < n; i++ {
		if !math.IsNaN(f.Scores[i]) { // NaN never reaches a threshold
			rows = append(rows, i)
		}
	}
	sort.Slice(rows, func(a, b int) bool { return f.Scores[rows[a]] > f.Scores[rows[b]] })

	// Lowering the threshold adds detections: outside the windows each adds
	// its worth; inside, a window is worth its earliest detection's reward,
	// which is its highest, or −FN while it has none.
	first := make([]float64, len(f.Windows))
	hit := make([]bool, len(f.Windows))
	windows := func() float64 {
		s := 0.0
		for w, h := range hit {
			if h {
				s += first[w]
			} else {
				s -= p.FN
			}
		}
		return s
	}
	c := &Curve{none: windows()}
	fp, win := 0.0, c.none
	for k := 0; k < len(rows); {
		s := f.Scores[rows[k]]
		changed := false
		for ; k < len(rows) && f.Scores[rows[k]] == s; k++ {
			i := rows[k]
			w := in[i]
			switch {
			case w < 0:
				fp += worth[i]
			case !hit[w] || worth[i] > first[w]:
				hit[w], first[w], changed = true, worth[i], true
			}
		}
		if changed {
			win = windows()
		}
		c.steps = append(c.steps, s)
		c.raw = append(c.raw, fp+win)
	}
	slices.Reverse(c.steps)
	slices.Reverse(c.raw)
	return c
}

// At is the file's raw score at threshold thr, as Raw(f.AtThreshold(thr),
// f.Windows, p) would give it.
func (c *Curve) At(thr float64) float64 {
	k := sort.SearchFloat64s(c.steps, thr) // the lowest score reaching thr
	if k == len(c.steps) {
		return c.none
	}
	return c.raw[k]
}

// Search chooses single thresholds over a set of files under one profile,
// on all of them (Best) or on all but one (LeaveOneOut). It computes each
// file's curve and distinct scores once for every search it serves.
// Candidates are the distinct scores (thinned to at most maxCandidates by
// quantile) and a threshold above every score; ties go to the lowest.
type Search struct {
	files    []*File
	curves   []*Curve
	distinct [][]float64 // each file's distinct scores, ascending
	pool     []float64   // the distinct scores of all files, ascending
	holders  []int       // how many files hold each pool score
	max      int
}

// NewSearch prepares the searches over files under p, each trying at most
// maxCandidates scores (0 for all) besides a threshold above every score.
func NewSearch(files []*File, p Profile, maxCandidates int) *Search {
	s := &Search{files: files, max: maxCandidates}
	var all []float64
	for _, f := range files {
		s.curves = append(s.curves, NewCurve(f, p))
		d := slices.Compact(slices.Sorted(slices.Values(f.Scores)))
		d = slices.DeleteFunc(d, math.IsNaN) // NaN never reaches a threshold
		s.distinct = append(s.distinct, d)
		all = append(all, d...)
	}
	slices.Sort(all)
	for i, v := range all {
		if i > 0 && v == all[i-1] {
			s.holders[len(s.holders)-1]++
			continue
		}
		s.pool = append(s.pool, v)
		s.holders = append(s.holders, 1)
	}
	return s
}

// Best is the one threshold for all the search's files that maximises
// their summed raw score, and that score.
func (s *Search) Best() (thr, raw float64) { return s.best(-1) }

// Raw is file i's raw score at threshold thr, from its curve.
func (s *Search) Raw(i int, thr float64) float64 { return s.curves[i].At(thr) }

// Held is one file's leave-one-out result.
type Held struct {
	File      string
	Threshold float64 // the best single threshold of the other files
	Raw       float64 // the file's raw score at that threshold
}

// LeaveOneOut scores each file at the best single threshold of the other
// files, chosen as Best chooses it from their scores alone, so no
// setting is chosen on the file being scored. It is nil for fewer than two
// files, where nothing is left to choose on.
func (s *Search) LeaveOneOut() []Held {
	if len(s.files) < 2 {
		return nil
	}
	out := make([]Held, len(s.files))
	for i, f := range s.files {
		thr, _ := s.best(i)
		out[i] = Held{File: f.Name, Threshold: thr, Raw: s.curves[i].At(thr)}
	}
	return out
}

// best searches the files other than skip (-1 for none): it tries their
// distinct scores, thinned by quantile, and a threshold above every score,
// and keeps the lowest of those with the highest summed raw score.
func (s *Search) best(skip int) (thr, raw float64) {
	var own []float64
	if skip >= 0 {
		own = s.distinct[skip]
	}
	cands := make([]float64, 0, len(s.pool)+1)
	j := 0
	for k, v := range s.pool {
		n := s.holders[k]
		for j < len(own) && own[j] < v {
			j++
		}
		if j < len(own) && own[j] == v {
			n-- // the skipped file's own score is no candidate
		}
		if n > 0 {
			cands = append(cands, v)
		}
	}
	if s.max > 0 && len(cands) > s.max {
		thin := make([]float64, 0, s.max)
		for k := 0; k < s.max; k++ {
			thin = append(thin, cands[k*(len(cands)-1)/(s.max-1)])
		}
		cands = thin
	}
	cands = append(cands, math.Inf(1))
	thr, raw = math.Inf(1), math.Inf(-1)
	for _, c := range cands {
		sum := 0.0
		for i, cv := range s.curves {
			if i != skip {
				sum += cv.At(c)
			}
		}
		if sum > raw {
			thr, raw = c, sum
		}
	}
	return thr, raw
}

// TimeLayout is the timestamp layout of NAB's data and of the score tool.
const TimeLayout = "2006-01-02 15:04:05"

// ReadSeries reads a CSV with a header whose first two columns are
// timestamp and value.
func ReadSeries(r io.Reader) (times []time.Time, values []float64, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	if len(header) < 2 || strings.TrimSpace(header[0]) != "timestamp" || strings.TrimSpace(header[1]) != "value" {
		return nil, nil, fmt.Errorf("header %q: want timestamp,value", strings.Join(header, ","))
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) < 2 {
			return nil, nil, fmt.Errorf("line %d: want 2 fields", line)
		}
		ts := strings.TrimSpace(rec[0])
		if len(ts) > 19 {
			ts = ts[:19]
		}
		t, err := time.Parse(TimeLayout, ts)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: timestamp: %w", line, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("line %d: value %q is not a number", line, rec[1])
		}
		times = append(times, t)
		values = append(values, v)
	}
	return times, values, nil
}

// Labels maps a file's corpus-relative path to its windows' time bounds.
type Labels map[string][][2]string

// ReadLabels reads NAB's combined_windows.json.
func ReadLabels(path string) (Labels, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	var l Labels
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("parse labels %s: %w", path, err)
	}
	return l, nil
}

// ToWindows turns time bounds into row windows over times (compared on the
// first 19 characters, as NAB's labels carry a fractional suffix).
func ToWindows(times []time.Time, bounds [][2]string) ([]Window, error) {
	var out []Window
	for _, b := range bounds {
		var tt [2]time.Time
		for k := 0; k < 2; k++ {
			s := b[k]
			if len(s) > 19 {
				s = s[:19]
			}
			t, err := time.Parse(TimeLayout, s)
			if err != nil {
				return nil, fmt.Errorf("window bound %q: %w", b[k], err)
			}
			tt[k] = t
		}
		start := sort.Search(len(times), func(i int) bool { return !times[i].Before(tt[0]) })
		end := sort.Search(len(times), func(i int) bool { return times[i].After(tt[1]) }) - 1
		if start > end {
			continue // no rows inside
		}
		out = append(out, Window{Start: start, End: end})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, nil
}
