// Package enqueue appends reports to the Redis stream, counting each
// reporter once per service and window and refusing work when the stream's
// backlog is full — all in one atomic step, so that two concurrent reports
// from one reporter cannot both be counted and a refused report leaves no
// trace.
package enqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// appendScript answers "dup" when the dedupe key exists, "full" when the
// stream holds max entries or more, else the new entry's id. The dedupe key
// is set only after XADD succeeded; should SET itself fail the report is
// still counted (it is in the stream) and merely not deduplicated.
//
// KEYS[1] stream, KEYS[2] dedupe key.
// ARGV[1] max backlog, ARGV[2] dedupe window in ms, ARGV[3] field, ARGV[4] value.
var appendScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 'dup'
end
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return 'full'
end
local id = redis.call('XADD', KEYS[1], '*', ARGV[3], ARGV[4])
redis.pcall('SET', KEYS[2], '1', 'PX', ARGV[2])
return id
`)

// Outcome is what became of a report.
type Outcome int

const (
	// Appended means the report is in the stream.
	Appended Outcome = iota + 1
	// Duplicate means the reporter was already counted for the service.
	Duplicate
	// Full means the backlog is at its limit and nothing was appended.
	Full
)

func (o Outcome) String() string {
	switch o {
	case Appended:
		return "appended"
	case Duplicate:
		return "duplicate"
	case Full:
		return "full"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Appender appends to one stream.
type Appender struct {
	rdb        redis.Scripter
	stream     string
	field      string
	maxBacklog int64
	window     time.Duration
}

// Config says where and how an Appender appends.
type Config struct {
	Stream     string        // stream key
	Field      string        // entry field holding the value
	MaxBacklog int64         // refuse when the stream holds this many entries
	Window     time.Duration // a reporter counts once per service per window
}

// New returns an Appender.
func New(rdb redis.Scripter, c Config) (*Appender, error) {
	switch {
	case c.Stream == "" || c.Field == "":
		return nil, errors.New("enqueue: stream and field are required")
	case c.MaxBacklog < 1:
		return nil, fmt.Errorf("enqueue: max backlog %d must be at least 1", c.MaxBacklog)
	case c.Window < time.Millisecond:
		return nil, fmt.Errorf("enqueue: dedupe window %s must be at least 1ms", c.Window)
	}
	return &Appender{rdb: rdb, stream: c.Stream, field: c.Field, maxBacklog: c.MaxBacklog, window: c.Window}, nil
}

// DedupeKey is the Redis key that marks reporter as counted for service.
// Reporter keys change daily, so dedupe also starts afresh at UTC midnight.
func DedupeKey(reporter, service string) string {
	return "lapor:dedupe:" + service + ":" + reporter
}

// Append appends value unless dedupeKey is already set or the backlog is
// full, and returns the stream entry id when it appended.
func (a *Appender) Append(ctx context.Context, dedupeKey, value string) (string, Outcome, error) {
	res, err := appendScript.Run(ctx, a.rdb,
		[]string{a.stream, dedupeKey},
		a.maxBacklog, a.window.Milliseconds(), a.field, value,
	).Text()
	if err != nil {
		return "", 0, fmt.Errorf("append to stream %s: %w", a.stream, err)
	}
	switch res {
	case "dup":
		return "", Duplicate, nil
	case "full":
		return "", Full, nil
	case "":
		return "", 0, fmt.Errorf("append to stream %s: empty entry id", a.stream)
	}
	return res, Appended, nil
}
