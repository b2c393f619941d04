package redis_test

import (
	"reflect"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

func TestStateRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   lapor.Incident
	}{
		{"open", lapor.Incident{ID: "a", Service: "gojek", Level: lapor.LevelPossible, Status: lapor.StatusOpen, StartedAt: at, UpdatedAt: at, PeakAt: at,
			TopSymptoms: []lapor.SymptomShare{{Symptom: "app", Share: 0.75}}, TopCountries: []string{"ID"}, Version: 42, Span: 3}},
		{"resolved", lapor.Incident{ID: "b", Service: "grab", Level: lapor.LevelDetected, Status: lapor.StatusResolved, StartedAt: at, UpdatedAt: at, PeakAt: at,
			EndedAt: at.Add(time.Hour), EndReason: lapor.EndNormal, Peak: 9, Baseline: 1.5, LastCount: 2, TopSymptoms: []lapor.SymptomShare{}, TopCountries: []string{}, Version: 43}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redis.EncodeIncidentState(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := redis.DecodeIncidentState(s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("state %s decoded as\n%+v\nwant\n%+v", s, got, tt.in)
			}
		})
	}
}

// A state the previous release wrote, flat, is still read.
func TestStateLegacy(t *testing.T) {
	s := `{"id":"a","service":"gojek","level":"detected","status":"open","started_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:05:00Z",` +
		`"ended_at":"0001-01-01T00:00:00Z","end_reason":"","peak":12,"peak_at":"2026-03-01T10:03:00Z","baseline":2.5,"last_count":7,` +
		`"top_symptoms":["app","login"],"top_symptom_shares":[0.75,0.25],"top_countries":["ID"],"version":99,"span":4}`
	got, err := redis.DecodeIncidentState(s)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	want := lapor.Incident{ID: "a", Service: "gojek", Level: lapor.LevelDetected, Status: lapor.StatusOpen, StartedAt: at, UpdatedAt: at.Add(5 * time.Minute),
		Peak: 12, PeakAt: at.Add(3 * time.Minute), Baseline: 2.5, LastCount: 7,
		TopSymptoms: []lapor.SymptomShare{{Symptom: "app", Share: 0.75}, {Symptom: "login", Share: 0.25}}, TopCountries: []string{"ID"}, Version: 99, Span: 4}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("legacy state decoded as\n%+v\nwant\n%+v", got, want)
	}
}
