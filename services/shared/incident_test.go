package lapor_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

func TestIncidentJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   lapor.Incident
		want string
	}{
		{"open: no end, lists not null", lapor.Incident{ID: "a", Service: "gojek", Level: lapor.LevelPossible, Status: lapor.StatusOpen, StartedAt: at, UpdatedAt: at, PeakAt: at, Version: 7, Span: 3},
			`{"id":"a","service":"gojek","level":"possible","status":"open","started_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z","peak":0,"peak_at":"2026-03-01T10:00:00Z","baseline":0,"last_count":0,"top_symptoms":[],"top_countries":[]}`},
		{"resolved: its end and why", lapor.Incident{ID: "b", Service: "grab", Level: lapor.LevelDetected, Status: lapor.StatusResolved, StartedAt: at, UpdatedAt: at, EndedAt: at.Add(time.Hour), EndReason: lapor.EndFaded,
			Peak: 90, PeakAt: at, Baseline: 4.5, LastCount: 6, TopSymptoms: []lapor.SymptomShare{{Symptom: "login", Share: 0.75}}, TopCountries: []string{"ID"}},
			`{"id":"b","service":"grab","level":"detected","status":"resolved","started_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z","ended_at":"2026-03-01T11:00:00Z","end_reason":"faded","peak":90,"peak_at":"2026-03-01T10:00:00Z","baseline":4.5,"last_count":6,"top_symptoms":[{"symptom":"login","share":0.75}],"top_countries":["ID"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("JSON\n%s\nwant\n%s", b, tt.want)
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
