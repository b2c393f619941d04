package lapor

import (
	"encoding/json"
	"fmt"
	"time"
)

// AlertKind is what an alert event says happened to an incident.
type AlertKind string

// Alert kinds.
const (
	AlertOpened    AlertKind = "opened"
	AlertEscalated AlertKind = "escalated"
	AlertUpdated   AlertKind = "updated"
	AlertResolved  AlertKind = "resolved"
)

// Valid reports whether k is one of the kinds.
func (k AlertKind) Valid() bool {
	switch k {
	case AlertOpened, AlertEscalated, AlertUpdated, AlertResolved:
		return true
	}
	return false
}

// AlertEvent is one alert as published to the alert stream.
type AlertEvent struct {
	ID         string    `json:"id"`
	Kind       AlertKind `json:"kind"`
	IncidentID string    `json:"incident_id"`
	Service    string    `json:"service"`
	Level      Level     `json:"level"`
	At         time.Time `json:"at"`
	Count      uint32    `json:"count"`
	Baseline   float64   `json:"baseline"`
	Symptoms   []string  `json:"symptoms,omitempty"`
	Countries  []string  `json:"countries,omitempty"`
	EndReason  EndReason `json:"end_reason,omitempty"` // on resolved events: why
}

// Encode renders an event for the stream.
func (e *AlertEvent) Encode() (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode alert event: %w", err)
	}
	return string(b), nil
}

// DecodeAlertEvent parses an event from the stream.
func DecodeAlertEvent(s string) (AlertEvent, error) {
	var e AlertEvent
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return AlertEvent{}, fmt.Errorf("decode alert event: %w", err)
	}
	return e, nil
}
