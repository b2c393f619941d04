package alert

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/stream"
)

// LogLen bounds the alert log. Alerts are rare (a busy day has hundreds),
// so this keeps months of them; a reader whose cursor fell off the end is
// told so (ErrCursorExpired) instead of silently skipping events.
const LogLen = 100000

// ErrCursorExpired says that events after a cursor were trimmed from the
// log: a reader resuming there would miss some.
var ErrCursorExpired = errors.New("alert log: events after this cursor are no longer kept")

// ErrCursorAhead says that a cursor is past the newest entry the log has
// ever held, so it cannot have come from this log: a reader resuming there
// would silently skip every event until the log caught up with it. For a
// log that has never held an entry, every cursor but the beginning is
// ahead.
var ErrCursorAhead = errors.New("alert log: cursor is past the end of the log")

// Entry is one event in the log with its position. Cursor is the Redis
// stream entry ID: it only grows, so "every entry after my last cursor"
// never misses or repeats one.
type Entry struct {
	Cursor  string
	Event   Event
	Payload string // the event exactly as published
}

// Log is the ordered log of alert events, kept in the Redis stream
// stream.Alerts: the detector appends, and the pull API, the server-sent
// event stream and the webhook dispatcher all read it from a cursor, so
// that every reader sees the same sequence.
type Log struct {
	rdb redis.UniversalClient
}

// NewLog returns the alert log in rdb.
func NewLog(rdb redis.UniversalClient) *Log { return &Log{rdb: rdb} }

// Append publishes one encoded event and returns its cursor.
func (l *Log) Append(ctx context.Context, payload string) (string, error) {
	id, err := l.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: stream.Alerts,
		MaxLen: LogLen,
		Approx: true,
		Values: []string{stream.AlertField, payload},
	}).Result()
	if err != nil {
		return "", fmt.Errorf("append to alert log: %w", err)
	}
	return id, nil
}

// ValidCursor says whether s can be a cursor; "" means the beginning.
// Both halves must fit in 64 bits, as Redis stream IDs do: a longer one
// would be refused by Redis, which the caller would take for an outage.
func ValidCursor(s string) bool {
	_, _, ok := parseCursor(s)
	return ok
}

// parseCursor splits a cursor "ms-seq" into its numbers; "" and "0" are
// the beginning, 0-0.
func parseCursor(s string) (ms, seq uint64, ok bool) {
	if s == "" || s == "0" {
		return 0, 0, true
	}
	a, b, found := strings.Cut(s, "-")
	if !found || !digits(a) || !digits(b) {
		return 0, 0, false
	}
	ms, errA := strconv.ParseUint(a, 10, 64)
	seq, errB := strconv.ParseUint(b, 10, 64)
	return ms, seq, errA == nil && errB == nil
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CursorBefore says whether cursor a comes before cursor b in the log;
// "" and "0" come before every entry. Both must be valid cursors: a
// reader merging two feeds of the log keeps only entries after the last
// it delivered, and so never repeats one.
func CursorBefore(a, b string) bool {
	am, as, _ := parseCursor(a)
	bm, bs, _ := parseCursor(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

// After returns up to n entries after cursor ("" or "0" for the
// beginning of what is kept), oldest first. It fails with
// ErrCursorExpired when entries after cursor have been trimmed, and with
// ErrCursorAhead when cursor is past the newest entry the log has ever
// held (a cursor equal to it is fine: nothing is new yet). Readers poll
// it, so these checks and the read share one round trip.
func (l *Log) After(ctx context.Context, cursor string, n int64) ([]Entry, error) {
	if !ValidCursor(cursor) {
		return nil, fmt.Errorf("alert log: malformed cursor %q", cursor)
	}
	start := "-"
	if cursor != "" && cursor != "0" {
		start = "(" + cursor
	}
	var info *redis.XInfoStreamCmd
	read, err := l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if start != "-" {
			info = p.XInfoStream(ctx, stream.Alerts)
		}
		p.XRangeN(ctx, stream.Alerts, start, "+", n)
		return nil
	})
	if info != nil {
		switch err := info.Err(); {
		case isNoKey(err):
			// No log at all: nothing was ever appended (or it was
			// deleted), so no cursor but the beginning came from it.
			if CursorBefore("", cursor) {
				return nil, ErrCursorAhead
			}
		case err != nil:
			return nil, fmt.Errorf("inspect alert log: %w", err)
		case CursorBefore(info.Val().LastGeneratedID, cursor):
			return nil, ErrCursorAhead
		case expired(cursor, info.Val()):
			return nil, ErrCursorExpired
		}
	}
	if err != nil && !isNoKey(err) {
		return nil, fmt.Errorf("read alert log after %q: %w", cursor, err)
	}
	msgs, err := read[len(read)-1].(*redis.XMessageSliceCmd).Result()
	if err != nil {
		return nil, fmt.Errorf("read alert log after %q: %w", cursor, err)
	}
	return decode(msgs)
}

// Wait is After that blocks up to block for the first entry when there is
// none yet; it returns no entries when block passes quietly. It fails as
// After does, with ErrCursorExpired or ErrCursorAhead, before it blocks.
func (l *Log) Wait(ctx context.Context, cursor string, n int64, block time.Duration) ([]Entry, error) {
	es, err := l.After(ctx, cursor, n)
	if err != nil || len(es) > 0 {
		return es, err
	}
	if cursor == "" {
		cursor = "0"
	}
	res, err := l.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{stream.Alerts, cursor},
		Count:   n,
		Block:   block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wait on alert log after %q: %w", cursor, err)
	}
	var msgs []redis.XMessage
	for _, s := range res {
		msgs = append(msgs, s.Messages...)
	}
	return decode(msgs)
}

// Last returns the cursor of the newest entry, "" when the log is empty:
// a reader that wants only what happens from now on starts there.
func (l *Log) Last(ctx context.Context) (string, error) {
	msgs, err := l.rdb.XRevRangeN(ctx, stream.Alerts, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read newest alert: %w", err)
	}
	if len(msgs) == 0 {
		return "", nil
	}
	return msgs[0].ID, nil
}

// expired says whether the log has trimmed entries that may be newer
// than cursor. Redis does not record where trimming stopped, only the
// first entry kept, so a cursor right at that edge is also told to start
// over; that costs the reader a re-read, never an event. A log trimmed to
// nothing has no first entry: then every entry up to the newest it held
// is gone.
func expired(cursor string, info *redis.XInfoStream) bool {
	if info.EntriesAdded <= info.Length {
		return false // nothing was ever trimmed
	}
	if info.Length == 0 {
		return CursorBefore(cursor, info.LastGeneratedID)
	}
	return CursorBefore(cursor, info.FirstEntry.ID)
}

func isNoKey(err error) bool {
	return err != nil && (err.Error() == "ERR no such key")
}

func decode(msgs []redis.XMessage) ([]Entry, error) {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		p, _ := m.Values[stream.AlertField].(string)
		ev, err := Decode(p)
		if err != nil {
			// The detector is the only writer and always encodes: a bad
			// entry is a bug there, and skipping it would hide it.
			return nil, fmt.Errorf("alert log entry %s: %w", m.ID, err)
		}
		out = append(out, Entry{Cursor: m.ID, Event: ev, Payload: p})
	}
	return out, nil
}
