// Package stream names the Redis streams and groups the services share, so
// that producer and consumer can never disagree about them.
package stream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// Reports is the stream ingest appends reports to.
	Reports = "lapor:reports"
	// ReportsGroup is the worker consumer group on Reports.
	ReportsGroup = "workers"
	// ReportField is the entry field holding the encoded report.
	ReportField = "r"
	// DeadLetter keeps entries the worker can never write, with the reason.
	DeadLetter = "lapor:reports:dead"
	// Alerts is the stream the detector publishes alert events to.
	Alerts = "lapor:alerts"
	// AlertField is the entry field holding the encoded alert event.
	AlertField = "e"
)

// OldestUnwritten returns when the oldest report not yet written to
// ClickHouse was ingested; ok is false when none is waiting.
//
// Workers delete the report stream's entries once they are written, so the
// stream holds exactly the reports not written yet, oldest first, and an
// entry's ID starts with the time ingest appended it (Redis's clock, in
// milliseconds). Every report ingested before the time returned is in
// ClickHouse, so counts up to it no longer change.
func OldestUnwritten(ctx context.Context, rdb redis.Cmdable) (oldest time.Time, ok bool, err error) {
	msgs, err := rdb.XRangeN(ctx, Reports, "-", "+", 1).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the oldest unwritten report: %w", err)
	}
	if len(msgs) == 0 {
		return time.Time{}, false, nil
	}
	ms, err := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("report stream entry ID %q: %w", msgs[0].ID, err)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}
