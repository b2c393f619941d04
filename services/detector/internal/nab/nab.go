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
	n := len(detect)
	prob := Probation(n)
	score := 0.0
	wi := 0    // index of the first window not yet ended before row i
	prev := -1 // index of the last window that ended before row i
	hit := make([]bool, len(windows))
	for i := prob; i < n; i++ {
		for wi < len(windows) && windows[wi].End < i {
			prev = wi
			wi++
		}
		if !detect[i] {
			continue
		}
		if wi < len(windows) && windows[wi].Start <= i {
			w := windows[wi]
			if !hit[wi] {
				hit[wi] = true
				y := -float64(w.End-i+1) / float64(w.Width())
				score += p.TP * sigma(y) / sigma(-1)
			}
			continue
		}
		if prev < 0 {
			score -= p.FP
			continue
		}
		w := windows[prev]
		den := float64(w.Width() - 1)
		if den < 1 {
			den = 1
		}
		score += p.FP * sigma(float64(i-w.End)/den)
	}
	for _, h := range hit {
		if !h {
			score -= p.FN
		}
	}
	return score
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

// File is one scored series with its labels.
type File struct {
	Name    string
	Times   []time.Time
	Values  []float64
	Scores  []float64 // anomaly score per row, in [0, 1]
	Alerts  []bool    // the detector's own decision per row
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

// CorpusRaw sums the files' raw scores at a threshold.
func CorpusRaw(files []*File, thr float64, p Profile) float64 {
	s := 0.0
	for _, f := range files {
		s += Raw(f.AtThreshold(thr), f.Windows, p)
	}
	return s
}

// AlertsRaw sums the files' raw scores for their alert columns.
func AlertsRaw(files []*File, p Profile) float64 {
	s := 0.0
	for _, f := range files {
		s += Raw(f.Alerts, f.Windows, p)
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

// BestThreshold finds the one threshold for all files that maximises the
// corpus's raw score. Candidates are the distinct scores (thinned to at most
// maxCandidates by quantile) and a threshold above every score.
func BestThreshold(files []*File, p Profile, maxCandidates int) (thr, raw float64) {
	var all []float64
	for _, f := range files {
		all = append(all, f.Scores...)
	}
	sort.Float64s(all)
	var cands []float64
	for i, v := range all {
		if i == 0 || v != all[i-1] {
			cands = append(cands, v)
		}
	}
	if maxCandidates > 0 && len(cands) > maxCandidates {
		thin := make([]float64, 0, maxCandidates)
		for k := 0; k < maxCandidates; k++ {
			thin = append(thin, cands[k*(len(cands)-1)/(maxCandidates-1)])
		}
		cands = thin
	}
	cands = append(cands, math.Inf(1))
	thr, raw = math.Inf(1), math.Inf(-1)
	for _, c := range cands {
		if s := CorpusRaw(files, c, p); s > raw {
			thr, raw = c, s
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
