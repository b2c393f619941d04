package publicapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestRecent(t *testing.T) {
	f := newFixture(t)
	// testNow is 12:07:30, so the window starts at 11:53:00.
	from := time.Date(2025, 3, 10, 11, 53, 0, 0, time.UTC)
	rows := []row{
		{id: "a1", service: "whatsapp", symptom: "app", country: "ID", reporter: "r1", ts: testNow.Add(-time.Minute)},
		{id: "a2", service: "whatsapp", symptom: "app", country: "ID", reporter: "r2", ts: testNow.Add(-time.Minute)},
		{id: "a3", service: "whatsapp", symptom: "login", country: "SG", reporter: "r3", ts: testNow.Add(-2 * time.Minute)},
		{id: "a4", service: "whatsapp", symptom: "app", country: "", reporter: "r4", ts: testNow},
		// The window's first minute, and a reporter seen twice in it
		// (dedupe starts afresh at midnight), counted once as a reporter.
		{id: "a5", service: "whatsapp", symptom: "app", country: "ID", reporter: "r1", ts: from},
		// Before the window, and another service.
		{id: "old", service: "whatsapp", symptom: "app", country: "ID", reporter: "r9", ts: from.Add(-time.Second)},
		{id: "g1", service: "gojek", symptom: "app", country: "ID", reporter: "r1", ts: testNow},
	}
	f.insert(t, rows...)

	type counts struct {
		Country            string
		Reports, Reporters uint64
	}
	type body struct {
		Service   string    `json:"service"`
		From      time.Time `json:"from"`
		To        time.Time `json:"to"`
		Reports   uint64    `json:"reports"`
		Reporters uint64    `json:"reporters"`
		Country   *counts   `json:"country"`
	}
	tests := []struct {
		name, target string
		all          counts
		country      *counts
	}{
		{"all", "/api/v1/services/whatsapp/recent", counts{"", 5, 4}, nil},
		{"with a country", "/api/v1/services/whatsapp/recent?country=ID", counts{"", 5, 4}, &counts{"ID", 3, 2}},
		{"a country in lower case", "/api/v1/services/whatsapp/recent?country=sg", counts{"", 5, 4}, &counts{"SG", 1, 1}},
		{"a country with no reports", "/api/v1/services/whatsapp/recent?country=US", counts{"", 5, 4}, &counts{"US", 0, 0}},
		{"a service with no reports", "/api/v1/services/bca/recent?country=ID", counts{"", 0, 0}, &counts{"ID", 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.get(t, tt.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var b body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if !b.From.Equal(from) || !b.To.Equal(testNow) {
				t.Errorf("from %v to %v, want %v to %v", b.From, b.To, from, testNow)
			}
			if got := (counts{"", b.Reports, b.Reporters}); got != tt.all {
				t.Errorf("counts %+v, want %+v", got, tt.all)
			}
			switch {
			case tt.country == nil && b.Country != nil:
				t.Errorf("country %+v, want none", *b.Country)
			case tt.country != nil && (b.Country == nil || *b.Country != *tt.country):
				t.Errorf("country %+v, want %+v", b.Country, *tt.country)
			}
		})
	}
	for _, bad := range []string{"IDN", "1D", "I"} {
		t.Run("country="+bad, func(t *testing.T) {
			f.checkBadParameter(t, "/api/v1/services/whatsapp/recent?country="+bad, "country")
		})
	}
	t.Run("unknown service", func(t *testing.T) {
		if rec := f.get(t, "/api/v1/services/nope/recent"); rec.Code != http.StatusNotFound {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
