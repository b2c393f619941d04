package read

import (
	"context"
	"time"
)

// Settle is how long after a bucket ends its numbers may still change
// when nothing is waiting to be written: the detector judges a bucket in
// its first cycle after the bucket ends (a minute by default), and the
// clocks of ingest and Redis may differ by a few seconds.
const Settle = 2 * time.Minute

// finalTimeout bounds the wait for the backlog's answer to FinalBefore.
const finalTimeout = 300 * time.Millisecond

// Backlog tells how far behind the writing of reports is: reports still
// waiting in the report streams are not in ClickHouse yet. The web reads
// it from Redis.
type Backlog interface {
	// OldestUnwritten returns when the oldest report not yet written came
	// in; waiting is false when none waits.
	OldestUnwritten(ctx context.Context) (oldest time.Time, waiting bool, err error)
}

// FinalBefore is the time before which every bucket's numbers are final:
// each report ingested before it is in ClickHouse and has been judged,
// so a stable link or CSV over buckets ending by then gives the same
// numbers every time. Reports still waiting in the stream (a slow or
// stalled worker) hold it back to when the oldest of them came in. It is
// the zero time when that cannot be known (Redis is unreachable): then no
// bucket is called final.
func (r *Reader) FinalBefore(ctx context.Context) time.Time {
	now := r.now()
	if r.backlog == nil {
		return now.Add(-Settle)
	}
	t, _ := r.final.Get(ctx, func(ctx context.Context) (time.Time, error) {
		// A series is not held up by Redis being slow or gone: past the
		// timeout nothing is final, and that answer is kept like any
		// other, so a dead Redis costs one attempt a second, not one per
		// request.
		ctx, cancel := context.WithTimeout(ctx, finalTimeout)
		defer cancel()
		oldest, waiting, err := r.backlog.OldestUnwritten(ctx)
		if err != nil {
			r.log.Warn("cannot tell which buckets are final", "err", err)
			return time.Time{}, nil
		}
		t := now.Add(-Settle)
		if waiting && oldest.Add(-Settle).Before(t) {
			t = oldest.Add(-Settle)
		}
		return t, nil
	})
	return t
}
