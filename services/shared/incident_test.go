package lapor_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// TestIncidentJSON checks what the API's schema asks of an incident's
// JSON beyond its fields (TestDomainJSON in services/web/internal/contract
// compares the fields): no end while open, lists never null, and a round
// trip that keeps all but what the API leaves out.
func TestIncidentJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      lapor.Incident
		want    map[string]any // properties that must be so
		without []string       // properties that must be absent
	}{
		{"open: no end, lists not null", lapor.Incident{ID: "a", Service: "gojek", Level: lapor.LevelPossible, Status: lapor.StatusOpen, StartedAt: at, UpdatedAt: at, PeakAt: at, Version: 7, Span: 3},
			map[string]any{"status": "open", "started_at": "2026-03-01T10:00:00Z", "top_symptoms": []any{}, "top_countries": []any{}},
			[]string{"ended_at", "end_reason", "version", "span"}},
		{"resolved: its end and why", lapor.Incident{ID: "b", Service: "grab", Level: lapor.LevelDetected, Status: lapor.StatusResolved, StartedAt: at, UpdatedAt: at, EndedAt: at.Add(time.Hour), EndReason: lapor.EndFaded,
			Peak: 90, PeakAt: at, Baseline: 4.5, LastCount: 6, TopSymptoms: []lapor.SymptomShare{{Symptom: "login", Share: 0.75}}, TopCountries: []string{"ID"}},
			map[string]any{"ended_at": "2026-03-01T11:00:00Z", "end_reason": "faded", "top_symptoms": []any{map[string]any{"symptom": "login", "share": 0.75}}, "top_countries": []any{"ID"}},
			[]string{"version", "span", "top_symptom_shares"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var props map[string]any
			if err := json.Unmarshal(b, &props); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if !reflect.DeepEqual(props[k], v) {
					t.Errorf("%s is %#v, want %#v in %s", k, props[k], v, b)
				}
			}
			for _, k := range tt.without {
				if _, ok := props[k]; ok {
					t.Errorf("%s present in %s", k, b)
				}
			}
			var back lapor.Incident
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			want := tt.in
			want.Version, want.Span = 0, 0 // not in the API
			if want.TopSymptoms == nil {
				want.TopSymptoms = []lapor.SymptomShare{}
			}
			if want.TopCountries == nil {
				want.TopCountries = []string{}
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("round trip %+v, want %+v", back, want)
			}
		})
	}
}
