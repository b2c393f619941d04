package publicapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type incidentBody struct {
	ID          string  `json:"id"`
	Service     string  `json:"service"`
	Status      string  `json:"status"`
	Level       string  `json:"level"`
	StartedAt   string  `json:"started_at"`
	EndedAt     *string `json:"ended_at"`
	EndReason   *string `json:"end_reason"`
	TopSymptoms []struct {
		Symptom string  `json:"symptom"`
		Share   float64 `json:"share"`
	} `json:"top_symptoms"`
}

func decodeIncidents(t *testing.T, body []byte) []incidentBody {
	t.Helper()
	var out struct {
		Incidents []incidentBody `json:"incidents"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode incidents: %v: %s", err, body)
	}
	return out.Incidents
}

func TestIncidentsList(t *testing.T) {
	f := newFixture(t)
	seedStatus(t, f)
	tests := []struct {
		name, query string
		want        []string // ids, newest first
	}{
		{"all", "", []string{"inc-wa", "inc-bca-old", "inc-bca", "inc-gojek"}},
		{"open", "status=open", []string{"inc-wa", "inc-bca-old", "inc-bca"}},
		{"resolved", "status=resolved", []string{"inc-gojek"}},
		{"service", "service=bca", []string{"inc-bca-old", "inc-bca"}},
		{"service and status", "service=gojek&status=open", []string{}},
		{"limit", "limit=1", []string{"inc-wa"}},
		{"unknown service", "service=nope", []string{}},
		{"level", "level=possible", []string{"inc-wa", "inc-bca-old"}},
		{"level detected", "level=detected", []string{"inc-bca", "inc-gojek"}},
		{"category", "category=Banking", []string{"inc-bca-old", "inc-bca"}},
		{"category and status", "category=transport&status=resolved", []string{"inc-gojek"}},
		{"unknown category", "category=nope", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.checkKeys(t, "/api/v1/incidents?"+tc.query, incidentIDs, tc.want)
		})
	}
}

func incidentIDs(t *testing.T, body []byte) []string {
	t.Helper()
	ids := []string{}
	for _, in := range decodeIncidents(t, body) {
		ids = append(ids, in.ID)
	}
	return ids
}

func TestIncidentsBadParameters(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ query, field string }{
		{"status=closed", "status"},
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"service=" + strings.Repeat("s", 65), "service"},
		{"level=severe", "level"},
		{"category=" + strings.Repeat("c", 101), "category"},
	} {
		t.Run(tc.query[:min(len(tc.query), 20)], func(t *testing.T) {
			f.checkBadParameter(t, "/api/v1/incidents?"+tc.query, tc.field)
		})
	}
}

func TestIncidentOne(t *testing.T) {
	f := newFixture(t)
	seedStatus(t, f)

	rec := f.get(t, "/api/v1/incidents/inc-gojek")
	var in incidentBody
	if err := json.Unmarshal(rec.Body.Bytes(), &in); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("status %d: %v: %s", rec.Code, err, rec.Body)
	}
	if in.Status != "resolved" || in.EndedAt == nil || *in.EndedAt != "2025-03-10T10:07:30Z" || in.StartedAt != "2025-03-10T09:07:30Z" ||
		in.EndReason == nil || *in.EndReason != "faded" {
		t.Errorf("resolved incident = %+v", in)
	}

	rec = f.get(t, "/api/v1/incidents/inc-wa")
	in = incidentBody{}
	if err := json.Unmarshal(rec.Body.Bytes(), &in); err != nil {
		t.Fatal(err)
	}
	if in.Status != "open" || in.EndedAt != nil || in.EndReason != nil || len(in.TopSymptoms) != 2 || in.TopSymptoms[0].Symptom != "app" || in.TopSymptoms[0].Share != 0.75 {
		t.Errorf("open incident = %+v", in)
	}

	for _, id := range []string{"nope", strings.Repeat("x", 100)} {
		rec = f.get(t, "/api/v1/incidents/"+id)
		if e := decodeError(t, rec.Body.Bytes()); rec.Code != http.StatusNotFound || e.Code != "not_found" {
			t.Errorf("%s: status %d error %+v, want 404 not_found", id[:4], rec.Code, e)
		}
	}
}

// httptestGet makes a request without the contract check, for paths the
// contract does not describe.
func httptestGet(f *fixture, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}
