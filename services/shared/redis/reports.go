package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The report streams' traffic: ingest appends (Appender), the worker reads,
// claims, acknowledges and dead-letters (ReportGroup). Every key here is
// a report stream or lives in its hash slot.

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
var appendScript = goredis.NewScript(`
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

// AppendOutcome is what became of a report.
type AppendOutcome int

const (
	// Appended means the report is in the stream.
	Appended AppendOutcome = iota + 1
	// Duplicate means the reporter was already counted for the service.
	Duplicate
	// Capped means the reporter's network has already counted its cap of
	// reporters for the service in this window; nothing was appended.
	Capped
	// Full means the backlog is at its limit and nothing was appended.
	Full
)

// String names the outcome, for logs and tests.
func (o AppendOutcome) String() string {
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
	return fmt.Sprintf("AppendOutcome(%d)", int(o))
}

// Appender appends reports to the report streams, a service's reports
// always to the same one (ShardOf), counting each reporter (one host) once
// per service and window, counting at most a cap of reporters per network,
// service and window, and refusing work when the stream's backlog is full
// — all in one script, so that two concurrent reports cannot both slip
// under a limit and a refused report leaves no trace. The keys of that
// script are all in the hash slot of the service's stream.
type Appender struct {
	rdb        AppendClient
	streams    []string
	field      string
	maxBacklog int64
	window     time.Duration
	netCap     int64
}

// AppenderConfig says where and how an Appender appends.
type AppenderConfig struct {
	Streams    []string      // stream keys, one per shard
	Field      string        // entry field holding the value
	MaxBacklog int64         // refuse when a stream holds this many entries
	Window     time.Duration // a reporter counts once per service per window
	// NetCap is how many reporters one network counts per service and
	// window (windows fixed: see WindowIndex).
	NetCap int64
}

// AppendClient is what an Appender needs of a client: scripts, and
// pipelines for Ingest. *goredis.Client and *goredis.ClusterClient are
// ones.
type AppendClient interface {
	goredis.Scripter
	Pipeline() goredis.Pipeliner
}

// NewAppender returns an Appender.
func NewAppender(rdb AppendClient, c AppenderConfig) (*Appender, error) {
	switch {
	case len(c.Streams) == 0 || slices.Contains(c.Streams, "") || c.Field == "":
		return nil, errors.New("report appender: streams and field are required")
	case c.MaxBacklog < 1:
		return nil, fmt.Errorf("report appender: max backlog %d must be at least 1", c.MaxBacklog)
	case c.Window < time.Millisecond:
		return nil, fmt.Errorf("report appender: dedupe window %s must be at least 1ms", c.Window)
	case c.NetCap < 1:
		return nil, fmt.Errorf("report appender: network cap %d must be at least 1", c.NetCap)
	}
	return &Appender{rdb: rdb, streams: slices.Clone(c.Streams), field: c.Field, maxBacklog: c.MaxBacklog, window: c.Window, netCap: c.NetCap}, nil
}

// ReportCount is whom a report counts for.
type ReportCount struct {
	Service  string    // the service's slug
	Reporter string    // the reporter (host) key
	Network  string    // the key of the reporter's network
	At       time.Time // when the report was made; picks the network's window
}

// DedupeKey is the Redis key that marks reporter as counted for service,
// in the hash slot of the service's stream. Reporter keys change daily, so
// dedupe also starts afresh at UTC midnight.
func DedupeKey(streamKey, reporter, service string) string {
	return InSlot(streamKey, "dedupe:"+service+":"+reporter)
}

// NetworkKey is the Redis key counting the reporters of network for
// service in the fixed window numbered window, in the hash slot of the
// service's stream.
func NetworkKey(streamKey, network, service string, window int64) string {
	return InSlot(streamKey, "netcap:"+service+":"+network+":"+strconv.FormatInt(window, 10))
}

// StreamFor is the stream that carries service's reports.
func (a *Appender) StreamFor(service string) string {
	return a.streams[ShardOf(service, len(a.streams))]
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
func (a *Appender) Append(ctx context.Context, c ReportCount, value string) (string, AppendOutcome, error) {
	r, err := a.Submit(ctx, c, value)
	return r.ID, r.Outcome, err
}

// AppendResult is what Submit did with a report.
type AppendResult struct {
	Outcome AppendOutcome
	ID      string // the stream entry id when Appended
	// CountsAgainIn is, for a Duplicate, how long the reporter's dedupe key
	// still lives: after it the reporter counts again for the service.
	// Zero when unknown.
	CountsAgainIn time.Duration
}

// Submit is Append that also says, for a duplicate, when the reporter
// counts again.
func (a *Appender) Submit(ctx context.Context, c ReportCount, value string) (AppendResult, error) {
	st := a.StreamFor(c.Service)
	res, err := appendScript.Run(ctx, a.rdb, a.appendKeys(st, c), a.appendArgs(value)...).Result()
	return parseAppend(st, res, err)
}

// appendKeys are appendScript's keys for c, whose stream is st.
func (a *Appender) appendKeys(st string, c ReportCount) []string {
	return []string{st, DedupeKey(st, c.Reporter, c.Service), NetworkKey(st, c.Network, c.Service, WindowIndex(c.At, a.window))}
}

// appendArgs are appendScript's arguments for value.
func (a *Appender) appendArgs(value string) []any {
	return []any{a.maxBacklog, a.window.Milliseconds(), a.field, value, a.netCap}
}

// parseAppend reads appendScript's reply res (or its error) on stream st.
func parseAppend(st string, res any, err error) (AppendResult, error) {
	if err != nil {
		return AppendResult{}, fmt.Errorf("append to stream %s: %w", st, err)
	}
	switch v := res.(type) {
	case []any:
		if len(v) != 2 || v[0] != "dup" {
			return AppendResult{}, fmt.Errorf("append to stream %s: unexpected reply %v", st, v)
		}
		ms, _ := v[1].(int64)
		// -1 (no expiry) cannot happen as the script sets the key, but
		// saying nothing beats saying something wrong.
		return AppendResult{Outcome: Duplicate, CountsAgainIn: max(time.Duration(ms)*time.Millisecond, 0)}, nil
	case string:
		switch v {
		case "capped":
			return AppendResult{Outcome: Capped}, nil
		case "full":
			return AppendResult{Outcome: Full}, nil
		case "":
			return AppendResult{}, fmt.Errorf("append to stream %s: empty entry id", st)
		}
		return AppendResult{Outcome: Appended, ID: v}, nil
	}
	return AppendResult{}, fmt.Errorf("append to stream %s: unexpected reply %T", st, res)
}

// Fields of a dead-letter entry.
const (
	DeadIDField     = "id"     // the original entry's id in the report stream
	DeadRawField    = "raw"    // the original value, as it was
	DeadReasonField = "reason" // why it can never be written
)

// Entry is a report stream entry as read: its id and fields. Values is nil
// for a pending entry whose body was deleted from the stream.
type Entry struct {
	ID     string
	Values map[string]any
}

// Dead is an entry that can never be written, and why.
type Dead struct {
	ID     string
	Raw    string
	Reason string
}

// GroupConfig says which stream, group and consumer a ReportGroup reads
// as. Zero fields take the defaults noted.
type GroupConfig struct {
	Stream        string // default Reports
	Group         string // default ReportsGroup
	Consumer      string // this consumer's name in the group; required
	DeadLetter    string // default DeadLetter(Stream), in Stream's hash slot
	DeadLetterMax int64  // approximate cap on the dead-letter stream; default 100000
}

// ReportGroup is one consumer's view of a consumer group on a report
// stream: the Redis half of the worker. Entries are deleted once
// acknowledged, so a stream's length is its backlog, which Appender reads
// for backpressure. A group that Redis lost (restarted without its data)
// is created again where it is found missing; acknowledging into a lost
// group is no error, as nothing is pending there any more.
type ReportGroup struct {
	rdb goredis.UniversalClient
	cfg GroupConfig
}

// NewReportGroup returns the consumer c.Consumer's view of its group.
func NewReportGroup(rdb goredis.UniversalClient, c GroupConfig) (*ReportGroup, error) {
	if rdb == nil || c.Consumer == "" {
		return nil, errors.New("report group: redis and consumer name are required")
	}
	if c.Stream == "" {
		c.Stream = Reports
	}
	if c.Group == "" {
		c.Group = ReportsGroup
	}
	if c.DeadLetter == "" {
		c.DeadLetter = DeadLetter(c.Stream)
	}
	if c.DeadLetterMax <= 0 {
		c.DeadLetterMax = 100000
	}
	return &ReportGroup{rdb: rdb, cfg: c}, nil
}

// Stream is the report stream the group reads.
func (g *ReportGroup) Stream() string { return g.cfg.Stream }

// CreateGroup creates the group, and the stream with it, unless it exists.
func (g *ReportGroup) CreateGroup(ctx context.Context) error {
	err := g.rdb.XGroupCreateMkStream(ctx, g.cfg.Stream, g.cfg.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s on %s: %w", g.cfg.Group, g.cfg.Stream, err)
	}
	return nil
}

// Read reads up to count entries from the group, starting after id (">"
// for new entries, "0" for this consumer's pending ones), blocking up to
// block (-1: not at all). When the group is gone it creates it again, and
// still returns the error: the read did not happen.
func (g *ReportGroup) Read(ctx context.Context, id string, count int, block time.Duration) ([]Entry, error) {
	res, err := g.rdb.XReadGroup(ctx, &goredis.XReadGroupArgs{
		Group:    g.cfg.Group,
		Consumer: g.cfg.Consumer,
		Streams:  []string{g.cfg.Stream, id},
		Count:    int64(max(count, 1)),
		Block:    block,
	}).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		if isNoGroup(err) {
			_ = g.CreateGroup(ctx)
		}
		return nil, fmt.Errorf("read %s from %s: %w", id, g.cfg.Stream, err)
	}
	var n int
	for _, s := range res {
		n += len(s.Messages)
	}
	out := make([]Entry, 0, n)
	for _, s := range res {
		out = appendEntries(out, s.Messages)
	}
	return out, nil
}

// Claim moves up to count entries that have been pending on any consumer
// for at least minIdle, scanning from start ("0-0" first), to this
// consumer, and returns them with where the next scan starts ("0-0" or ""
// when the scan is done). When the group is gone it creates it again and
// returns nothing.
func (g *ReportGroup) Claim(ctx context.Context, start string, minIdle time.Duration, count int) ([]Entry, string, error) {
	msgs, next, err := g.rdb.XAutoClaim(ctx, &goredis.XAutoClaimArgs{
		Stream:   g.cfg.Stream,
		Group:    g.cfg.Group,
		Consumer: g.cfg.Consumer,
		MinIdle:  minIdle,
		Start:    start,
		Count:    int64(count),
	}).Result()
	if err != nil {
		if isNoGroup(err) {
			return nil, "", g.CreateGroup(ctx)
		}
		return nil, "", fmt.Errorf("autoclaim from %s: %w", start, err)
	}
	return appendEntries(make([]Entry, 0, len(msgs)), msgs), next, nil
}

func appendEntries(out []Entry, msgs []goredis.XMessage) []Entry {
	for _, m := range msgs {
		out = append(out, Entry{ID: m.ID, Values: m.Values})
	}
	return out
}

// pruneScript deletes from the group (KEYS[1] the stream, ARGV[1] the
// group) every consumer other than ARGV[3] that has nothing pending and
// has been idle at least ARGV[2] milliseconds, and returns their names.
// Checking and deleting in one script means no consumer can read an entry
// in between: DELCONSUMER drops a consumer's pending entries with it, and
// those would then never be delivered again.
var pruneScript = goredis.NewScript(`
local deleted = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and f['pending'] == 0 and f['idle'] >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    table.insert(deleted, f['name'])
  end
end
return deleted
`)

// Prune deletes from the group the consumers other than this one that
// have nothing pending and have said nothing for idle, and returns their
// names: each worker joins under a name of its own (host and pid), which
// outlives it. A missing stream or group has no consumers to delete.
func (g *ReportGroup) Prune(ctx context.Context, idle time.Duration) ([]string, error) {
	res, err := pruneScript.Run(ctx, g.rdb, []string{g.cfg.Stream}, g.cfg.Group, idle.Milliseconds(), g.cfg.Consumer).StringSlice()
	if err != nil {
		if isNoGroup(err) || strings.Contains(strings.ToLower(err.Error()), "no such key") {
			return nil, nil // no stream or group, no consumers; reading makes them again
		}
		return nil, fmt.Errorf("remove consumers idle for %s from %s: %w", idle, g.cfg.Group, err)
	}
	return res, nil
}

// DeadLetter copies entries to the dead-letter stream and acks and deletes
// them, in one transaction so that none is lost or left behind.
func (g *ReportGroup) DeadLetter(ctx context.Context, dead []Dead) error {
	ids := make([]string, len(dead))
	_, err := g.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		for i, d := range dead {
			ids[i] = d.ID
			p.XAdd(ctx, &goredis.XAddArgs{
				Stream: g.cfg.DeadLetter,
				MaxLen: g.cfg.DeadLetterMax,
				Approx: true,
				Values: []any{DeadIDField, d.ID, DeadRawField, d.Raw, DeadReasonField, d.Reason},
			})
		}
		p.XAck(ctx, g.cfg.Stream, g.cfg.Group, ids...)
		p.XDel(ctx, g.cfg.Stream, ids...)
		return nil
	})
	if err != nil && !isNoGroup(err) {
		return fmt.Errorf("dead-letter %d entries: %w", len(dead), err)
	}
	return nil
}

// ackChunk is how many entries one acknowledging transaction takes: a
// worker's batch may hold a hundred thousand, and Redis serves nobody else
// (ingest included) while it runs a transaction.
const ackChunk = 10000

// Ack acknowledges and deletes entries, each chunk of ackChunk in one
// transaction, so that no entry is ever acknowledged but left in the
// stream. Acknowledging an entry twice is harmless, so a failed Ack is
// simply retried whole.
func (g *ReportGroup) Ack(ctx context.Context, ids []string) error {
	for lo := 0; lo < len(ids); lo += ackChunk {
		chunk := ids[lo:min(lo+ackChunk, len(ids))]
		_, err := g.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.XAck(ctx, g.cfg.Stream, g.cfg.Group, chunk...)
			p.XDel(ctx, g.cfg.Stream, chunk...)
			return nil
		})
		if isNoGroup(err) {
			// The group, and with it any pending state, is gone: nothing to ack.
			return nil
		}
		if err != nil {
			return fmt.Errorf("ack %d entries: %w", len(ids), err)
		}
	}
	return nil
}

// Touch resets the idle time of entries this consumer holds, so that
// others do not claim them while it is still at work on them.
func (g *ReportGroup) Touch(ctx context.Context, ids []string) error {
	err := g.rdb.XClaimJustID(ctx, &goredis.XClaimArgs{
		Stream: g.cfg.Stream, Group: g.cfg.Group, Consumer: g.cfg.Consumer, Messages: ids,
	}).Err()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("refresh %d held entries: %w", len(ids), err)
	}
	return nil
}

func isNoGroup(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOGROUP")
}
