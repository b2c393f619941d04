package read

import (
	"context"
	"fmt"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// Status is the state every listing of services shares: open incidents,
// the last hour's reports and the detector's latest judgements.
type Status struct {
	// Open is the most severe open incident of each service.
	Open     map[string]lapor.Incident
	Activity Activity
	// Judged is each service's latest judged bucket, if recent.
	Judged map[string]clickhouse.Expectation
}

// JudgedWithin is how old a service's latest judged bucket may be for the
// pages to say that its reports are above normal: a few detector cycles.
const JudgedWithin = 5 * time.Minute

// Status returns the services' status, shared for the status TTL.
func (r *Reader) Status(ctx context.Context) (Status, error) {
	return r.status.Get(ctx, r.loadStatus)
}

// StatusBody is the JSON of render's answer from the services' status:
// encoded once per view (what render makes of it: a filter, a service)
// each time the status is read again, and shared by every request until
// then.
func (r *Reader) StatusBody(ctx context.Context, view string, render func(Status) (any, error)) (*Body, error) {
	return r.status.Body(ctx, view, r.loadStatus, render)
}

func (r *Reader) loadStatus(ctx context.Context) (Status, error) {
	now := r.now()
	open, err := r.Incidents(ctx, clickhouse.IncidentFilter{Status: lapor.StatusOpen, Limit: MaxIncidents})
	if err != nil {
		return Status{}, fmt.Errorf("list open incidents: %w", err)
	}
	act, err := r.Activity(ctx, now.Add(-time.Hour))
	if err != nil {
		return Status{}, fmt.Errorf("read last hour of reports: %w", err)
	}
	judged, err := r.LatestExpectations(ctx, now.Add(-JudgedWithin))
	if err != nil {
		return Status{}, fmt.Errorf("read latest judgements: %w", err)
	}
	st := Status{Open: map[string]lapor.Incident{}, Activity: act, Judged: judged}
	// List returns newest first, so on a tie the newest incident stays.
	for _, in := range open {
		cur, ok := st.Open[in.Service]
		if !ok || severity(in.Level) < severity(cur.Level) {
			st.Open[in.Service] = in
		}
	}
	return st, nil
}

// severity orders incident levels worst first; anything short of
// detected counts as possible.
func severity(l lapor.Level) int {
	if l == lapor.LevelDetected {
		return 0
	}
	return 1
}
