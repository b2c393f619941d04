package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/baseline"
)

type seriesBody struct {
	Service string `json:"service"`
	From    string `json:"from"`
	To      string `json:"to"`
	Step    int64  `json:"step"`
	Unit    string `json:"unit"`
	Points  []struct {
		T         string  `json:"t"`
		Reports   uint64  `json:"reports"`
		Reporters uint64  `json:"reporters"`
		Baseline  float64 `json:"baseline"`
	} `json:"points"`
}

func decodeSeries(t *testing.T, body []byte) seriesBody {
	t.Helper()
	var s seriesBody
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("decode series: %v: %s", err, body)
	}
	return s
}

// reportsAt makes n reports for a service at ts, from reporters r0..r(m-1)
// in turn.
func reportsAt(prefix, service string, ts time.Time, n, reporters int) []row {
	var out []row
	for i := 0; i < n; i++ {
		out = append(out, row{
			id: fmt.Sprintf("%s-%d", prefix, i), service: service, symptom: "app", country: "ID",
			reporter: fmt.Sprintf("%s-r%d", prefix, i%reporters), ts: ts,
		})
	}
	return out
}

func TestSeriesCountsAndBaseline(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC) // a Monday, aligned to 15m
	week := baseline.Week
	var rows []row
	// The window: bucket 0 has 3 reports from 2 reporters split across its
	// edges, bucket 1 none, bucket 2 one; reports just outside the window
	// must not count.
	rows = append(rows, reportsAt("b0a", "whatsapp", t0.Add(time.Minute), 2, 1)...)
	rows = append(rows, reportsAt("b0b", "whatsapp", t0.Add(15*time.Minute-time.Second), 1, 1)...)
	rows = append(rows, reportsAt("b2", "whatsapp", t0.Add(31*time.Minute), 1, 1)...)
	rows = append(rows, reportsAt("before", "whatsapp", t0.Add(-time.Second), 5, 5)...)
	rows = append(rows, reportsAt("after", "whatsapp", t0.Add(2*time.Hour), 5, 5)...)
	// History of bucket 0: 4, 2, 6, 10 reports 1..4 weeks back (median 5) and
	// 100 five weeks back, which is too old to count. Bucket 1's past slots
	// are empty weeks after the service's first report: zeros.
	for k, n := range map[int]int{1: 4, 2: 2, 3: 6, 4: 10, 5: 100} {
		rows = append(rows, reportsAt(fmt.Sprintf("w%d", k), "whatsapp", t0.Add(-time.Duration(k)*week+7*time.Minute), n, n)...)
	}
	// Another service: its history begins two weeks back, so the weeks
	// before must not count as zeros (median of 3 and 5, not of 3, 5, 0, 0).
	rows = append(rows, reportsAt("g1", "gojek", t0.Add(-week), 3, 3)...)
	rows = append(rows, reportsAt("g2", "gojek", t0.Add(-2*week), 5, 5)...)
	f.insert(t, rows...)

	from, to := t0.Add(7*time.Minute), t0.Add(2*time.Hour)
	rec := f.get(t, "/api/v1/services/whatsapp/series?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)+"&step=15m")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=5" {
		t.Errorf("Cache-Control = %q", got)
	}
	s := decodeSeries(t, rec.Body.Bytes())
	if s.Service != "whatsapp" || s.From != "2025-03-10T10:00:00Z" || s.To != "2025-03-10T12:00:00Z" || s.Step != 900 || s.Unit != "reports per 15 minutes" {
		t.Errorf("header fields = %+v", s)
	}
	type pt struct {
		t                  string
		reports, reporters uint64
		baseline           float64
	}
	want := []pt{
		{"2025-03-10T10:00:00Z", 3, 2, 5},
		{"2025-03-10T10:15:00Z", 0, 0, 0},
		{"2025-03-10T10:30:00Z", 1, 1, 0},
		{"2025-03-10T10:45:00Z", 0, 0, 0},
		{"2025-03-10T11:00:00Z", 0, 0, 0},
		{"2025-03-10T11:15:00Z", 0, 0, 0},
		{"2025-03-10T11:30:00Z", 0, 0, 0},
		{"2025-03-10T11:45:00Z", 0, 0, 0},
	}
	if len(s.Points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(s.Points), len(want), s.Points)
	}
	for i, w := range want {
		p := s.Points[i]
		if got := (pt{p.T, p.Reports, p.Reporters, p.Baseline}); got != w {
			t.Errorf("point %d = %+v, want %+v", i, got, w)
		}
	}

	rec = f.get(t, "/api/v1/services/gojek/series?from="+t0.Format(time.RFC3339)+"&to="+t0.Add(time.Hour).Format(time.RFC3339)+"&step=1h")
	s = decodeSeries(t, rec.Body.Bytes())
	if len(s.Points) != 1 || s.Points[0].Baseline != 4 || s.Points[0].Reports != 0 || s.Unit != "reports per hour" {
		t.Errorf("gojek series = %+v, want one zero point with baseline 4", s)
	}
}

// A step that does not divide a week still compares each bucket with the
// slots exactly 1..4 weeks before it.
func TestSeriesBaselineStepNotDividingWeek(t *testing.T) {
	f := newFixture(t)
	step := 11 * time.Minute
	if baseline.Week%step == 0 {
		t.Fatal("test needs a step that does not divide a week")
	}
	t0 := time.Unix(time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC).Unix()/660*660, 0).UTC()
	var rows []row
	for k := 1; k <= 4; k++ {
		slot := t0.Add(-time.Duration(k) * baseline.Week)
		rows = append(rows, reportsAt(fmt.Sprintf("in%d", k), "bca", slot.Add(30*time.Second), k, k)...)
		// Just outside the slot on each side.
		rows = append(rows, reportsAt(fmt.Sprintf("lo%d", k), "bca", slot.Add(-30*time.Second), 7, 7)...)
		rows = append(rows, reportsAt(fmt.Sprintf("hi%d", k), "bca", slot.Add(step), 7, 7)...)
	}
	f.insert(t, rows...)
	rec := f.get(t, "/api/v1/services/bca/series?from="+t0.Format(time.RFC3339)+"&to="+t0.Add(step).Format(time.RFC3339)+"&step=660")
	s := decodeSeries(t, rec.Body.Bytes())
	if len(s.Points) != 1 || s.Points[0].Baseline != 2.5 || s.Unit != "reports per 11 minutes" {
		t.Errorf("series = %+v, want one point with baseline 2.5 (median of 1, 2, 3, 4)", s)
	}
}

func TestSeriesDefaults(t *testing.T) {
	f := newFixture(t)
	f.insert(t, reportsAt("now", "whatsapp", testNow.Add(-time.Minute), 2, 2)...)
	rec := f.get(t, "/api/v1/services/whatsapp/series")
	s := decodeSeries(t, rec.Body.Bytes())
	// 24h back from 12:07:30 aligned down to 15m is 12:00 the day before:
	// 97 buckets, the last one partial.
	if s.From != "2025-03-09T12:00:00Z" || s.To != "2025-03-10T12:07:30Z" || s.Step != 900 || len(s.Points) != 97 {
		t.Fatalf("defaults = from %s to %s step %d, %d points", s.From, s.To, s.Step, len(s.Points))
	}
	if last := s.Points[96]; last.T != "2025-03-10T12:00:00Z" || last.Reports != 2 {
		t.Errorf("last point = %+v, want 2 reports at 12:00", last)
	}
}

func TestSeriesParameters(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, query string
		status      int
		code, field string
		points      int
	}{
		{"step as seconds", "from=2025-03-10T00:00:00Z&to=2025-03-10T01:00:00Z&step=600", 200, "", "", 6},
		{"step as duration", "from=2025-03-10T00:00:00Z&to=2025-03-10T01:00:00Z&step=1h", 200, "", "", 1},
		{"one day step", "from=2025-03-01T00:00:00Z&to=2025-03-10T00:00:00Z&step=24h", 200, "", "", 9},
		{"exactly 2000 points", "from=2025-03-01T00:00:00Z&to=2025-03-02T09:20:00Z&step=1m", 200, "", "", 2000},
		{"zone offset", "from=2025-03-10T07:00:00%2B07:00&to=2025-03-10T01:00:00Z&step=1h", 200, "", "", 1},
		{"bad from", "from=yesterday", 400, "invalid_parameter", "from", 0},
		{"bad to", "to=2025-03-10", 400, "invalid_parameter", "to", 0},
		{"bad step", "step=fortnight", 400, "invalid_parameter", "step", 0},
		{"step too small", "step=30s", 400, "invalid_parameter", "step", 0},
		{"step too large", "step=25h", 400, "invalid_parameter", "step", 0},
		{"step not whole minutes", "step=90s", 400, "invalid_parameter", "step", 0},
		{"step zero", "step=0", 400, "invalid_parameter", "step", 0},
		{"step negative", "step=-15m", 400, "invalid_parameter", "step", 0},
		{"from after to", "from=2025-03-10T02:00:00Z&to=2025-03-10T01:00:00Z", 400, "invalid_parameter", "from", 0},
		{"from equals to", "from=2025-03-10T01:00:00Z&to=2025-03-10T01:00:00Z", 400, "invalid_parameter", "from", 0},
		{"before 1970", "from=1960-01-01T00:00:00Z&to=2025-03-10T01:00:00Z", 400, "invalid_parameter", "from", 0},
		{"after 2106", "from=2025-03-10T00:00:00Z&to=2200-01-01T00:00:00Z", 400, "invalid_parameter", "to", 0},
		{"2001 points", "from=2025-03-01T00:00:00Z&to=2025-03-02T09:21:00Z&step=1m", 400, "range_too_large", "", 0},
		{"default step over a year", "from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", 400, "range_too_large", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.get(t, "/api/v1/services/whatsapp/series?"+tc.query)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == http.StatusOK {
				if n := len(decodeSeries(t, rec.Body.Bytes()).Points); n != tc.points {
					t.Errorf("%d points, want %d", n, tc.points)
				}
				return
			}
			e := decodeError(t, rec.Body.Bytes())
			if e.Code != tc.code || e.Field != tc.field {
				t.Errorf("error = %+v, want code %s field %q", e, tc.code, tc.field)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "" {
				t.Errorf("error response has Cache-Control %q", cc)
			}
		})
	}
}

func TestSeriesUnknownService(t *testing.T) {
	f := newFixture(t)
	rec := f.get(t, "/api/v1/services/nope/series")
	if e := decodeError(t, rec.Body.Bytes()); rec.Code != http.StatusNotFound || e.Code != "unknown_service" {
		t.Errorf("status %d error %+v, want 404 unknown_service", rec.Code, e)
	}
}

func TestUnitName(t *testing.T) {
	for step, want := range map[time.Duration]string{
		time.Minute: "minute", 15 * time.Minute: "15 minutes", time.Hour: "hour", 90 * time.Minute: "90 minutes",
		6 * time.Hour: "6 hours", 24 * time.Hour: "day",
	} {
		if got := unitName(step); got != want {
			t.Errorf("unitName(%s) = %q, want %q", step, got, want)
		}
	}
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func decodeError(t *testing.T, body []byte) errorDetail {
	t.Helper()
	var e struct {
		Error errorDetail `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode error body: %v: %s", err, body)
	}
	return e.Error
}

// A service with under two weeks of history is compared with the same time
// of day on its past days, as the detector does, once it has two.
func TestSeriesBaselineOfAYoungService(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	var rows []row
	for d, n := range map[int]int{1: 6, 2: 2, 3: 4, 4: 100, 5: 8} { // an outage four days ago
		rows = append(rows, reportsAt(fmt.Sprintf("d%d", d), "bca", t0.Add(-time.Duration(d)*baseline.Day+time.Minute), n, n)...)
	}
	for d, n := range map[int]int{1: 6, 2: 2} { // two days of history
		rows = append(rows, reportsAt(fmt.Sprintf("g%d", d), "gojek", t0.Add(-time.Duration(d)*baseline.Day+time.Minute), n, n)...)
	}
	f.insert(t, rows...)
	tests := []struct {
		service string
		want    float64
	}{
		{"bca", 6},   // median of 6, 2, 4, 100, 8
		{"gojek", 2}, // the lower of 6 and 2
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			rec := f.get(t, "/api/v1/services/"+tt.service+"/series?from="+t0.Format(time.RFC3339)+"&to="+t0.Add(15*time.Minute).Format(time.RFC3339)+"&step=15m")
			s := decodeSeries(t, rec.Body.Bytes())
			if len(s.Points) != 1 || s.Points[0].Baseline != tt.want {
				t.Errorf("series = %+v, want one point with baseline %v", s, tt.want)
			}
		})
	}
}
