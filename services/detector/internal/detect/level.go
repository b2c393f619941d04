package detect

import (
	"context"
	"strings"
	"time"
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
// while the service has an incident, the buckets before the one that
// opened it (prev at the time), so that an outage does not raise its own
// baseline. An incident opened with too little history to freeze (a new
// service judged on the floor) keeps the window moving: the service's
// own traffic is then the only evidence of what is normal for it.
func (d *Detector) levelSpan(service string, prev time.Time) span {
	if in, open := d.tracker.Lookup(service); open {
		frozen := d.cfg.recentSpan(in.StartedAt.Add(-d.cfg.Bucket))
		if frozen.to.Before(prev) && bucketsFrom(frozen, d.firstOf(service, prev), d.cfg.Bucket) >= d.cfg.Params.MinRecent {
			return frozen
		}
	}
	return d.cfg.recentSpan(prev)
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

// window returns the counts of the buckets in s that start at or after
// first, the start of the service's history, oldest first, reading counts
// by bucket start (Unix seconds). A bucket without an entry counts as
// zero: nobody reported. Buckets before first are left out: that is not
// quiet, it is no history.
func window(counts map[int64]float64, s span, first time.Time, bucket time.Duration) []float64 {
	out := make([]float64, 0, bucketsFrom(s, first, bucket))
	for t := s.from; t.Before(s.to); t = t.Add(bucket) {
		if !t.Before(first) {
			out = append(out, counts[t.Unix()])
		}
	}
	return out
}

// levels reads distinct reporters per service and bucket over each
// service's recent window (levelSpan), in one query for all services: the
// common window, plus one condition for each incident whose window is
// frozen earlier. Counts are by bucket start (Unix seconds).
func (d *Detector) levels(ctx context.Context, prev time.Time) (map[string]map[int64]float64, error) {
	common := d.cfg.recentSpan(prev)
	spans := make(map[string]span)
	ors := []string{"(minute >= toDateTime(?) AND minute < toDateTime(?))"}
	args := []any{common.from.Unix(), common.to.Unix()}
	for _, s := range d.tracker.OpenServices(nil) {
		sp := d.levelSpan(s, prev)
		if sp == common {
			continue
		}
		spans[s] = sp
		ors = append(ors, "(service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?))")
		args = append(args, s, sp.from.Unix(), sp.to.Unix())
	}
	out := make(map[string]map[int64]float64)
	err := d.reporters(ctx, "recent levels", strings.Join(ors, " OR "), args, func(service string, b int64, n uint64) {
		sp, ok := spans[service]
		if !ok {
			sp = common
		}
		// A frozen service's rows from the common window are not its own.
		if !sp.contains(time.Unix(b, 0)) {
			return
		}
		m := out[service]
		if m == nil {
			m = make(map[int64]float64, d.cfg.recentBuckets())
			out[service] = m
		}
		m[b] = float64(n)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
