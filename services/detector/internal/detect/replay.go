package detect

import (
	"context"
	"fmt"
	"math"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

// ReplayResult says what a replay wrote.
type ReplayResult struct {
	Services  int // services with history
	Buckets   int // judged buckets written to the expectations table
	Incidents int // ended incidents written
	Open      int // incidents still open at the end, left to the detector
	// WarmUp counts incidents left out because they started before a
	// service's history held the days its seasonal baseline needs
	// (Config.WarmUp): the history's start is where the data begins, not where
	// the service did, so until then its morning rise, or a busy service
	// over the floor, looks like an outage that never was.
	WarmUp int
}

// replayBatch is how many judged buckets go to ClickHouse in one insert.
const replayBatch = 50_000

// Replay judges the stored history before to bucket by bucket with the
// detector's rules (spike.Stream, which the parity test holds to the
// detector's cycle on complete buckets), and writes what a detector
// running all along would have left: each bucket's judgement (package
// band) and every incident that ended. Incidents still open at to are
// not written: the detector, started next, sees them itself. No alert
// goes out: partners are told of outages as they happen, not of history.
//
// It is for history the detector never saw, such as a backfill or an
// import, before the detector starts on it. Running it again writes the
// same rows (incident IDs are derived, and a replayed incident has the
// lowest version, so a state the detector itself stored wins). The
// network check at opening is not replayed: imported history has no
// networks.
func Replay(ctx context.Context, store Store, cfg Config, to time.Time) (ReplayResult, error) {
	var res ReplayResult
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	bucketSec := int64(cfg.Bucket / time.Second)
	end := to.Unix() - to.Unix()%bucketSec // the bucket still filling is the detector's

	var (
		judged []clickhouse.Expectation
		ended  []lapor.Incident
		stamp  = time.Now()
	)
	flush := func() error {
		if err := store.SaveExpectations(ctx, judged, stamp); err != nil {
			return err
		}
		res.Buckets += len(judged)
		judged = judged[:0]
		return nil
	}
	// replay judges one service's buckets from its first report to end,
	// with zero where nobody reported, as the detector steps them.
	replay := func(service string, counts map[int64]float64, first int64) error {
		st, err := spike.NewStream(cfg.Params, cfg.Bucket, cfg.RecentWindow, cfg.Weeks)
		if err != nil {
			return err
		}
		var open bool
		warm := time.Unix(first, 0).Add(cfg.WarmUp())
		for b := first; b < end; b += bucketSec {
			at := time.Unix(b, 0).UTC()
			p := st.Observe(at, counts[b])
			judged = append(judged, clickhouse.Expectation{Service: service, Bucket: at, Length: cfg.Bucket,
				Expected: p.Expected, Spans: st.Judgements(nil)})
			if len(judged) >= replayBatch {
				if err := flush(); err != nil {
					return err
				}
			}
			open = p.Alert
			if p.Kind == spike.Resolved {
				if p.Incident.StartedAt.Before(warm) {
					res.WarmUp++
				} else {
					ended = append(ended, replayed(service, p.Incident))
				}
			}
		}
		if open {
			res.Open++
		}
		res.Services++
		return nil
	}

	var (
		service string
		counts  map[int64]float64
		first   int64
	)
	// The history comes service by service, each in bucket order.
	err := store.ReportersBefore(ctx, cfg.Bucket, time.Unix(end, 0), func(s string, b int64, n uint64) error {
		if s != service {
			if counts != nil {
				if err := replay(service, counts, first); err != nil {
					return err
				}
			}
			service, counts, first = s, map[int64]float64{}, b
		}
		counts[b] = float64(n)
		return nil
	})
	if err != nil {
		return res, err
	}
	if counts != nil {
		if err := replay(service, counts, first); err != nil {
			return res, err
		}
	}
	if err := flush(); err != nil {
		return res, err
	}

	for i := range ended {
		in := &ended[i]
		// The breakdown of the incident's own window, as the detector
		// would have stored it while the incident was on.
		tops, err := breakdowns(ctx, store, map[string]time.Time{in.Service: in.StartedAt.Add(-cfg.Bucket)}, in.EndedAt)
		if err != nil {
			return res, fmt.Errorf("breakdown of replayed incident %s: %w", in.ID, err)
		}
		if b, ok := tops[in.Service]; ok {
			in.TopSymptoms, in.TopCountries = b.symptoms, b.countries
		}
	}
	if err := store.SaveIncidents(ctx, ended); err != nil {
		return res, fmt.Errorf("store replayed incidents: %w", err)
	}
	res.Incidents = len(ended)
	return res, nil
}

// WarmUp is how long a replayed service's history must be before its
// incidents count: the days the detector needs for a daily baseline
// (Params.MinDays), and at least the recent window.
func (c Config) WarmUp() time.Duration {
	return max(c.RecentWindow, time.Duration(c.Params.MinDays)*24*time.Hour)
}

// replayed is the stored form of an incident a replay saw end. Its
// version is the lowest, so that any state the detector stored of the
// same incident wins.
func replayed(service string, st spike.Incident) lapor.Incident {
	return lapor.Incident{
		ID:        incidentID(service, st.StartedAt),
		Service:   service,
		Level:     levelName(st.Level),
		Status:    lapor.StatusResolved,
		StartedAt: st.StartedAt.UTC(),
		UpdatedAt: st.EndedAt.UTC(),
		EndedAt:   st.EndedAt.UTC(),
		EndReason: endName(st.End),
		Peak:      st.Peak,
		PeakAt:    st.PeakAt.UTC(),
		Baseline:  st.PeakExpected,
		LastCount: st.Last,
		Version:   1,
		Span:      uint16(min(st.Span, math.MaxUint16)),
	}
}
