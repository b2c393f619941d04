package detect

import (
	"context"
	"fmt"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
)

// span is the half-open time range [from, to).
type span struct{ from, to time.Time }

// contains reports whether t lies in the span.
func (s span) contains(t time.Time) bool { return !t.Before(s.from) && t.Before(s.to) }

// recentBuckets is how many whole buckets the recent window holds.
func (c Config) recentBuckets() int { return int(c.RecentWindow / c.Bucket) }

// recentSpan is the recent window of whole buckets ending at end.
func (c Config) recentSpan(end time.Time) span {
	return span{end.Add(-time.Duration(c.recentBuckets()) * c.Bucket), end}
}

// levelSpan is the recent window a service's level is read from in the
// cycle whose previous bucket starts at prev: the buckets before prev or,
// while the service has an incident (for at most FreezeFor) and until its
// buckets have left the window, the buckets before the one that opened it
// (prev at the time; see frozenAt), so that an outage raises neither its
// own baseline nor the next one's. An incident opened with too little
// history to freeze (a new service judged on the floor) keeps the window
// moving: the service's own traffic is then the only evidence of what is
// normal for it.
func (d *Detector) levelSpan(service string, prev time.Time) span {
	if pre, ok := d.frozenAt(service, prev); ok {
		frozen := d.cfg.recentSpan(pre)
		if frozen.to.Before(prev) && bucketsFrom(frozen, d.firstOf(service, prev), d.cfg.Bucket) >= d.cfg.Params.MinRecent {
			return frozen
		}
	}
	return d.cfg.recentSpan(prev)
}

// frozenAt is where the service's recent window ends while it stands
// still (spike.Calm), and whether it does. A calm that changes nothing
// any more is forgotten.
func (d *Detector) frozenAt(service string, prev time.Time) (time.Time, bool) {
	var open *spike.Incident
	if in, ok := d.tracker.Lookup(service); ok {
		open = &in
	}
	c := d.calm[service]
	if open == nil && c.Spent(prev, d.cfg.RecentWindow) {
		delete(d.calm, service)
	}
	return c.Frozen(open, prev, d.cfg.RecentWindow, d.tracker.Params())
}

// since is the Since of the service's level in the cycle whose previous
// bucket is prev (spike.Calm.Since), read from the kept common window
// (nil when there are none).
func (d *Detector) since(service string, prev time.Time) []float64 {
	from, to, ok := d.calm[service].Since(prev, d.cfg.RecentWindow)
	if !ok {
		return nil
	}
	n := d.cfg.recentBuckets()
	i := max(n-int(prev.Sub(from)/d.cfg.Bucket), 0)
	j := n - int(prev.Sub(to)/d.cfg.Bucket)
	if j <= i {
		return nil
	}
	if xs := d.recentLevels.counts[service]; xs != nil {
		return xs[i:j]
	}
	return make([]float64, j-i)
}

// loadCalm gives the services whose latest incident ended less than a
// recent window ago (by the wall clock) the calm it left, so that a
// restart does not put that incident into their recent level.
func (d *Detector) loadCalm(ctx context.Context) error {
	ended, err := d.store.Incidents(ctx, clickhouse.IncidentFilter{Status: lapor.StatusResolved, Limit: 1000})
	if err != nil {
		return fmt.Errorf("load lately ended incidents: %w", err)
	}
	latest := make(map[string]bool)
	for _, in := range ended { // newest first: only a service's latest counts
		if latest[in.Service] {
			continue
		}
		latest[in.Service] = true
		if _, open := d.tracker.Lookup(in.Service); open {
			continue
		}
		var c spike.Calm
		c.Resolved(spike.Incident{StartedAt: in.StartedAt.UTC(), EndedAt: in.EndedAt.UTC()}, d.tracker.Params())
		if !c.Spent(time.Now(), d.cfg.RecentWindow) {
			d.calm[in.Service] = c
		}
	}
	return nil
}

// incidentChanged tells the service's calm of an opening or resolution.
func (d *Detector) incidentChanged(service string, dec spike.Decision) {
	switch dec.Kind {
	case spike.Opened:
		c := d.calm[service]
		c.Opened(dec.Incident.StartedAt, d.cfg.RecentWindow, d.tracker.Params())
		d.calm[service] = c
	case spike.Resolved:
		c := d.calm[service]
		c.Resolved(dec.Incident, d.tracker.Params())
		d.calm[service] = c
	}
}

// firstOf is the start of a service's history, or fallback when it has
// none the detector knows of.
func (d *Detector) firstOf(service string, fallback time.Time) time.Time {
	if f, ok := d.first[service]; ok {
		return f
	}
	return fallback
}

// bucketsFrom is how many buckets of s start at or after first.
func bucketsFrom(s span, first time.Time, bucket time.Duration) int {
	n := int(s.to.Sub(s.from) / bucket)
	if first.After(s.from) {
		n -= int((first.Sub(s.from) + bucket - 1) / bucket) // those starting before first
	}
	return max(n, 0)
}

// window returns the counts of the buckets of s that start at or after
// first, the start of the service's history, oldest first, from counts,
// the whole span's counts oldest first (nil when nobody reported in it).
// A bucket nobody reported in counts as zero; buckets before first are
// left out: that is not quiet, it is no history.
func window(counts []float64, s span, first time.Time, bucket time.Duration) []float64 {
	n := bucketsFrom(s, first, bucket)
	if counts == nil {
		return make([]float64, n)
	}
	return counts[len(counts)-n:]
}

// levelTail is how many of the newest buckets of the recent window each
// cycle reads again: reports that reach ClickHouse a little after their
// bucket was first read still count in the recent level. Anything later
// waits for the hourly full read.
const levelTail = 5

// recentLevels is every service's counts over the common recent window,
// kept from cycle to cycle: see levels.
type recentLevels struct {
	end    time.Time            // the window is the recent buckets before end
	counts map[string][]float64 // by service, oldest first, recentBuckets each
	// behind says reports came in for the oldest bucket read again, so
	// reports may be reaching ClickHouse later than the tail reaches
	// back (a worker catching up): the next cycle reads the whole window.
	behind bool
}

// levels returns each service's counts over its recent window
// (levelSpan), oldest first; a service nobody reported to in it has none.
//
// Reading the whole window for every service every cycle was most of a
// cycle's time (an hour of buckets for each of 10,000 services), and all
// but its newest bucket had been read the cycle before. So the common
// window is kept in memory: each cycle shifts it on to the new previous
// bucket and reads only its newest levelTail buckets again; it is read
// whole at start, when refresh says so (hourly, with the history starts),
// when the detector fell more than levelTail buckets behind, and after
// the oldest bucket read again turned out to have had late reports. The few
// services whose window stands still (an incident open or lately ended,
// see levelSpan) are read whole, in the same query.
func (d *Detector) levels(ctx context.Context, prev time.Time, refresh bool) (map[string][]float64, error) {
	n := d.cfg.recentBuckets()
	common := d.cfg.recentSpan(prev)
	lv := &d.recentLevels
	tail := min(levelTail, n)
	shift := int(prev.Sub(lv.end) / d.cfg.Bucket)
	read := common // the part of the common window read this cycle
	if refresh || lv.counts == nil || lv.behind || shift < 0 || shift > tail {
		lv.counts = make(map[string][]float64, len(lv.counts))
	} else {
		read.from = prev.Add(-time.Duration(tail) * d.cfg.Bucket)
		for s, xs := range lv.counts {
			copy(xs, xs[shift:])
			clear(xs[n-shift:])
			if shift > 0 && allZero(xs) {
				delete(lv.counts, s) // nobody reported in the window any more
			}
		}
	}
	lv.end, lv.behind = prev, false

	spans := make(map[string]span)
	// Windows stand still for open incidents and after recent ones.
	frozenCandidates := d.tracker.OpenServices(nil)
	for s := range d.calm {
		if _, open := d.tracker.Lookup(s); !open {
			frozenCandidates = append(frozenCandidates, s)
		}
	}
	for _, s := range frozenCandidates {
		if sp := d.levelSpan(s, prev); sp != common {
			spans[s] = sp
		}
	}
	step := int64(d.cfg.Bucket / time.Second)
	oldest := read.from.Unix()
	err := d.reporters(ctx, "recent levels", nil,
		[]clickhouse.TimeRange{{From: read.from, To: read.to}}, func(service string, b int64, c uint64) {
			xs := lv.counts[service]
			if xs == nil {
				xs = make([]float64, n)
				lv.counts[service] = xs
			}
			i := (b - common.from.Unix()) / step
			if read != common && b == oldest && xs[i] != float64(c) {
				lv.behind = true
			}
			xs[i] = float64(c)
		})
	frozen := make(map[string][]float64, len(spans))
	if err == nil && len(spans) > 0 {
		// By service, which the table is ordered by, over the span that
		// holds them all; each keeps the rows of its own.
		var (
			services []string
			from, to = prev, time.Time{}
		)
		for s, sp := range spans {
			services = append(services, s)
			if sp.from.Before(from) {
				from = sp.from
			}
			if sp.to.After(to) {
				to = sp.to
			}
		}
		err = d.reporters(ctx, "frozen recent levels", services, []clickhouse.TimeRange{{From: from, To: to}}, func(service string, b int64, c uint64) {
			sp, ok := spans[service]
			if !ok || !sp.contains(time.Unix(b, 0)) {
				return
			}
			xs := frozen[service]
			if xs == nil {
				xs = make([]float64, n)
				frozen[service] = xs
			}
			xs[(b-sp.from.Unix())/step] = float64(c)
		})
	}
	if err != nil {
		lv.counts = nil // half read: read it whole next time
		return nil, err
	}
	if len(frozen) == 0 && len(spans) == 0 {
		return lv.counts, nil
	}
	out := make(map[string][]float64, len(lv.counts)+len(spans))
	for s, xs := range lv.counts {
		if _, ok := spans[s]; !ok {
			out[s] = xs
		}
	}
	for s, xs := range frozen {
		out[s] = xs
	}
	return out, nil
}

func allZero(xs []float64) bool {
	for _, x := range xs {
		if x != 0 {
			return false
		}
	}
	return true
}
