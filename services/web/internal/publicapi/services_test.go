package publicapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

type serviceBody struct {
	Slug            string   `json:"slug"`
	Name            string   `json:"name"`
	Countries       []string `json:"countries"`
	Status          string   `json:"status"`
	Level           string   `json:"level"`
	IncidentID      string   `json:"incident_id"`
	Since           string   `json:"since"`
	ReportsLastHour uint64   `json:"reports_last_hour"`
	Incident        *struct {
		ID string `json:"id"`
	} `json:"incident"`
	LastHour *struct {
		Reports   uint64 `json:"reports"`
		Reporters uint64 `json:"reporters"`
		Symptoms  []struct {
			Symptom   string `json:"symptom"`
			Reports   uint64 `json:"reports"`
			Reporters uint64 `json:"reporters"`
		} `json:"symptoms"`
		Countries []struct {
			Country string `json:"country"`
			Reports uint64 `json:"reports"`
		} `json:"countries"`
	} `json:"last_hour"`
}

func decodeServices(t *testing.T, body []byte) []serviceBody {
	t.Helper()
	var out struct {
		Services []serviceBody `json:"services"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode services: %v: %s", err, body)
	}
	return out.Services
}

// seedStatus gives BCA a detected outage and WhatsApp a possible one;
// Gojek's incident is over.
func seedStatus(t *testing.T, f *fixture) {
	t.Helper()
	gojek := openIncident("inc-gojek", "gojek", lapor.LevelDetected, testNow.Add(-3*time.Hour), 1)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{
		openIncident("inc-wa", "whatsapp", lapor.LevelPossible, testNow.Add(-20*time.Minute), 1),
		openIncident("inc-bca-old", "bca", lapor.LevelPossible, testNow.Add(-40*time.Minute), 1),
		openIncident("inc-bca", "bca", lapor.LevelDetected, testNow.Add(-50*time.Minute), 2),
		gojek,
	}); err != nil {
		t.Fatal(err)
	}
	// A later write resolves Gojek's incident; only the newest state counts.
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{resolved(gojek, testNow.Add(-2*time.Hour), 2)}); err != nil {
		t.Fatal(err)
	}
	f.insert(t,
		row{id: "a", service: "whatsapp", symptom: "messages", country: "ID", reporter: "r1", ts: testNow.Add(-10 * time.Minute)},
		row{id: "b", service: "whatsapp", symptom: "messages", country: "ID", reporter: "r1", ts: testNow.Add(-9 * time.Minute)},
		row{id: "c", service: "whatsapp", symptom: "login", country: "MY", reporter: "r2", ts: testNow.Add(-50 * time.Minute)},
		row{id: "old", service: "whatsapp", symptom: "login", country: "MY", reporter: "r3", ts: testNow.Add(-2 * time.Hour)},
		row{id: "d", service: "gojek", symptom: "app", country: "ID", reporter: "r4", ts: testNow.Add(-time.Minute)},
	)
}

func TestServicesStatusAndOrder(t *testing.T) {
	f := newFixture(t)
	seedStatus(t, f)
	rec := f.get(t, "/api/v1/services")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, max-age=5" {
		t.Fatalf("status %d Cache-Control %q: %s", rec.Code, rec.Header().Get("Cache-Control"), rec.Body)
	}
	got := decodeServices(t, rec.Body.Bytes())
	type summary struct {
		slug, status, level, incident, since string
		lastHour                             uint64
	}
	want := []summary{
		{"bca", "detected", "detected", "inc-bca", "2025-03-10T11:17:30Z", 0},
		{"whatsapp", "possible", "possible", "inc-wa", "2025-03-10T11:47:30Z", 3},
		{"gojek", "ok", "", "", "", 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d services, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if s := (summary{g.Slug, g.Status, g.Level, g.IncidentID, g.Since, g.ReportsLastHour}); s != w {
			t.Errorf("service %d = %+v, want %+v", i, s, w)
		}
	}
}

func TestServicesFilters(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, query string
		want        []string // slugs in order, all "ok" so by name
	}{
		{"all", "", []string{"bca", "gojek", "whatsapp"}},
		{"name, any case", "q=WHATS", []string{"whatsapp"}},
		{"alias", "q=gopay", []string{"gojek"}},
		{"alias words", "q=bank+central", []string{"bca"}},
		{"no match", "q=zzz", []string{}},
		{"category", "category=Banking", []string{"bca"}},
		{"country", "country=sg", []string{"gojek", "whatsapp"}},
		{"worldwide only", "country=US", []string{"whatsapp"}},
		{"country and category", "country=ID&category=transport", []string{"gojek"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.checkKeys(t, "/api/v1/services?"+tc.query, serviceSlugs, tc.want)
		})
	}
}

func serviceSlugs(t *testing.T, body []byte) []string {
	t.Helper()
	slugs := []string{}
	for _, s := range decodeServices(t, body) {
		slugs = append(slugs, s.Slug)
	}
	return slugs
}

func TestServicesBadParameters(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ query, field string }{
		{"country=USA", "country"},
		{"country=1D", "country"},
		{"q=" + strings.Repeat("x", 101), "q"},
		{"category=" + strings.Repeat("x", 101), "category"},
	} {
		t.Run(tc.query[:min(len(tc.query), 20)], func(t *testing.T) {
			f.checkBadParameter(t, "/api/v1/services?"+tc.query, tc.field)
		})
	}
}

func TestServiceDetail(t *testing.T) {
	f := newFixture(t)
	seedStatus(t, f)
	rec := f.get(t, "/api/v1/services/whatsapp")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var s serviceBody
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Slug != "whatsapp" || s.Status != "possible" || s.Incident == nil || s.Incident.ID != "inc-wa" || s.ReportsLastHour != 3 {
		t.Errorf("detail = %+v", s)
	}
	lh := s.LastHour
	if lh == nil || lh.Reports != 3 || lh.Reporters != 2 {
		t.Fatalf("last hour = %+v, want 3 reports from 2 reporters", lh)
	}
	if len(lh.Symptoms) != 2 || lh.Symptoms[0].Symptom != "messages" || lh.Symptoms[0].Reports != 2 || lh.Symptoms[0].Reporters != 1 ||
		lh.Symptoms[1].Symptom != "login" || lh.Symptoms[1].Reports != 1 {
		t.Errorf("symptoms = %+v", lh.Symptoms)
	}
	if len(lh.Countries) != 2 || lh.Countries[0].Country != "ID" || lh.Countries[0].Reports != 2 || lh.Countries[1].Country != "MY" {
		t.Errorf("countries = %+v", lh.Countries)
	}

	rec = f.get(t, "/api/v1/services/gojek")
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s = (serviceBody{}); json.Unmarshal(rec.Body.Bytes(), &s) != nil || s.Status != "ok" || s.Incident != nil || s.IncidentID != "" {
		t.Errorf("gojek detail = %+v, want ok with no incident", s)
	}

	rec = f.get(t, "/api/v1/services/nope")
	if e := decodeError(t, rec.Body.Bytes()); rec.Code != http.StatusNotFound || e.Code != "unknown_service" {
		t.Errorf("status %d error %+v, want 404 unknown_service", rec.Code, e)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "" {
		t.Errorf("404 has Cache-Control %q", cc)
	}
}

// The status is cached for the TTL; after it, the old status is still
// served at once while it is read again in the background.
func TestServicesCached(t *testing.T) {
	clock, advance := settableClock()
	f := newFixture(t, func(o *Options) {
		o.CacheTTL = 2 * time.Second
		o.Now = clock
	})
	if got := decodeServices(t, f.get(t, "/api/v1/services?q=whatsapp").Body.Bytes()); got[0].Status != "ok" {
		t.Fatalf("status %s before any incident", got[0].Status)
	}
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{openIncident("inc", "whatsapp", lapor.LevelDetected, testNow, 1)}); err != nil {
		t.Fatal(err)
	}
	detail := func() serviceBody {
		var s serviceBody
		if err := json.Unmarshal(f.get(t, "/api/v1/services/whatsapp").Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := decodeServices(t, f.get(t, "/api/v1/services?q=whatsapp").Body.Bytes()); got[0].Status != "ok" {
		t.Errorf("status %s within the TTL, want the cached ok", got[0].Status)
	}
	if got := detail(); got.Status != "ok" || got.Incident != nil {
		t.Errorf("detail %+v within the TTL, want the cached ok", got)
	}
	advance(2 * time.Second)
	if got := decodeServices(t, f.get(t, "/api/v1/services?q=whatsapp").Body.Bytes()); got[0].Status != "ok" {
		t.Errorf("status %s right after the TTL, want the stale ok while it is read again", got[0].Status)
	}
	eventually(t, "the status read again", func() bool {
		return decodeServices(t, f.get(t, "/api/v1/services?q=whatsapp").Body.Bytes())[0].Status == "detected"
	})
	if got := detail(); got.Status != "detected" || got.Incident == nil {
		t.Errorf("detail %+v after the TTL, want detected", got)
	}
}

// A catalog entry without aliases or countries still answers lists, as the
// contract requires, not null.
func TestServicesListsNeverNull(t *testing.T) {
	cat, err := catalog.Parse([]byte(`[{"slug":"x","name":"X","category":"c","url":"https://x.example","indicators":["app"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.Catalog = cat })
	for _, path := range []string{"/api/v1/services", "/api/v1/services/x"} {
		rec := f.get(t, path) // the contract check fails on null
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "null") {
			t.Errorf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
	}
}

// With ClickHouse gone, reads answer 503 with Retry-After and readiness fails.
func TestStoreDown(t *testing.T) {
	f := newFixture(t)
	f.conn.Close()
	for _, path := range []string{"/api/v1/services", "/api/v1/services/bca", "/api/v1/services/bca/series", "/api/v1/incidents", "/api/v1/incidents/x",
		"/api/v1/sparklines", "/api/v1/services/bca/countries", "/api/v1/services/bca/series.csv", "/services/bca/chart.png", "/readyz"} {
		rec := f.get(t, path)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503: %s", path, rec.Code, rec.Body)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "" {
			t.Errorf("%s: error has Cache-Control %q", path, cc)
		}
	}
}

// TestElevatedWithoutAnIncident checks that a service with no open
// incident whose latest judged span is over the detector's alert
// threshold says so, with the numbers, and that one under it or with an
// open incident does not.
func TestElevatedWithoutAnIncident(t *testing.T) {
	f := newFixture(t)
	seedStatus(t, f) // whatsapp and bca have open incidents, gojek none
	at := testNow.Truncate(time.Minute).Add(-time.Minute)
	row := func(svc string, count15 float64) clickhouse.Expectation {
		return clickhouse.Expectation{Service: svc, Bucket: at, Length: time.Minute, Expected: 10, Spans: []spike.Judgement{
			{Span: 1, Count: count15 / 15, Expected: 10, Possible: 100, Detected: 200},
			{Span: 15, Count: count15, Expected: 150, Possible: 400, Detected: 800},
		}}
	}
	// gojek ended faded, but its last 15 minutes hold 1200 where 150 were expected.
	if err := clickhouse.SaveExpectations(f.ctx, f.conn, []clickhouse.Expectation{row("gojek", 1200), row("whatsapp", 1200), row("bca", 20)}, testNow); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Status   string `json:"status"`
		Elevated *struct {
			Minutes  int     `json:"minutes"`
			Reports  uint64  `json:"reports"`
			Expected float64 `json:"expected"`
			At       string  `json:"at"`
		} `json:"elevated"`
	}
	for _, tt := range []struct {
		slug, status string
		elevated     bool
	}{
		{"gojek", "ok", true},
		{"whatsapp", "possible", false}, // the incident says it already
		{"bca", "detected", false},
	} {
		t.Run(tt.slug, func(t *testing.T) {
			got.Elevated = nil
			rec := f.get(t, "/api/v1/services/"+tt.slug)
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.status || (got.Elevated != nil) != tt.elevated {
				t.Fatalf("status %s, elevated %+v; want %s, elevated %v", got.Status, got.Elevated, tt.status, tt.elevated)
			}
			if e := got.Elevated; e != nil && (e.Minutes != 15 || e.Reports != 1200 || e.Expected != 150 || e.At != at.Add(time.Minute).Format(time.RFC3339)) {
				t.Errorf("elevated = %+v, want the 15-minute span: 1200 where 150 were expected, ending %s", e, at.Add(time.Minute))
			}
		})
	}
}
