package publicapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/publicapi"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

type seriesBody struct {
	Service string `json:"service"`
	From    string `json:"from"`
	To      string `json:"to"`
	Step    int64  `json:"step"`
	Unit    string `json:"unit"`
	Points  []struct {
		T                 string   `json:"t"`
		Reports           uint64   `json:"reports"`
		Reporters         uint64   `json:"reporters"`
		Expected          *float64 `json:"expected"`
		ThresholdPossible *float64 `json:"threshold_possible"`
		ThresholdDetected *float64 `json:"threshold_detected"`
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

func TestSeriesCounts(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC) // aligned to 15m
	var rows []row
	// The window: bucket 0 has 3 reports from 2 reporters split across its
	// edges, bucket 1 none, bucket 2 one; reports just outside the window
	// must not count.
	rows = append(rows, reportsAt("b0a", "whatsapp", t0.Add(time.Minute), 2, 1)...)
	rows = append(rows, reportsAt("b0b", "whatsapp", t0.Add(15*time.Minute-time.Second), 1, 1)...)
	rows = append(rows, reportsAt("b2", "whatsapp", t0.Add(31*time.Minute), 1, 1)...)
	rows = append(rows, reportsAt("before", "whatsapp", t0.Add(-time.Second), 5, 5)...)
	rows = append(rows, reportsAt("after", "whatsapp", t0.Add(2*time.Hour), 5, 5)...)
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
	}
	want := []pt{
		{"2025-03-10T10:00:00Z", 3, 2},
		{"2025-03-10T10:15:00Z", 0, 0},
		{"2025-03-10T10:30:00Z", 1, 1},
		{"2025-03-10T10:45:00Z", 0, 0},
		{"2025-03-10T11:00:00Z", 0, 0},
		{"2025-03-10T11:15:00Z", 0, 0},
		{"2025-03-10T11:30:00Z", 0, 0},
		{"2025-03-10T11:45:00Z", 0, 0},
	}
	if len(s.Points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(s.Points), len(want), s.Points)
	}
	for i, w := range want {
		p := s.Points[i]
		if got := (pt{p.T, p.Reports, p.Reporters}); got != w {
			t.Errorf("point %d = %+v, want %+v", i, got, w)
		}
		// Nothing judged these buckets: no made-up band.
		if p.Expected != nil || p.ThresholdPossible != nil || p.ThresholdDetected != nil {
			t.Errorf("point %d has a band (%v, %v, %v) the detector never stored", i, p.Expected, p.ThresholdPossible, p.ThresholdDetected)
		}
	}
}

// TestSeriesBandIsTheDetectors checks that each bucket carries what the
// detector stored for it: the sum of its minutes' expected counts, and
// the thresholds of the span as long as the bucket that ends with it.
func TestSeriesBandIsTheDetectors(t *testing.T) {
	f := newFixture(t)
	t0 := testNow.Truncate(time.Hour).Add(-time.Hour)
	var judged []clickhouse.Expectation
	// An hour judged at 2 a minute, and the current hour up to now.
	for m := t0; m.Add(time.Minute).Before(testNow) || m.Add(time.Minute).Equal(testNow); m = m.Add(time.Minute) {
		judged = append(judged, clickhouse.Expectation{Service: "whatsapp", Bucket: m, Length: time.Minute, Expected: 2, Spans: []spike.Judgement{
			{Span: 1, Count: 0, Expected: 2, Possible: 6, Detected: 11},
			{Span: 15, Count: 0, Expected: 30, Possible: 55, Detected: 120},
			{Span: 60, Count: 0, Expected: 120, Possible: 190, Detected: math.Inf(1)},
		}})
	}
	if err := clickhouse.SaveExpectations(f.ctx, f.conn, judged, testNow); err != nil {
		t.Fatal(err)
	}
	num := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	tests := []struct {
		name, query string
		// expected, possible and detected of the first and the last point
		first, last [3]string
	}{
		{"15-minute buckets", "from=" + t0.Format(time.RFC3339) + "&step=15m",
			[3]string{"30", "55", "120"}, // The filling bucket, read to the end of the current minute
			// as its counts are, expects 2 a minute for 8 minutes.
			[3]string{"16", "null", "null"}},
		{"an hour: a threshold no count reaches is null", "from=" + t0.Format(time.RFC3339) + "&to=" + t0.Add(time.Hour).Format(time.RFC3339) + "&step=1h",
			[3]string{"120", "190", "null"}, [3]string{"120", "190", "null"}},
		{"30 minutes is no span: expected only", "from=" + t0.Format(time.RFC3339) + "&to=" + t0.Add(time.Hour).Format(time.RFC3339) + "&step=30m",
			[3]string{"60", "null", "null"}, [3]string{"60", "null", "null"}},
		{"before the detector judged anything", "from=" + t0.Add(-2*time.Hour).Format(time.RFC3339) + "&to=" + t0.Format(time.RFC3339) + "&step=15m",
			[3]string{"null", "null", "null"}, [3]string{"null", "null", "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.get(t, "/api/v1/services/whatsapp/series?"+tt.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			s := decodeSeries(t, rec.Body.Bytes())
			if len(s.Points) == 0 {
				t.Fatal("no points")
			}
			for _, c := range []struct {
				name string
				i    int
				want [3]string
			}{{"first", 0, tt.first}, {"last", len(s.Points) - 1, tt.last}} {
				p := s.Points[c.i]
				if got := [3]string{num(p.Expected), num(p.ThresholdPossible), num(p.ThresholdDetected)}; got != c.want {
					t.Errorf("%s point (%s) = %v, want %v", c.name, p.T, got, c.want)
				}
			}
		})
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
		if got := publicapi.UnitName(step); got != want {
			t.Errorf("publicapi.UnitName(%s) = %q, want %q", step, got, want)
		}
	}
}
