// Package lapor holds the types every Lapor service speaks: a Report (one
// "I have a problem" click), a Service of the catalog, an Incident (one
// outage of one service) and an AlertEvent (what happened to it), and the
// words they use: how sure an incident is (Level), whether it is over
// (Status), why it ended (EndReason), what an alert says (AlertKind).
// Each word is a named type with its constants, so that a level cannot be
// passed where a status is meant; the JSON spells them as the API
// document (api/openapi.yaml) does, and the contract test in
// services/web/internal/contract checks the JSON against it.
//
// The package depends on nothing but the standard library: storage
// (package clickhouse, package redis) and transport (the web's handlers)
// depend on it, never the other way round.
//
// It is the root of the shared module; import it as
//
//	lapor "github.com/lapor/lapor/services/shared"
package lapor

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
