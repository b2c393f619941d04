// Package lapor holds the words every Lapor service speaks: how sure an
// incident is, whether it is over, why it ended, and what an alert says
// happened. Each is a named type with its constants, so that a level
// cannot be passed where a status is meant; the JSON and the storage
// spell them as the API document (api/openapi.yaml) does.
//
// It is the root of the shared module; import it as
//
//	lapor "github.com/lapor/lapor/services/shared"
package lapor

import "time"

// Level is how sure Lapor is that a service has a problem, in rising
// order of certainty, as the public sees it.
type Level string

// Levels.
const (
	LevelPossible Level = "possible" // "possible problems"
	LevelDetected Level = "detected" // "problems detected"
)

// Valid reports whether l is one of the levels.
func (l Level) Valid() bool { return l == LevelPossible || l == LevelDetected }

// Status is whether an incident is still going on.
type Status string

// Statuses.
const (
	StatusOpen     Status = "open"
	StatusResolved Status = "resolved"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == StatusOpen || s == StatusResolved }

// EndReason is why a resolved incident ended; empty where the reason was
// not stored (incidents older than the column).
type EndReason string

// End reasons: the detector stores spike.End so.
const (
	EndNormal    EndReason = "normal"     // reports are back near normal
	EndFaded     EndReason = "faded"      // reports fell to a fifth of the peak's excess, perhaps still above normal
	EndNewNormal EndReason = "new_normal" // reports stayed up for FreezeFor: their level is now taken as normal
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

// Incident is one outage of one service.
type Incident struct {
	ID               string    `json:"id"`
	Service          string    `json:"service"`
	Level            Level     `json:"level"`
	Status           Status    `json:"status"`
	StartedAt        time.Time `json:"started_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	EndedAt          time.Time `json:"ended_at"`
	EndReason        EndReason `json:"end_reason"` // once resolved; empty before the reason was stored
	Peak             uint32    `json:"peak"`
	PeakAt           time.Time `json:"peak_at"`
	Baseline         float64   `json:"baseline"`
	LastCount        uint32    `json:"last_count"`
	TopSymptoms      []string  `json:"top_symptoms"`
	TopSymptomShares []float64 `json:"top_symptom_shares"`
	TopCountries     []string  `json:"top_countries"`
	Version          uint64    `json:"-"`
	// Span is how many buckets the detector's span that opened it summed
	// (spike.Incident.Span), so a restart ends it the same way; 0 where
	// not stored.
	Span uint16 `json:"-"`
}

// Open reports whether the incident is still going on.
func (i *Incident) Open() bool { return i.Status == StatusOpen }
