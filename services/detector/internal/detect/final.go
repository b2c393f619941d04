package detect

import (
	"context"
	"fmt"
	"time"
)

// FinalSettle is how long after a minute ends the leader waits before
// finalising its counts (clickhouse.FinalizeBefore) when nothing is
// waiting to be written: the clocks of ingest and Redis may differ by a
// few seconds, and it is the web's read.Settle, so a bucket the pages call
// final is final here soon after.
const FinalSettle = 2 * time.Minute

// finalize finalises the counts of every minute whose reports are all in
// ClickHouse: ended FinalSettle ago, and before the oldest report still
// waiting in the report streams (less FinalSettle, for the ingest's clock).
// Without an answer from Redis nothing is finalised: reads then take the
// open minutes from the rollup's states, exact but slower, until the next
// cycle. It returns the watermark it leaves.
func (d *Detector) finalize(ctx context.Context, now time.Time) (time.Time, error) {
	before := now.Add(-FinalSettle)
	oldest, waiting, err := d.state.OldestUnwritten(ctx, d.cfg.Streams)
	if err != nil {
		return time.Time{}, fmt.Errorf("finalise counts: cannot tell which reports are written: %w", err)
	}
	if waiting && oldest.Add(-FinalSettle).Before(before) {
		before = oldest.Add(-FinalSettle)
	}
	until, err := d.store.FinalizeBefore(ctx, before)
	if err != nil {
		return until, fmt.Errorf("finalise counts before %s: %w", before.Format(time.RFC3339), err)
	}
	return until, nil
}

// Finalize is finalize as of now, for tests and tools: the leader runs it
// after every cycle.
func (d *Detector) Finalize(ctx context.Context, now time.Time) (time.Time, error) {
	return d.finalize(ctx, now)
}
