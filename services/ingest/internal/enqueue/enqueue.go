// Package enqueue appends reports to the Redis report streams, counting each
// reporter (one host) once per service and window, counting at most a cap
// of reporters per network, service and window, and refusing work when the
// stream's backlog is full — all in one atomic step, so that two concurrent
// reports cannot both slip under a limit and a refused report leaves no
// trace. The keys of that step are all in the hash slot of the service's
// stream, so that it works on a Redis Cluster.
package enqueue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/stream"
)

// appendScript answers {"dup", ms} when the dedupe key exists, ms being its
// PTTL (-1 should it have no expiry), so that the reporter can be told when
// they count again without a second round trip; "capped" when the
// network has already counted its cap of reporters in this window, "full"
// when the stream holds max entries or more, else the new entry's id.
//
// A capped report does not set its dedupe key, so that the host can still
// count in a later window. The dedupe key and the network counter change
// only after XADD succeeded; should either write itself fail the report is
// still counted (it is in the stream), merely not deduplicated or not
// charged to its network.
//
// The network counter's key names one fixed window, so it only has to
// outlive that window: PEXPIRE of one window length from its last increment
// does, and keeps it at most two windows.
//
// KEYS[1] stream, KEYS[2] dedupe key, KEYS[3] network counter.
// ARGV[1] max backlog, ARGV[2] window in ms, ARGV[3] field, ARGV[4] value,
// ARGV[5] network cap.
var appendScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[2])
if ttl ~= -2 then
  return {'dup', ttl}
end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[5]) then
  return 'capped'
end
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return 'full'
end
local id = redis.call('XADD', KEYS[1], '*', ARGV[3], ARGV[4])
redis.pcall('SET', KEYS[2], '1', 'PX', ARGV[2])
redis.pcall('INCR', KEYS[3])
redis.pcall('PEXPIRE', KEYS[3], ARGV[2])
return id
`)

// Outcome is what became of a report.
type Outcome int

const (
	// Appended means the report is in the stream.
	Appended Outcome = iota + 1
	// Duplicate means the reporter was already counted for the service.
	Duplicate
	// Capped means the reporter's network has already counted its cap of
	// reporters for the service in this window; nothing was appended.
	Capped
	// Full means the backlog is at its limit and nothing was appended.
	Full
)

func (o Outcome) String() string {
	switch o {
	case Appended:
		return "appended"
	case Duplicate:
		return "duplicate"
	case Capped:
		return "capped"
	case Full:
		return "full"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Appender appends to the report streams, a service's reports always to
// the same one (stream.ShardOf).
type Appender struct {
	rdb        redis.Scripter
	streams    []string
	field      string
	maxBacklog int64
	window     time.Duration
	netCap     int64
}

// Config says where and how an Appender appends.
type Config struct {
	Streams    []string      // stream keys, one per shard
	Field      string        // entry field holding the value
	MaxBacklog int64         // refuse when a stream holds this many entries
	Window     time.Duration // a reporter counts once per service per window
	// NetCap is how many reporters one network counts per service and
	// window (windows fixed: see WindowIndex).
	NetCap int64
}

// New returns an Appender.
func New(rdb redis.Scripter, c Config) (*Appender, error) {
	switch {
	case len(c.Streams) == 0 || slices.Contains(c.Streams, "") || c.Field == "":
		return nil, errors.New("enqueue: streams and field are required")
	case c.MaxBacklog < 1:
		return nil, fmt.Errorf("enqueue: max backlog %d must be at least 1", c.MaxBacklog)
	case c.Window < time.Millisecond:
		return nil, fmt.Errorf("enqueue: dedupe window %s must be at least 1ms", c.Window)
	case c.NetCap < 1:
		return nil, fmt.Errorf("enqueue: network cap %d must be at least 1", c.NetCap)
	}
	return &Appender{rdb: rdb, streams: slices.Clone(c.Streams), field: c.Field, maxBacklog: c.MaxBacklog, window: c.Window, netCap: c.NetCap}, nil
}

// Count is whom a report counts for.
type Count struct {
	Service  string    // the service's slug
	Reporter string    // the reporter (host) key
	Network  string    // the key of the reporter's network
	At       time.Time // when the report was made; picks the network's window
}

// DedupeKey is the Redis key that marks reporter as counted for service,
// in the hash slot of the service's stream. Reporter keys change daily, so
// dedupe also starts afresh at UTC midnight.
func DedupeKey(streamKey, reporter, service string) string {
	return stream.InSlot(streamKey, "dedupe:"+service+":"+reporter)
}

// NetworkKey is the Redis key counting the reporters of network for
// service in the fixed window numbered window, in the hash slot of the
// service's stream.
func NetworkKey(streamKey, network, service string, window int64) string {
	return stream.InSlot(streamKey, "netcap:"+service+":"+network+":"+strconv.FormatInt(window, 10))
}

// StreamFor is the stream that carries service's reports.
func (a *Appender) StreamFor(service string) string {
	return a.streams[stream.ShardOf(service, len(a.streams))]
}

// WindowIndex numbers the fixed window at falls in: floor(unix ms / window
// ms). Fixed windows need one counter per window and no history, where a
// sliding one would need a timestamp per reporter.
func WindowIndex(at time.Time, window time.Duration) int64 {
	ms, w := at.UnixMilli(), window.Milliseconds()
	i := ms / w
	if ms%w < 0 {
		i-- // floor, not truncation, before 1970
	}
	return i
}

// Append appends value unless the reporter was already counted for the
// service, its network has reached its cap, or the backlog is full, and
// returns the stream entry id when it appended.
func (a *Appender) Append(ctx context.Context, c Count, value string) (string, Outcome, error) {
	r, err := a.Submit(ctx, c, value)
	return r.ID, r.Outcome, err
}

// Result is what Submit did with a report.
type Result struct {
	Outcome Outcome
	ID      string // the stream entry id when Appended
	// CountsAgainIn is, for a Duplicate, how long the reporter's dedupe key
	// still lives: after it the reporter counts again for the service.
	// Zero when unknown.
	CountsAgainIn time.Duration
}

// Submit is Append that also says, for a duplicate, when the reporter
// counts again.
func (a *Appender) Submit(ctx context.Context, c Count, value string) (Result, error) {
	st := a.StreamFor(c.Service)
	res, err := appendScript.Run(ctx, a.rdb,
		[]string{st, DedupeKey(st, c.Reporter, c.Service), NetworkKey(st, c.Network, c.Service, WindowIndex(c.At, a.window))},
		a.maxBacklog, a.window.Milliseconds(), a.field, value, a.netCap,
	).Result()
	if err != nil {
		return Result{}, fmt.Errorf("append to stream %s: %w", st, err)
	}
	switch v := res.(type) {
	case []any:
		if len(v) != 2 || v[0] != "dup" {
			return Result{}, fmt.Errorf("append to stream %s: unexpected reply %v", st, v)
		}
		ms, _ := v[1].(int64)
		// -1 (no expiry) cannot happen as the script sets the key, but
		// saying nothing beats saying something wrong.
		return Result{Outcome: Duplicate, CountsAgainIn: max(time.Duration(ms)*time.Millisecond, 0)}, nil
	case string:
		switch v {
		case "capped":
			return Result{Outcome: Capped}, nil
		case "full":
			return Result{Outcome: Full}, nil
		case "":
			return Result{}, fmt.Errorf("append to stream %s: empty entry id", st)
		}
		return Result{Outcome: Appended, ID: v}, nil
	}
	return Result{}, fmt.Errorf("append to stream %s: unexpected reply %T", st, res)
}
