package api

import (
	"context"
	"time"

	"github.com/lapor/lapor/services/shared/stream"
)

// settle is how long after a bucket ends its numbers may still change
// when nothing is waiting to be written: the detector judges a bucket in
// its first cycle after the bucket ends (a minute by default), and the
// clocks of ingest and Redis may differ by a few seconds.
const settle = 2 * time.Minute

// finalTimeout bounds the wait for Redis's answer to finalBefore.
const finalTimeout = 300 * time.Millisecond

// finalBefore is the time before which every bucket's numbers are final:
// each report ingested before it is in ClickHouse and has been judged,
// so a stable link or CSV over buckets ending by then gives the same
// numbers every time. Reports still waiting in the stream (a slow or
// stalled worker) hold it back to when the oldest of them came in. It is
// the zero time when that cannot be known (Redis is unreachable): then no
// bucket is called final.
func (s *Server) finalBefore(ctx context.Context) time.Time {
	now := s.now()
	if s.rdb == nil {
		return now.Add(-settle)
	}
	t, _ := s.final.Get(ctx, func(ctx context.Context) (time.Time, error) {
		// A series is not held up by Redis being slow or gone: past the
		// timeout nothing is final, and that answer is kept like any
		// other, so a dead Redis costs one attempt a second, not one per
		// request.
		ctx, cancel := context.WithTimeout(ctx, finalTimeout)
		defer cancel()
		oldest, waiting, err := stream.OldestUnwritten(ctx, s.rdb, s.streams)
		if err != nil {
			s.log.Warn("cannot tell which buckets are final", "err", err)
			return time.Time{}, nil
		}
		t := now.Add(-settle)
		if waiting && oldest.Add(-settle).Before(t) {
			t = oldest.Add(-settle)
		}
		return t, nil
	})
	return t
}
