package detect

import (
	"context"
	"time"
)

// writtenBefore reports whether every report ingested before t has
// reached ClickHouse, and if not, since when reports are waiting (see
// redis.OldestUnwritten). A bucket whose reports are still waiting must
// not be judged complete: its low count would look like the outage
// ending, and a stalled worker would resolve every open incident, to open
// them again once it caught up.
func (d *Detector) writtenBefore(ctx context.Context, t time.Time) (bool, time.Time, error) {
	oldest, waiting, err := d.state.OldestUnwritten(ctx, d.cfg.Streams)
	switch {
	case err != nil:
		return false, time.Time{}, err
	case !waiting:
		return true, time.Time{}, nil
	}
	return !oldest.Before(t), oldest, nil
}
