// Package alert defines the events the detector publishes when an incident
// opens, escalates, updates or resolves.
package alert

import (
	"encoding/json"
	"fmt"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// Event is one alert as published to the alert stream.
type Event struct {
	ID         string          `json:"id"`
	Kind       lapor.AlertKind `json:"kind"`
	IncidentID string          `json:"incident_id"`
	Service    string          `json:"service"`
	Level      lapor.Level     `json:"level"`
	At         time.Time       `json:"at"`
	Count      uint32          `json:"count"`
	Baseline   float64         `json:"baseline"`
	Symptoms   []string        `json:"symptoms,omitempty"`
	Countries  []string        `json:"countries,omitempty"`
	EndReason  lapor.EndReason `json:"end_reason,omitempty"` // on resolved events: why
}

// Encode renders an event for the stream.
func (e *Event) Encode() (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode alert event: %w", err)
	}
	return string(b), nil
}

// Decode parses an event from the stream.
func Decode(s string) (Event, error) {
	var e Event
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return Event{}, fmt.Errorf("decode alert event: %w", err)
	}
	return e, nil
}
