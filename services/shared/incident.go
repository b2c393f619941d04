package lapor

import (
	"encoding/json"
	"time"
)

// Incident is one outage of one service. Its JSON is the API document's
// Incident schema, which the public API, the partner API and the Go
// client all use as it is, so a field added here and to the document is
// served everywhere.
type Incident struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"`
	Level     Level     `json:"level"`
	Status    Status    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// EndedAt is zero while the incident is open.
	EndedAt      time.Time      `json:"ended_at,omitzero"`
	EndReason    EndReason      `json:"end_reason,omitempty"` // once resolved; empty before the reason was stored
	Peak         uint32         `json:"peak"`
	PeakAt       time.Time      `json:"peak_at"`
	Baseline     float64        `json:"baseline"`
	LastCount    uint32         `json:"last_count"`
	TopSymptoms  []SymptomShare `json:"top_symptoms"`
	TopCountries []string       `json:"top_countries"`
	// Version orders the states of one incident: the newest wins.
	Version uint64 `json:"-"`
	// Span is how many buckets the detector's span that opened it summed
	// (spike.Incident.Span), so a restart ends it the same way; 0 where
	// not stored.
	Span uint16 `json:"-"`
}

// SymptomShare is a symptom and its share of an incident's reports.
type SymptomShare struct {
	Symptom string  `json:"symptom"`
	Share   float64 `json:"share"`
}

// Open reports whether the incident is still going on.
func (i *Incident) Open() bool { return i.Status == StatusOpen }

// Symptoms are the incident's top symptoms, most reported first.
func (i *Incident) Symptoms() []string {
	out := make([]string, len(i.TopSymptoms))
	for k, s := range i.TopSymptoms {
		out[k] = s.Symptom
	}
	return out
}

// MarshalJSON writes lists as [] rather than null, as the schema requires.
func (i Incident) MarshalJSON() ([]byte, error) {
	type plain Incident // without this method
	p := plain(i)
	if p.TopSymptoms == nil {
		p.TopSymptoms = []SymptomShare{}
	}
	if p.TopCountries == nil {
		p.TopCountries = []string{}
	}
	return json.Marshal(p)
}
