package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
)

// AlertLogLen bounds the alert log. Alerts are rare (a busy day has hundreds),
// so this keeps months of them; a reader whose cursor fell off the end is
// told so (ErrCursorExpired) instead of silently skipping events.
const AlertLogLen = 100000

// ErrCursorExpired says that events after a cursor were trimmed from the
// log: a reader resuming there would miss some.
var ErrCursorExpired = errors.New("alert log: events after this cursor are no longer kept")

// ErrCursorAhead says that a cursor is past the newest entry the log has
// ever held, so it cannot have come from this log: a reader resuming there
// would silently skip every event until the log caught up with it. For a
// log that has never held an entry, every cursor but the beginning is
// ahead.
var ErrCursorAhead = errors.New("alert log: cursor is past the end of the log")

// AlertEntry is one event in the alert log with its position. Cursor is the Redis
// stream entry ID: it only grows, so "every entry after my last cursor"
// never misses or repeats one.
type AlertEntry struct {
	Cursor  string
	Event   lapor.AlertEvent
	Payload string // the event exactly as published
}

// AlertLog is the ordered log of alert events, kept in the Redis stream
// Alerts: the detector appends, and the pull API, the server-sent
// event stream and the webhook dispatcher all read it from a cursor, so
// that every reader sees the same sequence.
type AlertLog struct {
	rdb goredis.UniversalClient
}

// NewAlertLog returns the alert log in rdb.
func NewAlertLog(rdb goredis.UniversalClient) *AlertLog { return &AlertLog{rdb: rdb} }

// Append publishes one encoded event and returns its cursor.
func (l *AlertLog) Append(ctx context.Context, payload string) (string, error) {
	id, err := l.rdb.XAdd(ctx, &goredis.XAddArgs{
		Stream: Alerts,
		MaxLen: AlertLogLen,
		Approx: true,
		Values: []string{AlertField, payload},
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
func (l *AlertLog) After(ctx context.Context, cursor string, n int64) ([]AlertEntry, error) {
	if !ValidCursor(cursor) {
		return nil, fmt.Errorf("alert log: malformed cursor %q", cursor)
	}
	start := "-"
	if cursor != "" && cursor != "0" {
		start = "(" + cursor
	}
	var info *goredis.XInfoStreamCmd
	read, err := l.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if start != "-" {
			info = p.XInfoStream(ctx, Alerts)
		}
		p.XRangeN(ctx, Alerts, start, "+", n)
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
	msgs, err := read[len(read)-1].(*goredis.XMessageSliceCmd).Result()
	if err != nil {
		return nil, fmt.Errorf("read alert log after %q: %w", cursor, err)
	}
	return decodeAlerts(msgs)
}

// Wait is After that blocks up to block for the first entry when there is
// none yet; it returns no entries when block passes quietly. It fails as
// After does, with ErrCursorExpired or ErrCursorAhead, before it blocks.
func (l *AlertLog) Wait(ctx context.Context, cursor string, n int64, block time.Duration) ([]AlertEntry, error) {
	es, err := l.After(ctx, cursor, n)
	if err != nil || len(es) > 0 {
		return es, err
	}
	if cursor == "" {
		cursor = "0"
	}
	res, err := l.rdb.XRead(ctx, &goredis.XReadArgs{
		Streams: []string{Alerts, cursor},
		Count:   n,
		Block:   block,
	}).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wait on alert log after %q: %w", cursor, err)
	}
	var msgs []goredis.XMessage
	for _, s := range res {
		msgs = append(msgs, s.Messages...)
	}
	return decodeAlerts(msgs)
}

// Last returns the cursor of the newest entry, "" when the log is empty:
// a reader that wants only what happens from now on starts there.
func (l *AlertLog) Last(ctx context.Context) (string, error) {
	msgs, err := l.rdb.XRevRangeN(ctx, Alerts, "+", "-", 1).Result()
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
func expired(cursor string, info *goredis.XInfoStream) bool {
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

func decodeAlerts(msgs []goredis.XMessage) ([]AlertEntry, error) {
	out := make([]AlertEntry, 0, len(msgs))
	for _, m := range msgs {
		p, _ := m.Values[AlertField].(string)
		ev, err := lapor.DecodeAlertEvent(p)
		if err != nil {
			// The detector is the only writer and always encodes: a bad
			// entry is a bug there, and skipping it would hide it.
			return nil, fmt.Errorf("alert log entry %s: %w", m.ID, err)
		}
		out = append(out, AlertEntry{Cursor: m.ID, Event: ev, Payload: p})
	}
	return out, nil
}

// AlertIDKeep is how long the log remembers that an event ID was published, so
// that publishing it again adds nothing. A publisher decides an event
// again only after losing what it knew (see Publish), within minutes, so
// this is ample while keeping the markers few (one key per event).
const AlertIDKeep = 30 * 24 * time.Hour

// ErrFenced says that a publisher does not hold the lease its batch was
// fenced with (it expired, or another publisher has it): nothing was
// written.
var ErrFenced = errors.New("alert log: the publisher does not hold its lease")

// Publication is one event to publish. ID names it across retries,
// restarts and replicas: the log takes each ID at most once.
type Publication struct {
	ID      string
	Payload string // the encoded lapor.AlertEvent
}

// Fence is the lease (Lease) a publisher must hold for its batch
// to be written: Key must hold Holder when the batch is written.
type Fence struct {
	Key    string
	Holder string
}

// AlertBatch is what one Publish writes, as one atomic step.
type AlertBatch struct {
	Fence  Fence
	Events []Publication
	// StateKey is a Redis hash of the publisher's own state, and State the
	// fields to set in it: they change together with the log, so a
	// publisher that reads its state back after a crash knows exactly
	// which of its events went out.
	StateKey string
	State    map[string]string
}

// Published is where an event of a batch stands in the log.
type Published struct {
	Cursor string
	New    bool // false: the ID was published before, at Cursor, and not again
}

// publishScript writes an AlertBatch. KEYS: the alert stream, the fence's key,
// the state hash, then one marker key per event. ARGV: the fence holder,
// the log's length bound, the markers' life in ms, the number of events,
// their payloads, then the state's field and value pairs.
//
// A script that fails part way keeps the writes it made (Redis has no
// rollback), so whatever can fail is checked first, events are added
// before the state that announces them, and each event's marker is set
// with it: a batch cut short is published again whole, and the events
// that went out are not repeated.
var publishScript = goredis.NewScript(`
if redis.call("GET", KEYS[2]) ~= ARGV[1] then
  return redis.error_reply("FENCED the publisher does not hold its lease")
end
local t = redis.call("TYPE", KEYS[1]).ok
if t ~= "stream" and t ~= "none" then
  return redis.error_reply("WRONGTYPE the alert log is a " .. t)
end
t = redis.call("TYPE", KEYS[3]).ok
if t ~= "hash" and t ~= "none" then
  return redis.error_reply("WRONGTYPE the publisher state is a " .. t)
end
local n = tonumber(ARGV[4])
local out = {}
for i = 1, n do
  local c = redis.call("GET", KEYS[3 + i])
  if c then
    out[i] = {c, 0}
  else
    c = redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[2], "*", "` + AlertField + `", ARGV[4 + i])
    redis.call("SET", KEYS[3 + i], c, "PX", ARGV[3])
    out[i] = {c, 1}
  end
end
for j = 5 + n, #ARGV, 2 do
  redis.call("HSET", KEYS[3], ARGV[j], ARGV[j + 1])
end
return out
`)

// idKey is the marker that an event ID was published; it holds the
// event's cursor. It is in the alert log's hash slot, as the publisher's
// fence and state keys must be, for the script that writes them together.
func idKey(id string) string { return InSlot(Alerts, "id:"+id) }

// Publish appends the batch's events whose IDs the log has not taken yet
// and sets the publisher's state, all in one atomic step, provided the
// publisher holds its fence's lease (else ErrFenced, and nothing is
// written). It returns where each event stands, in the batch's order.
//
// Publishing the same batch again, after an error or a crash, adds none
// of the events already in the log: a publisher that derives its event IDs
// from what they announce can retry, or decide the same change again
// after a restart, without anyone receiving it twice.
func (l *AlertLog) Publish(ctx context.Context, b AlertBatch) ([]Published, error) {
	if b.Fence.Key == "" || b.Fence.Holder == "" || b.StateKey == "" {
		return nil, errors.New("alert log: publish needs a fence and a state key")
	}
	if len(b.Events) == 0 && len(b.State) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, 3+len(b.Events))
	keys = append(keys, Alerts, b.Fence.Key, b.StateKey)
	args := make([]any, 0, 4+len(b.Events)+2*len(b.State))
	args = append(args, b.Fence.Holder, AlertLogLen, AlertIDKeep.Milliseconds(), len(b.Events))
	for _, p := range b.Events {
		if p.ID == "" {
			return nil, errors.New("alert log: an event to publish has no ID")
		}
		keys = append(keys, idKey(p.ID))
		args = append(args, p.Payload)
	}
	for f, v := range b.State {
		args = append(args, f, v)
	}
	res, err := publishScript.Run(ctx, l.rdb, keys, args...).Slice()
	if err != nil {
		if strings.HasPrefix(err.Error(), "FENCED") {
			return nil, ErrFenced
		}
		return nil, fmt.Errorf("publish %d alert events: %w", len(b.Events), err)
	}
	out := make([]Published, len(res))
	for i, r := range res {
		pair, ok := r.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("publish alert events: unexpected reply %v", r)
		}
		cursor, _ := pair[0].(string)
		isNew, _ := pair[1].(int64)
		out[i] = Published{Cursor: cursor, New: isNew == 1}
	}
	return out, nil
}
