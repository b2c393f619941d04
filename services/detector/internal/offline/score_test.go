package offline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

func settings() Settings {
	return Settings{Params: spike.DefaultParams(), Recent: time.Hour, Weeks: 4}
}

// series writes a timestamp,value CSV of n rows step apart: steady
// traffic of about 30 and a burst of 300 over rows [burst, burst+5).
func series(n int, step time.Duration, burst int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2015, 2, 26, 21, 42, 53, 0, time.UTC)
	for i := 0; i < n; i++ {
		v := 28 + (i*7)%5
		if i >= burst && i < burst+5 {
			v = 300
		}
		fmt.Fprintf(&b, "%s,%d\n", t0.Add(time.Duration(i)*step).Format("2006-01-02 15:04:05"), v)
	}
	return b.String()
}

func TestScoreCSV(t *testing.T) {
	for _, step := range []time.Duration{time.Minute, 5 * time.Minute, time.Hour} {
		t.Run(step.String(), func(t *testing.T) {
			in := series(400, step, 300)
			var out bytes.Buffer
			if err := ScoreCSV(strings.NewReader(in), &out, settings()); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&out).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			inRecs, _ := csv.NewReader(strings.NewReader(in)).ReadAll()
			if len(recs) != len(inRecs) {
				t.Fatalf("%d output rows, want %d", len(recs), len(inRecs))
			}
			if got := strings.Join(recs[0], ","); got != "timestamp,value,anomaly_score,alert,open" {
				t.Fatalf("header %q", got)
			}
			for i, r := range recs[1:] {
				if r[0] != inRecs[i+1][0] || r[1] != inRecs[i+1][1] {
					t.Fatalf("row %d: %v, want the input's %v verbatim", i+2, r[:2], inRecs[i+1])
				}
				s, err := strconv.ParseFloat(r[2], 64)
				if err != nil || s < 0 || s > 1 {
					t.Fatalf("row %d: score %q not in [0, 1]", i+2, r[2])
				}
				if (r[3] != "0" && r[3] != "1") || (r[4] != "0" && r[4] != "1") {
					t.Fatalf("row %d: alert %q, open %q", i+2, r[3], r[4])
				}
				if r[3] == "1" && r[4] != "1" {
					t.Fatalf("row %d: an alert without an open incident: %v", i+2, r)
				}
				row := i + 1 // 1-based data row
				if row == 301 && (r[3] != "1" || r[4] != "1") {
					t.Fatalf("no alert at the burst's first row: %v", r)
				}
				if row > 301 && r[3] == "1" {
					// one burst, one level: the alert went out at its first row
					t.Fatalf("a second alert at row %d: %v", row, r)
				}
				if row > 100 && row < 300 && (r[3] == "1" || r[4] == "1") {
					t.Fatalf("alert at row %d of steady traffic", row)
				}
			}
		})
	}
}

func TestScoreCSVBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"missing header", "2015-02-26 21:42:53,3\n", "want timestamp,value"},
		{"wrong header", "time,count\n2015-02-26 21:42:53,3\n", "want timestamp,value"},
		{"no rows", "timestamp,value\n", "no rows"},
		{"bad timestamp", "timestamp,value\n2015-02-26T21:42:53Z,3\n", "line 2: timestamp"},
		{"non-numeric value", "timestamp,value\n2015-02-26 21:42:53,3\n2015-02-26 21:47:53,many\n", "line 3: value \"many\" is not a number"},
		{"NaN value", "timestamp,value\n2015-02-26 21:42:53,NaN\n", "not a number"},
		{"one field", "timestamp,value\n2015-02-26 21:42:53\n", "line 2: want timestamp,value"},
		{"time going back", "timestamp,value\n2015-02-26 21:47:53,3\n2015-02-26 21:42:53,3\n", "not after the previous one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := ScoreCSV(strings.NewReader(tt.in), &out, settings())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ScoreCSV = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestScoreIsCausal(t *testing.T) {
	const n, k = 3000, 1800
	base := series(n, 5*time.Minute, 2500)
	var a bytes.Buffer
	if err := ScoreCSV(strings.NewReader(base), &a, settings()); err != nil {
		t.Fatal(err)
	}
	// The same first k rows, then something else entirely.
	lines := strings.Split(strings.TrimSpace(base), "\n")
	for i := k + 1; i < len(lines); i++ {
		ts := strings.Split(lines[i], ",")[0]
		lines[i] = fmt.Sprintf("%s,%d", ts, (i*37)%900)
	}
	var b bytes.Buffer
	if err := ScoreCSV(strings.NewReader(strings.Join(lines, "\n")+"\n"), &b, settings()); err != nil {
		t.Fatal(err)
	}
	la := strings.Split(a.String(), "\n")
	lb := strings.Split(b.String(), "\n")
	for i := 0; i <= k; i++ {
		if la[i] != lb[i] {
			t.Fatalf("row %d changed with later rows: %q vs %q", i, la[i], lb[i])
		}
	}
	if a.String() == b.String() {
		t.Fatal("later rows changed nothing at all")
	}
}

func TestInferStep(t *testing.T) {
	t0 := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m ...int) []time.Time {
		var out []time.Time
		for _, x := range m {
			out = append(out, t0.Add(time.Duration(x)*time.Minute))
		}
		return out
	}
	tests := []struct {
		name  string
		times []time.Time
		want  time.Duration
	}{
		{"even", at(0, 5, 10, 15), 5 * time.Minute},
		{"a missing row does not change it", at(0, 5, 10, 20, 25, 30), 5 * time.Minute},
		{"hourly", at(0, 60, 120), time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InferStep(tt.times)
			if err != nil || got != tt.want {
				t.Fatalf("InferStep = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
