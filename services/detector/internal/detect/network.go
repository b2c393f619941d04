package detect

import (
	"context"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// An incident must not rest on one network: the ingest caps each network
// at NetCap counted reporters per service and window, but on a very small
// service that cap alone can still make an outage. So before an opening
// is stored or published, the detector reads who reported it from the raw
// reports (only openings pay for this) and withholds it if, without its
// largest network, fewer than MinReporters distinct reporters remain. The
// tracker proposes it again next cycle while the burst lasts, and it opens
// as soon as enough reporters from other networks join.

// opening is an incident a cycle's steps opened, held until the network
// check has passed.
type opening struct {
	change  int        // index of its change among the cycle's changes
	from    time.Time  // start of the reports it is judged on
	calm    spike.Calm // the service's calm before it opened
	hadCalm bool
}

// netCount is the distinct reporters of an opening: all of them, and
// those of its largest known network.
type netCount struct{ total, largest uint64 }

// carried reports whether one network carries an opening with these
// counts. Reports stored before networks were, with an empty network,
// belong to none, so an opening known only from them is judged as before.
func (d *Detector) carried(n netCount) bool {
	return n.largest > 0 && float64(n.total-n.largest) < d.cfg.Params.MinReporters
}

// openingFrom is where the reports an opening is judged on start: at the
// incident's start, but no earlier than the span that opened it.
func (d *Detector) openingFrom(in spike.Incident) time.Time {
	from := in.StartedAt
	if in.Span > 0 {
		if lo := in.Bucket.Add(-time.Duration(in.Span-1) * d.cfg.Bucket); from.Before(lo) {
			from = lo
		}
	}
	return from
}

// withhold takes back the openings that one network carries, judged on
// each one's reports up to to, and returns their services. The tracker
// and the calm of those services are left as if nothing had opened. If
// the reports cannot be read, every opening stands: alerts must not
// depend on this check.
func (d *Detector) withhold(ctx context.Context, openings map[string]opening, to time.Time) map[string]bool {
	counts, err := d.networkCounts(ctx, openings, to)
	if err != nil {
		d.log.Warn("cannot tell whether one network carries new incidents; opening them", "openings", len(openings), "err", err)
		return nil
	}
	withheld := make(map[string]bool)
	for s, o := range openings {
		n := counts[s]
		if !d.carried(n) {
			continue
		}
		d.tracker.Withdraw(s)
		if o.hadCalm {
			d.calm[s] = o.calm
		} else {
			delete(d.calm, s)
		}
		withheld[s] = true
		d.log.Info("opening withheld: one network carries it", "service_slug", s,
			"reporters", n.total, "largest_network_reporters", n.largest, "min_reporters", d.cfg.Params.MinReporters)
	}
	return withheld
}

// networkCounts reads, in one query for all the openings, each one's
// distinct reporters since its from and before to, and those of its
// largest network. A reporter (a host under the day's key) belongs to one
// network; one seen both before networks were stored and after counts in
// its known network.
func (d *Detector) networkCounts(ctx context.Context, openings map[string]opening, to time.Time) (map[string]netCount, error) {
	since := make(map[string]time.Time, len(openings))
	for s, o := range openings {
		since[s] = o.from
	}
	counts, err := d.store.ReportersByNetwork(ctx, since, to)
	if err != nil {
		return nil, err
	}
	out := make(map[string]netCount, len(counts))
	for s, n := range counts {
		out[s] = netCount{total: n.Total, largest: n.Largest}
	}
	return out, nil
}
