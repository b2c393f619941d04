package partner_test

import (
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/client"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// report is one raw report to insert.
type report struct {
	id, service, symptom, reporter string
	ts                             time.Time
}

func (f *fixture) insertReports(rs ...report) {
	f.t.Helper()
	batch, err := f.conn.PrepareBatch(f.ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, comment)")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rs {
		if err := batch.Append(r.id, r.service, r.symptom, r.ts.UTC(), "ID", "", "", uint32(0), "", "web", r.reporter, ""); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		f.t.Fatal(err)
	}
}

func TestStatsCountExactly(t *testing.T) {
	f := newFixture(t)
	c := f.client(partner.ScopeSeries)
	h0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	var rs []report
	add := func(n int, svc, symptom string, at time.Time, reporters int) {
		for i := 0; i < n; i++ {
			rs = append(rs, report{fmt.Sprintf("r%d", len(rs)), svc, symptom, fmt.Sprintf("p%d", i%reporters), at.Add(time.Duration(i) * time.Second)})
		}
	}
	add(5, "whatsapp", "login", h0.Add(5*time.Minute), 5)   // hour 0: 5 reports, 5 people
	add(3, "whatsapp", "app", h0.Add(50*time.Minute), 1)    // hour 0: 3 more by one of them
	add(7, "whatsapp", "login", h0.Add(75*time.Minute), 7)  // hour 1
	add(4, "whatsapp", "login", h0.Add(200*time.Minute), 4) // hour 3, outside the range
	add(9, "gojek", "login", h0.Add(10*time.Minute), 9)     // another service
	f.insertReports(rs...)
	// The detector judged hour 1 at 3 reports expected, and nothing else.
	var judged []clickhouse.Expectation
	for m := range 60 {
		judged = append(judged, clickhouse.Expectation{Service: "whatsapp", Bucket: h0.Add(time.Hour + time.Duration(m)*time.Minute), Length: time.Minute, Expected: 0.05})
	}
	if err := clickhouse.SaveExpectations(f.ctx, f.conn, judged, h0); err != nil {
		t.Fatal(err)
	}

	s, err := c.Stats(f.ctx, "whatsapp", client.StatsQuery{Bucket: "1h", From: h0.Add(20 * time.Minute), To: h0.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !s.From.Equal(h0) || len(s.Points) != 3 {
		t.Fatalf("from %s, %d points; want from %s (aligned), 3 points", s.From, len(s.Points), h0)
	}
	want := []struct{ reports, reporters uint64 }{{8, 5}, {7, 7}, {0, 0}}
	for i, w := range want {
		p := s.Points[i]
		if !p.T.Equal(h0.Add(time.Duration(i)*time.Hour)) || p.Reports != w.reports || p.Reporters != w.reporters {
			t.Errorf("point %d = %+v, want %s %d reports %d reporters", i, p, h0.Add(time.Duration(i)*time.Hour), w.reports, w.reporters)
		}
	}
	if e := s.Points[1].Expected; e == nil || math.Abs(*e-3) > 1e-9 || s.Points[0].Expected != nil {
		t.Errorf("expected counts %v and %v, want none for hour 0 and 3 for hour 1, as the detector stored", s.Points[0].Expected, e)
	}
	if len(s.Symptoms) != 2 || s.Symptoms[0].Symptom != "login" || s.Symptoms[0].Reports != 12 || s.Symptoms[0].Reporters != 7 ||
		s.Symptoms[1].Symptom != "app" || s.Symptoms[1].Reports != 3 || s.Symptoms[1].Reporters != 1 {
		t.Errorf("symptoms %+v, want login 12/7, app 3/1", s.Symptoms)
	}

	key := f.key("1000-M", partner.ScopeSeries)
	bad := []struct{ path, code string }{
		{"/v1/services/whatsapp/stats?bucket=5m", "invalid_parameter"},
		{"/v1/services/whatsapp/stats?from=yesterday", "invalid_parameter"},
		{"/v1/services/whatsapp/stats?from=2025-03-10T12:00:00Z&to=2025-03-10T11:00:00Z", "invalid_parameter"},
		{"/v1/services/whatsapp/stats?bucket=15m&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "range_too_large"},
		{"/v1/services/nope/stats", "unknown_service"},
	}
	for _, b := range bad {
		t.Run(b.path, func(t *testing.T) {
			resp, body := f.get(b.path, key)
			if resp.StatusCode/100 != 4 || errorCode(t, body) != b.code {
				t.Errorf("status %d: %s, want %s", resp.StatusCode, body, b.code)
			}
		})
	}
}

func testIncidents() []lapor.Incident {
	at := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	return []lapor.Incident{
		{ID: "inc-wa", Service: "whatsapp", Level: lapor.LevelDetected, Status: lapor.StatusOpen, StartedAt: at, UpdatedAt: at.Add(5 * time.Minute),
			Peak: 120, PeakAt: at.Add(3 * time.Minute), Baseline: 4, LastCount: 90, TopSymptoms: []lapor.SymptomShare{{Symptom: "login", Share: 0.7}}, TopCountries: []string{"ID"}, Version: 2},
		{ID: "inc-gj", Service: "gojek", Level: lapor.LevelPossible, Status: lapor.StatusResolved, StartedAt: at.Add(-time.Hour), UpdatedAt: at.Add(-30 * time.Minute),
			EndedAt: at.Add(-30 * time.Minute), EndReason: lapor.EndNewNormal, Peak: 30, PeakAt: at.Add(-50 * time.Minute), Baseline: 3, LastCount: 2, Version: 3},
	}
}

func TestIncident(t *testing.T) {
	f := newFixture(t)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, testIncidents()); err != nil {
		t.Fatal(err)
	}
	c := f.client(partner.ScopeAlerts)
	in, err := c.Incident(f.ctx, "inc-wa")
	if err != nil {
		t.Fatal(err)
	}
	if in.Service != "whatsapp" || in.Peak != 120 || in.Status != "open" || len(in.TopSymptoms) != 1 || in.TopSymptoms[0].Symptom != "login" {
		t.Errorf("incident %+v", in)
	}
	if _, err := c.Incident(f.ctx, "nope"); !client.IsCode(err, "not_found") {
		t.Errorf("unknown incident: %v", err)
	}
}

func TestFeeds(t *testing.T) {
	f := newFixture(t)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, testIncidents()); err != nil {
		t.Fatal(err)
	}
	type atom struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	type rss struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Items   []struct {
			Title   string `xml:"title"`
			Link    string `xml:"link"`
			GUID    string `xml:"guid"`
			PubDate string `xml:"pubDate"`
		} `xml:"channel>item"`
	}
	tests := []struct {
		path       string
		wantTitles []string
		wantLinks  []string
	}{
		{"/v1/feeds/incidents.atom", []string{"Problems detected at WhatsApp", "Possible problems at Gojek (resolved)"}, []string{"/incidents/inc-wa", "/incidents/inc-gj"}},
		{"/v1/feeds/incidents.rss", []string{"Problems detected at WhatsApp", "Possible problems at Gojek (resolved)"}, []string{"/incidents/inc-wa", "/incidents/inc-gj"}},
		{"/v1/services/gojek/feeds/incidents.atom", []string{"Possible problems at Gojek (resolved)"}, []string{"/incidents/inc-gj"}},
		{"/v1/services/gojek/feeds/incidents.rss", []string{"Possible problems at Gojek (resolved)"}, []string{"/incidents/inc-gj"}},
		{"/v1/services/netflix/feeds/incidents.rss", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := f.get(tt.path, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var titles, links []string
			if strings.HasSuffix(tt.path, ".atom") {
				var a atom
				if err := xml.Unmarshal(body, &a); err != nil {
					t.Fatalf("not Atom: %v\n%s", err, body)
				}
				if a.ID == "" || a.Updated == "" {
					t.Errorf("feed id %q updated %q", a.ID, a.Updated)
				}
				for _, e := range a.Entries {
					if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.ID == "" {
						t.Errorf("entry id %q updated %q", e.ID, e.Updated)
					}
					titles, links = append(titles, e.Title), append(links, strings.TrimPrefix(e.Link.Href, f.srv.URL))
				}
			} else {
				var r rss
				if err := xml.Unmarshal(body, &r); err != nil || r.Version != "2.0" {
					t.Fatalf("not RSS 2.0: %v\n%s", err, body)
				}
				for _, it := range r.Items {
					if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil || it.GUID == "" {
						t.Errorf("item guid %q pubDate %q", it.GUID, it.PubDate)
					}
					titles, links = append(titles, it.Title), append(links, strings.TrimPrefix(it.Link, f.srv.URL))
				}
			}
			if strings.Join(titles, "|") != strings.Join(tt.wantTitles, "|") || strings.Join(links, "|") != strings.Join(tt.wantLinks, "|") {
				t.Errorf("titles %q links %q, want %q %q", titles, links, tt.wantTitles, tt.wantLinks)
			}
		})
	}
	// A resolved entry says why it ended: Gojek's reports stayed high.
	for _, path := range []string{"/v1/services/gojek/feeds/incidents.atom", "/v1/services/gojek/feeds/incidents.rss"} {
		if _, body := f.get(path, ""); !strings.Contains(string(body), "Resolved 20") || !strings.Contains(string(body), "the problem may not be over") {
			t.Errorf("%s does not say why the incident ended:\n%s", path, body)
		}
	}
	if resp, _ := f.get("/v1/services/nope/feeds/incidents.atom", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service feed: status %d", resp.StatusCode)
	}
}

func TestDocs(t *testing.T) {
	f := newFixture(t)
	resp, body := f.get("/v1/docs", "")
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("status %d CSP %q", resp.StatusCode, csp)
	}
	page := string(body)
	for _, want := range []string{"/v1/alerts/stream", "/v1/services/{slug}/stats", "alerts:read", "Last-Event-ID"} {
		if !strings.Contains(page, want) {
			t.Errorf("docs lack %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("docs carry a script")
	}
	// The descriptions are Markdown, rendered: headings, tables and code.
	for _, want := range []string{"<h2>Webhooks</h2>", "<table>", "<code>Lapor-Signature</code>", "<pre><code class=\"language-go\">"} {
		if !strings.Contains(page, want) {
			t.Errorf("docs lack rendered %q", want)
		}
	}
	if strings.Contains(page, "## Webhooks") {
		t.Error("docs show Markdown unrendered")
	}
	resp, body = f.get("/v1/openapi.yaml", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "openapi: 3") {
		t.Errorf("openapi.yaml: status %d", resp.StatusCode)
	}
}
