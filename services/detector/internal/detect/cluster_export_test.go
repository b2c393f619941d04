package detect

import (
	"context"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// The reads the detector makes of the rollup, for the cluster test to
// compare on a cluster and on one node.

// Recent is recent: distinct reporters per service in the previous and
// the current bucket.
func (d *Detector) Recent(ctx context.Context, prev, cur time.Time) (map[string][2]uint64, error) {
	m, err := d.recent(ctx, prev, cur)
	out := make(map[string][2]uint64, len(m))
	for s, p := range m {
		out[s] = [2]uint64{p.prev, p.cur}
	}
	return out, err
}

// History is history: distinct reporters per service and bucket around
// the slots the baseline looks at.
func (d *Detector) History(ctx context.Context, prev, cur time.Time) (map[string]map[int64]float64, error) {
	return d.history(ctx, prev, cur)
}

// FirstSeen is firstSeen: when each service's history starts.
func (d *Detector) FirstSeen(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	return d.firstSeen(ctx, since)
}

// Breakdown is what breakdowns reads for one service: its top symptoms
// with their shares, and its top countries.
type Breakdown struct {
	Symptoms  []lapor.SymptomShare
	Countries []string
}

// Breakdowns is breakdowns: reports by symptom and country per service
// since its time.
func (d *Detector) Breakdowns(ctx context.Context, since map[string]time.Time) (map[string]Breakdown, error) {
	m, err := d.breakdowns(ctx, since)
	out := make(map[string]Breakdown, len(m))
	for s, b := range m {
		out[s] = Breakdown{b.symptoms, b.countries}
	}
	return out, err
}
