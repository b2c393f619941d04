package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/stream"
)

// IDKeep is how long the log remembers that an event ID was published, so
// that publishing it again adds nothing. A publisher decides an event
// again only after losing what it knew (see Publish), within minutes, so
// this is ample while keeping the markers few (one key per event).
const IDKeep = 30 * 24 * time.Hour

// ErrFenced says that a publisher does not hold the lease its batch was
// fenced with (it expired, or another publisher has it): nothing was
// written.
var ErrFenced = errors.New("alert log: the publisher does not hold its lease")

// Publication is one event to publish. ID names it across retries,
// restarts and replicas: the log takes each ID at most once.
type Publication struct {
	ID      string
	Payload string // the encoded Event
}

// Fence is the lease (package lease) a publisher must hold for its batch
// to be written: Key must hold Holder when the batch is written.
type Fence struct {
	Key    string
	Holder string
}

// Batch is what one Publish writes, as one atomic step.
type Batch struct {
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

// publishScript writes a Batch. KEYS: the alert stream, the fence's key,
// the state hash, then one marker key per event. ARGV: the fence holder,
// the log's length bound, the markers' life in ms, the number of events,
// their payloads, then the state's field and value pairs.
//
// A script that fails part way keeps the writes it made (Redis has no
// rollback), so whatever can fail is checked first, events are added
// before the state that announces them, and each event's marker is set
// with it: a batch cut short is published again whole, and the events
// that went out are not repeated.
var publishScript = redis.NewScript(`
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
    c = redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[2], "*", "` + stream.AlertField + `", ARGV[4 + i])
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
func idKey(id string) string { return stream.InSlot(stream.Alerts, "id:"+id) }

// Publish appends the batch's events whose IDs the log has not taken yet
// and sets the publisher's state, all in one atomic step, provided the
// publisher holds its fence's lease (else ErrFenced, and nothing is
// written). It returns where each event stands, in the batch's order.
//
// Publishing the same batch again, after an error or a crash, adds none
// of the events already in the log: a publisher that derives its event IDs
// from what they announce can retry, or decide the same change again
// after a restart, without anyone receiving it twice.
func (l *Log) Publish(ctx context.Context, b Batch) ([]Published, error) {
	if b.Fence.Key == "" || b.Fence.Holder == "" || b.StateKey == "" {
		return nil, errors.New("alert log: publish needs a fence and a state key")
	}
	if len(b.Events) == 0 && len(b.State) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, 3+len(b.Events))
	keys = append(keys, stream.Alerts, b.Fence.Key, b.StateKey)
	args := make([]any, 0, 4+len(b.Events)+2*len(b.State))
	args = append(args, b.Fence.Holder, LogLen, IDKeep.Milliseconds(), len(b.Events))
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
