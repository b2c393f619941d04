package offline

import (
	"fmt"
	"io"
	"strings"

	"github.com/lapor/lapor/services/detector/internal/nab"
)

// Explain writes, file by file, where the detections that make a corpus's
// NAB score fall: for each labelled window, its first detection by the
// score at threshold thr and by the alert column (as a share of the
// window: NAB pays more the earlier it comes), and the detections outside
// every window. Rows in probation are left out, as the score leaves them
// out. It is the evaluation's "why", for whoever tunes the detector.
func Explain(w io.Writer, files []*nab.File, thr float64, p nab.Profile) error {
	var b strings.Builder
	fmt.Fprintf(&b, "detections at threshold %.4f, profile %s\n", thr, p.Name)
	for _, f := range files {
		score, alert := f.AtThreshold(thr), f.Alerts
		fmt.Fprintf(&b, "\n%s: raw %.2f at the threshold, %.2f by the alert column\n",
			f.Name, nab.Raw(score, f.Windows, p), nab.Raw(alert, f.Windows, p))
		for k, win := range f.Windows {
			fmt.Fprintf(&b, "  window %d, %s .. %s (%d rows): score %s, alert %s\n", k+1,
				f.Times[win.Start].Format(explainTime), f.Times[win.End].Format(explainTime), win.Width(),
				firstIn(score, f.Scores, win), firstIn(alert, nil, win))
		}
		prob := nab.Probation(len(f.Times))
		outside := func(d []bool) []int {
			var rows []int
			for i := prob; i < len(d); i++ {
				if d[i] && !inAny(i, f.Windows) {
					rows = append(rows, i)
				}
			}
			return rows
		}
		var parts []string
		for _, i := range outside(score) {
			parts = append(parts, fmt.Sprintf("%s (%.3f, value %g)", f.Times[i].Format(explainTime), f.Scores[i], f.Values[i]))
		}
		fmt.Fprintf(&b, "  outside the windows, score: %d rows%s\n", len(parts), list(parts))
		parts = parts[:0]
		rows := outside(alert)
		for k := 0; k < len(rows); {
			j := k + 1
			for j < len(rows) && rows[j] == rows[j-1]+1 {
				j++
			}
			parts = append(parts, fmt.Sprintf("%s ×%d", f.Times[rows[k]].Format(explainTime), j-k))
			k = j
		}
		fmt.Fprintf(&b, "  outside the windows, alert: %d rows in %d runs%s\n", len(rows), len(parts), list(parts))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const explainTime = "2006-01-02 15:04"

// firstIn describes the first detection in a window: its row from the
// window's start, that row's share of the window and its score (when
// scores are given), or "missed".
func firstIn(d []bool, scores []float64, w nab.Window) string {
	for i := w.Start; i <= w.End; i++ {
		if !d[i] {
			continue
		}
		s := fmt.Sprintf("+%d (%.2f)", i-w.Start, float64(i-w.Start)/float64(w.Width()))
		if scores != nil {
			s += fmt.Sprintf(" at %.3f", scores[i])
		}
		return s
	}
	return "missed"
}

func inAny(i int, ws []nab.Window) bool {
	for _, w := range ws {
		if i >= w.Start && i <= w.End {
			return true
		}
	}
	return false
}

func list(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
