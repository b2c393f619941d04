package publicapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Ingest counts a reporter once per service per 15 minutes (its dedupe
// key), so a 15-minute bucket never holds two reports of one reporter: there
// reports equal reporters by construction, and the page shows one number.
// Only longer buckets can tell a persistent reporter from many people, and
// the series must then count reporters distinctly, not sum them per minute.
func TestReportersUnderIngestDedupe(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	var rows []row
	// "persistent" reports again each time its dedupe key expires, with
	// another symptom; "once" reports once; all as ingest would let them.
	for i := range 4 {
		ts := t0.Add(time.Duration(i)*(15*time.Minute+time.Second) + time.Minute)
		rows = append(rows, row{id: fmt.Sprintf("p%d", i), service: "whatsapp", symptom: []string{"app", "login", "calls", "messages"}[i], country: "ID", reporter: "persistent", ts: ts})
	}
	rows = append(rows, row{id: "o", service: "whatsapp", symptom: "app", country: "ID", reporter: "once", ts: t0.Add(20 * time.Minute)})
	f.insert(t, rows...)

	type counts struct{ reports, reporters uint64 }
	cases := []struct {
		step string
		want []counts
	}{
		{"15m", []counts{{1, 1}, {2, 2}, {1, 1}, {1, 1}}},
		{"1h", []counts{{5, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.step, func(t *testing.T) {
			rec := f.get(t, "/api/v1/services/whatsapp/series?from="+t0.Format(time.RFC3339)+"&to="+t0.Add(time.Hour).Format(time.RFC3339)+"&step="+tc.step)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			s := decodeSeries(t, rec.Body.Bytes())
			if len(s.Points) != len(tc.want) {
				t.Fatalf("%d points, want %d: %+v", len(s.Points), len(tc.want), s.Points)
			}
			for i, w := range tc.want {
				if got := (counts{s.Points[i].Reports, s.Points[i].Reporters}); got != w {
					t.Errorf("point %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}
