package publicapi_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/read"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

func TestSparklines(t *testing.T) {
	f := newFixture(t)
	// testNow is 12:07:30; the last hourly bucket is 12:00–13:00, the first
	// of 24 is 13:00 the day before.
	var rows []row
	rows = append(rows, reportsAt("now", "whatsapp", testNow.Add(-time.Minute), 3, 3)...)
	rows = append(rows, reportsAt("h1", "whatsapp", time.Date(2025, 3, 9, 13, 30, 0, 0, time.UTC), 2, 2)...)
	rows = append(rows, reportsAt("old", "whatsapp", time.Date(2025, 3, 9, 12, 59, 0, 0, time.UTC), 9, 9)...)
	rows = append(rows, reportsAt("g", "gojek", testNow.Add(-90*time.Minute), 4, 4)...)
	f.insert(t, rows...)

	var body struct {
		From     string              `json:"from"`
		Step     int64               `json:"step"`
		Unit     string              `json:"unit"`
		Services map[string][]uint64 `json:"services"`
	}
	rec := f.get(t, "/api/v1/sparklines")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.From != "2025-03-09T13:00:00Z" || body.Step != 3600 || body.Unit != "reports per hour" {
		t.Errorf("from %s step %d unit %q", body.From, body.Step, body.Unit)
	}
	if len(body.Services) != 3 {
		t.Errorf("%d services, want every one of the test catalog's 3", len(body.Services))
	}
	for slug, xs := range body.Services {
		if len(xs) != 24 {
			t.Errorf("%s has %d buckets, want 24", slug, len(xs))
		}
	}
	wa, gojek := body.Services["whatsapp"], body.Services["gojek"]
	if wa[0] != 2 || wa[23] != 3 || gojek[21] != 4 || body.Services["bca"][23] != 0 {
		t.Errorf("whatsapp %v, gojek %v", wa, gojek)
	}

	rec = f.get(t, "/api/v1/sparklines?hours=1&step=15m")
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.From != "2025-03-10T11:15:00Z" || len(body.Services["whatsapp"]) != 4 || body.Services["whatsapp"][3] != 3 {
		t.Errorf("1h at 15m: from %s whatsapp %v", body.From, body.Services["whatsapp"])
	}

	for _, q := range []string{"hours=0", "hours=169", "hours=x", "step=5m", "step=25h", "hours=1&step=2h", "hours=5&step=2h", "step=bad"} {
		t.Run(q, func(t *testing.T) {
			field := "hours"
			if strings.Contains(q, "step") {
				field = "step"
			}
			f.checkBadParameter(t, "/api/v1/sparklines?"+q, field)
		})
	}
}

// Sparklines and countries are cached for a few seconds.
func TestShortCaches(t *testing.T) {
	f := newFixture(t)
	get := func(target string) string { return f.get(t, target).Body.String() }
	spark, countries := get("/api/v1/sparklines"), get("/api/v1/services/whatsapp/countries")
	f.insert(t, reportsAt("late", "whatsapp", testNow.Add(-time.Minute), 2, 2)...)
	if get("/api/v1/sparklines") != spark || get("/api/v1/services/whatsapp/countries") != countries {
		t.Error("answers changed within the cache's lifetime")
	}
}

func TestCountries(t *testing.T) {
	f := newFixture(t)
	var rows []row
	add := func(prefix, country string, ago time.Duration, n int) {
		for _, r := range reportsAt(prefix, "whatsapp", testNow.Add(-ago), n, n) {
			r.country = country
			rows = append(rows, r)
		}
	}
	add("id", "ID", 50*time.Minute, 5)
	add("my", "MY", 2*time.Hour, 2)
	add("unknown", "", 3*time.Hour, 1)
	add("old", "SG", 7*time.Hour, 9)
	f.insert(t, rows...)
	type country struct {
		Country   string `json:"country"`
		Reports   uint64 `json:"reports"`
		Reporters uint64 `json:"reporters"`
	}
	var body struct {
		Service, From, To, Unit string
		Countries               []country
	}
	rec := f.get(t, "/api/v1/services/whatsapp/countries")
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := []country{{"ID", 5, 5}, {"MY", 2, 2}, {"", 1, 1}}
	if !slices.Equal(body.Countries, want) || body.Unit != "reports in the last 6 hours" || body.From != "2025-03-10T06:07:30Z" {
		t.Errorf("got %+v, want countries %v over the last 6 hours", body, want)
	}
	rec = f.get(t, "/api/v1/services/whatsapp/countries?hours=1")
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(body.Countries, want[:1]) || body.Unit != "reports in the last hour" {
		t.Errorf("last hour: %+v", body)
	}
	f.checkBadParameter(t, "/api/v1/services/whatsapp/countries?hours=200", "hours")
	if rec := f.get(t, "/api/v1/services/nope/countries"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown service: status %d", rec.Code)
	}
}

// history puts 7 reports at t0 and has the detector's rows say that
// its first 15 minutes were expected to hold 5 (one a minute for the
// first five) and needed 20 for "possible" and 40 for "detected"; the
// next 15 were never judged.
func history(t *testing.T, f *fixture, t0 time.Time) {
	f.insert(t, reportsAt("now", "whatsapp", t0.Add(time.Minute), 7, 7)...)
	var rows []clickhouse.Expectation
	for m := range 15 {
		e := 0.0
		if m < 5 {
			e = 1
		}
		rows = append(rows, clickhouse.Expectation{Service: "whatsapp", Bucket: t0.Add(time.Duration(m) * time.Minute), Length: time.Minute, Expected: e,
			Spans: []spike.Judgement{{Span: 15, Expected: 5, Possible: 20, Detected: 40}}})
	}
	if err := clickhouse.SaveExpectations(f.ctx, f.conn, rows, t0); err != nil {
		t.Fatal(err)
	}
}

func TestSeriesCSV(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	history(t, f, t0)
	rec := f.get(t, "/api/v1/services/whatsapp/series.csv?from="+t0.Format(time.RFC3339)+"&to="+t0.Add(30*time.Minute).Format(time.RFC3339))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="lapor-whatsapp-20250310T1000Z-20250310T1030Z.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"time", "reports", "reporters", "expected", "threshold_possible", "threshold_detected", "final"},
		{"2025-03-10T10:00:00Z", "7", "7", "5", "20", "40", "true"},
		{"2025-03-10T10:15:00Z", "0", "0", "", "", "", "true"},
	}
	if len(records) != len(want) {
		t.Fatalf("records %v, want %v", records, want)
	}
	for i := range want {
		if !slices.Equal(records[i], want[i]) {
			t.Errorf("record %d = %v, want %v", i, records[i], want[i])
		}
	}
	f.checkBadParameter(t, "/api/v1/services/whatsapp/series.csv?step=1s", "step")
}

// Every open service page polls its series: requests for the same buckets
// within a few seconds share one query, whatever second their range ends.
func TestSeriesIsSharedForAFewSeconds(t *testing.T) {
	clock, advance := settableClock()
	f := newFixture(t, func(o *Options) { o.Now = clock })
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	history(t, f, t0)
	total := func(to time.Time) uint64 {
		s := decodeSeries(t, f.get(t, "/api/v1/services/whatsapp/series?from="+t0.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)).Body.Bytes())
		var n uint64
		for _, p := range s.Points {
			n += p.Reports
		}
		return n
	}
	end := t0.Add(time.Hour - 50*time.Second)
	first := total(end)
	f.insert(t, reportsAt("more", "whatsapp", t0.Add(20*time.Minute), 40, 40)...)
	if got := total(end.Add(20 * time.Second)); got != first {
		t.Errorf("a range ending in the same minute read again: %d reports, want the shared %d", got, first)
	}
	// After the cache time the shared series is still served at once,
	// while it is read again in the background.
	advance(read.CacheTTL + time.Second)
	if got := total(end); got != first {
		t.Errorf("right after the cache time: %d reports, want the stale %d", got, first)
	}
	eventually(t, "the series read again", func() bool { return total(end) == first+40 })
}
