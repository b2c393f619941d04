package contract

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lapor/lapor/api"
	lapor "github.com/lapor/lapor/services/shared"
)

func TestDocumentLoads(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
}

// TestDomainJSON checks that the domain types' JSON, with every field
// set, is what the document's schema of the same name describes: the
// same properties, and a body valid against it.
func TestDomainJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		schema string
		value  any
	}{
		{"Incident", lapor.Incident{ID: "i", Service: "gojek", Level: lapor.LevelDetected, Status: lapor.StatusResolved,
			StartedAt: at, UpdatedAt: at, EndedAt: at.Add(time.Hour), EndReason: lapor.EndNormal, Peak: 9, PeakAt: at, Baseline: 1.5, LastCount: 2,
			TopSymptoms: []lapor.SymptomShare{{Symptom: "app", Share: 1}}, TopCountries: []string{"ID"}, Version: 1, Span: 1}},
		{"AlertEvent", lapor.AlertEvent{ID: "e", Kind: lapor.AlertResolved, IncidentID: "i", Service: "gojek", Level: lapor.LevelDetected,
			At: at, Count: 3, Baseline: 1.5, Symptoms: []string{"app"}, Countries: []string{"ID"}, EndReason: lapor.EndFaded}},
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[tt.schema]
			if ref == nil || ref.Value == nil {
				t.Fatalf("no schema %s in api/openapi.yaml", tt.schema)
			}
			v := reflect.ValueOf(tt.value)
			for i := range v.NumField() {
				if v.Field(i).IsZero() {
					t.Fatalf("the test leaves %T.%s unset: set every field", tt.value, v.Type().Field(i).Name)
				}
			}
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for k := range fields {
				got = append(got, k)
			}
			for k := range ref.Value.Properties {
				want = append(want, k)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%T's JSON has %v; the schema %s has %v", tt.value, got, tt.schema, want)
			}
			var body any
			_ = json.Unmarshal(b, &body)
			if err := ref.Value.VisitJSON(body); err != nil {
				t.Fatalf("%s against the schema: %v", b, err)
			}
		})
	}
}
