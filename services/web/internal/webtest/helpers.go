package webtest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// OpenIncident is an open incident as the detector stores it.
func OpenIncident(id, service string, level lapor.Level, started time.Time, version uint64) lapor.Incident {
	return lapor.Incident{
		ID: id, Service: service, Level: level, Status: lapor.StatusOpen,
		StartedAt: started, UpdatedAt: started, PeakAt: started, Peak: 40, Baseline: 2.5, LastCount: 30,
		TopSymptoms: []lapor.SymptomShare{{Symptom: "app", Share: 0.75}, {Symptom: "login", Share: 0.25}}, TopCountries: []string{"ID"},
		Version: version,
	}
}

// Resolved is in resolved at ended (faded), as its next version.
func Resolved(in lapor.Incident, ended time.Time, version uint64) lapor.Incident {
	in.Status, in.EndedAt, in.UpdatedAt, in.Version = lapor.StatusResolved, ended, ended, version
	in.EndReason = lapor.EndFaded
	return in
}

// SettableClock is a clock starting at Now that advance moves on.
func SettableClock() (clock func() time.Time, advance func(time.Duration)) {
	var mu sync.Mutex
	now := Now
	clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance = func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	return clock, advance
}

// ErrorDetail is the error an API answers.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// DecodeError reads an API's error body.
func DecodeError(t *testing.T, body []byte) ErrorDetail {
	t.Helper()
	var e struct {
		Error ErrorDetail `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode error body: %v: %s", err, body)
	}
	return e.Error
}

// V7 makes a UUIDv7 made at ts, told apart by n, as ingest makes report
// ids.
func V7(ts time.Time, n int) string {
	ms := ts.UnixMilli()
	return fmt.Sprintf("%08x-%04x-7%03x-8000-%012x", ms>>16, ms&0xffff, n, n)
}

// Eventually calls cond until it holds, failing t if it does not within
// a few seconds: for what a cache refreshes in the background.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}
