package pages_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

// Helpers copied from the public API's tests: both seed the same data.

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

func httptestGet(f *fixture, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}
