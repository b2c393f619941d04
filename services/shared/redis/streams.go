package redis

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

const (
	// Reports is the report stream of shard 0, the only one by default.
	Reports = "lapor:reports"
	// ReportsGroup is the worker consumer group on each report stream.
	ReportsGroup = "workers"
	// ReportField is the entry field holding the encoded report.
	ReportField = "r"
	// Alerts is the stream the detector publishes alert events to; the
	// detector's lease, state and event markers live in its slot.
	Alerts = "lapor:alerts"
	// AlertField is the entry field holding the encoded alert event.
	AlertField = "e"
	// MaxReportShards bounds -report-shards.
	MaxReportShards = 1024
)

// InSlot names a key that lives in key's hash slot: {key}:suffix.
func InSlot(key, suffix string) string { return "{" + key + "}:" + suffix }

// ReportStream is the report stream of shard i: Reports for shard 0, so
// that a single stream keeps the name it always had.
func ReportStream(i int) string {
	if i == 0 {
		return Reports
	}
	return Reports + ":" + strconv.Itoa(i)
}

// ReportStreams are the report streams of n shards, after checking n.
func ReportStreams(n int) ([]string, error) {
	if n < 1 || n > MaxReportShards {
		return nil, fmt.Errorf("report shards %d: must be from 1 to %d", n, MaxReportShards)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = ReportStream(i)
	}
	return out, nil
}

// ShardOf is the shard that carries service's reports among n: always the
// same one, so that a service's dedupe keys sit beside its stream.
func ShardOf(service string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(service))
	return int(h.Sum32() % uint32(n))
}

// DeadLetter is the stream that keeps the entries of reportStream that the
// worker can never write, with the reason; it is in the stream's slot, so
// that moving an entry there is one transaction.
func DeadLetter(reportStream string) string { return InSlot(reportStream, "dead") }

// OldestUnwritten returns when the oldest report not yet written to
// ClickHouse was ingested, over all the report streams; ok is false when
// none is waiting.
//
// Workers delete the report streams' entries once they are written, so a
// stream holds exactly the reports not written yet, oldest first, and an
// entry's ID starts with the time ingest appended it (its Redis node's
// clock, in milliseconds). Every report ingested before the time returned
// is in ClickHouse, so counts up to it no longer change.
func OldestUnwritten(ctx context.Context, rdb goredis.Cmdable, streams []string) (oldest time.Time, ok bool, err error) {
	cmds := make([]*goredis.XMessageSliceCmd, len(streams))
	_, err = rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, s := range streams {
			cmds[i] = p.XRangeN(ctx, s, "-", "+", 1)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the oldest unwritten report of %d streams: %w", len(streams), err)
	}
	for _, cmd := range cmds {
		msgs := cmd.Val()
		if len(msgs) == 0 {
			continue
		}
		ms, err := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("report stream entry ID %q: %w", msgs[0].ID, err)
		}
		if t := time.UnixMilli(ms).UTC(); !ok || t.Before(oldest) {
			oldest, ok = t, true
		}
	}
	return oldest, ok, nil
}

// Backlog is the report streams' backlog, for a reader that asks which
// reports are not written yet (the web's read.Backlog).
type Backlog struct {
	rdb     goredis.Cmdable
	streams []string
}

// NewBacklog reads the backlog of streams; none means Reports alone.
func NewBacklog(rdb goredis.Cmdable, streams []string) *Backlog {
	if len(streams) == 0 {
		streams = []string{Reports}
	}
	return &Backlog{rdb: rdb, streams: streams}
}

// OldestUnwritten is OldestUnwritten of the backlog's streams.
func (b *Backlog) OldestUnwritten(ctx context.Context) (time.Time, bool, error) {
	return OldestUnwritten(ctx, b.rdb, b.streams)
}
