package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lapor/lapor/services/shared/stream"
)

// writtenBefore reports whether every report ingested before t has
// reached ClickHouse, and if not, since when reports are waiting.
//
// Workers delete the report stream's entries once they are written, so the
// stream holds exactly the reports not written yet, oldest first, and an
// entry's ID starts with the time ingest appended it (Redis's clock, in
// milliseconds). A bucket whose reports are still waiting must not be
// judged complete: its low count would look like the outage ending, and a
// stalled worker would resolve every open incident, to open them again
// once it caught up.
func (d *Detector) writtenBefore(ctx context.Context, t time.Time) (bool, time.Time, error) {
	msgs, err := d.rdb.XRangeN(ctx, stream.Reports, "-", "+", 1).Result()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("read the oldest unwritten report: %w", err)
	}
	if len(msgs) == 0 {
		return true, time.Time{}, nil
	}
	ms, err := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("report stream entry ID %q: %w", msgs[0].ID, err)
	}
	oldest := time.UnixMilli(ms).UTC()
	return !oldest.Before(t), oldest, nil
}
