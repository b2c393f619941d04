// Package offline runs the detector's statistics over recorded series: the
// score tool (one CSV in, the same CSV with an anomaly score and the alert
// column out) and the evaluation on the Numenta Anomaly Benchmark. Both go
// through spike.Stream, the causal twin of the detector service's cycle.
package offline

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/lapor/lapor/services/detector/internal/nab"
	"github.com/lapor/lapor/services/shared/spike"
)

// Settings are what a stream needs beyond the series: the detector's
// thresholds, its recent window and how many past weeks it reads.
type Settings struct {
	Params spike.Params
	Recent time.Duration
	Weeks  int
}

// Row is one scored row of a series.
type Row struct {
	Time  time.Time
	Value float64
	Point spike.Point
}

// InferStep returns the spacing of evenly spaced timestamps: the median
// of the differences between neighbours, so that a rare missing row does
// not change it. It must be positive.
func InferStep(times []time.Time) (time.Duration, error) {
	if len(times) < 2 {
		return 0, fmt.Errorf("need at least 2 rows to know the spacing, got %d", len(times))
	}
	d := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		if !times[i].After(times[i-1]) {
			return 0, fmt.Errorf("row %d: timestamp %s is not after the previous one", i+1, times[i].Format(nab.TimeLayout))
		}
		d = append(d, times[i].Sub(times[i-1]))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], nil
}

// Score runs a stream over a series, row by row: each row's verdict uses
// that row and earlier ones only.
func Score(times []time.Time, values []float64, s Settings) ([]Row, error) {
	step := time.Minute // one row says nothing of the spacing: production's
	if len(times) > 1 {
		var err error
		if step, err = InferStep(times); err != nil {
			return nil, err
		}
	}
	st, err := spike.NewStream(s.Params, step, s.Recent, s.Weeks)
	if err != nil {
		return nil, fmt.Errorf("start stream: %w", err)
	}
	rows := make([]Row, len(times))
	for i, t := range times {
		rows[i] = Row{Time: t, Value: values[i], Point: st.Observe(t, values[i])}
	}
	return rows, nil
}

// ScoreCSV reads a timestamp,value CSV from r and writes
// timestamp,value,anomaly_score,alert,open to w, timestamps and values as
// they came in: alert is 1 on the rows where an alert goes out (an incident
// opened or escalated), open is 1 on every row of an open incident.
func ScoreCSV(r io.Reader, w io.Writer, s Settings) error {
	raw, err := readRaw(r)
	if err != nil {
		return err
	}
	times := make([]time.Time, len(raw))
	values := make([]float64, len(raw))
	for i, rec := range raw {
		times[i], values[i] = rec.t, rec.v
	}
	rows, err := Score(times, values, s)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"timestamp", "value", "anomaly_score", "alert", "open"}); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	for i, row := range rows {
		score := strconv.FormatFloat(row.Point.Score, 'f', 6, 64)
		if err := cw.Write([]string{raw[i].ts, raw[i].val, score, flag(row.Point.Alerted()), flag(row.Point.Alert)}); err != nil {
			return fmt.Errorf("write row %d: %w", i+2, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// rawRow is an input row with its text kept verbatim.
type rawRow struct {
	ts, val string
	t       time.Time
	v       float64
}

// readRaw reads a timestamp,value CSV, keeping each row's text.
func readRaw(r io.Reader) ([]rawRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty input: want a timestamp,value header")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if len(header) < 2 || trimBOM(header[0]) != "timestamp" || header[1] != "value" {
		return nil, fmt.Errorf("header %q: want timestamp,value", header)
	}
	var out []rawRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("line %d: want timestamp,value, got %d field(s)", line, len(rec))
		}
		t, err := time.Parse(nab.TimeLayout, rec[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: timestamp %q: want YYYY-MM-DD HH:MM:SS", line, rec[0])
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("line %d: value %q is not a number", line, rec[1])
		}
		out = append(out, rawRow{ts: rec[0], val: rec[1], t: t, v: v})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no rows after the header")
	}
	return out, nil
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\ufeff" {
		return s[3:]
	}
	return s
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
