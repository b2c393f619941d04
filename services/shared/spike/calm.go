package spike

import "time"

// Calm is where a service's recent window stands around its incidents
// (see "Baseline"): it stands still, ending before the incident, while
// the incident is open (for at most FreezeFor) and until its buckets have
// left the window; after the incident the buckets since it ended are the
// level's Since; an incident that opens while the last one's buckets are
// still in the window keeps that one's window, and the calm between them
// is its Since. Stream and the detector service each keep one per
// service and tell it of every opening and resolution, so the rule is
// written once.
type Calm struct {
	pre   time.Time // the window ends here (exclusive) while it stands still
	after time.Time // the last incident's quiet run began here; zero when none counts
	upTo  time.Time // while a next incident is open: where the calm between them ends
}

// Opened tells c that an incident starting at start has opened; window
// is the recent window's length.
func (c *Calm) Opened(start time.Time, window time.Duration, p Params) {
	if !c.after.IsZero() && start.Sub(c.after) < window {
		c.upTo = start
		return
	}
	*c = Calm{pre: start.Add(-p.Bucket)}
}

// Resolved tells c that the incident in has ended. One that ended as a
// new normal (its window thawed) leaves nothing to keep still.
func (c *Calm) Resolved(in Incident, p Params) {
	if p.Thawed(in.EndedAt.Sub(in.StartedAt)) {
		*c = Calm{}
		return
	}
	if c.pre.IsZero() { // an incident restored after a restart
		c.pre = in.StartedAt.Add(-p.Bucket)
	}
	c.after, c.upTo = in.EndedAt, time.Time{}
}

// Frozen is where the recent window of the bucket at ends while it
// stands still, and whether it does; open is the service's open
// incident, nil without one.
func (c Calm) Frozen(open *Incident, at time.Time, window time.Duration, p Params) (time.Time, bool) {
	if open != nil {
		switch {
		case p.Thawed(at.Sub(open.StartedAt)):
			return time.Time{}, false
		case c.pre.IsZero(): // restored after a restart: frozen from its start
			return open.StartedAt.Add(-p.Bucket), true
		}
		return c.pre, true
	}
	if c.Spent(at, window) {
		return time.Time{}, false
	}
	return c.pre, true
}

// Since is the span [from, to) of the buckets that are the Since of the
// level of the bucket at (see History.Since); ok is false without any.
func (c Calm) Since(at time.Time, window time.Duration) (from, to time.Time, ok bool) {
	if c.Spent(at, window) {
		return time.Time{}, time.Time{}, false
	}
	to = at
	if !c.upTo.IsZero() && c.upTo.Before(at) {
		to = c.upTo
	}
	return c.after, to, to.After(c.after)
}

// Spent reports whether, with no incident open, c changes nothing at the
// bucket at any more: the last incident's buckets have left the window.
func (c Calm) Spent(at time.Time, window time.Duration) bool {
	return c.after.IsZero() || at.Sub(c.after) >= window
}
