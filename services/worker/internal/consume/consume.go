// Package consume moves reports from the Redis report stream into a Writer:
// it reads in a consumer group, holds reports until a batch is due, writes
// it, and only then acknowledges and deletes the entries. Entries that can
// never be written go to a dead-letter stream; entries a dead consumer left
// pending are claimed and written here, and the dead consumer is then
// deleted from the group. The Redis commands are redis.ReportGroup's,
// reached through Group; the batching, retries and classification are
// here.
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/sleep"
	"github.com/lapor/lapor/services/worker/internal/batch"
)

// Writer stores a batch of reports. Writing the same reports twice must be
// harmless: a batch is written again when its acknowledgement was lost.
type Writer interface {
	Write(ctx context.Context, reps []lapor.Report) error
}

// WriterFunc adapts a function, such as one that saves reports with
// clickhouse.SaveReports, to Writer.
type WriterFunc func(ctx context.Context, reps []lapor.Report) error

// Write calls f.
func (f WriterFunc) Write(ctx context.Context, reps []lapor.Report) error { return f(ctx, reps) }

// Group is the consumer group a Consumer reads as: redis.ReportGroup.
// Entries are deleted as they are acknowledged or dead-lettered, and a
// group Redis lost is created again where it is found missing.
type Group interface {
	// CreateGroup creates the group unless it exists.
	CreateGroup(ctx context.Context) error
	// Read reads up to count entries after id (">": new ones), blocking
	// up to block (-1: not at all).
	Read(ctx context.Context, id string, count int, block time.Duration) ([]redis.Entry, error)
	// Claim moves to this consumer up to count entries pending on any
	// consumer for minIdle, scanning from start; next is where the next
	// scan starts, "0-0" or "" when done.
	Claim(ctx context.Context, start string, minIdle time.Duration, count int) (entries []redis.Entry, next string, err error)
	// Prune deletes the other consumers with nothing pending that have
	// been idle for idle, and returns their names.
	Prune(ctx context.Context, idle time.Duration) ([]string, error)
	// DeadLetter moves entries to the dead-letter stream, atomically.
	DeadLetter(ctx context.Context, dead []redis.Dead) error
	// Ack acknowledges and deletes entries.
	Ack(ctx context.Context, ids []string) error
	// Touch resets the idle time of entries this consumer holds.
	Touch(ctx context.Context, ids []string) error
}

// The worker reads the report streams with go-redis.
var _ Group = (*redis.ReportGroup)(nil)

// Config tunes a Consumer. Zero fields take the defaults noted; which
// stream, group and consumer name it reads as are the Group's
// (redis.GroupConfig).
type Config struct {
	BatchSize     int           // reports per write; default 5000
	FlushInterval time.Duration // longest a report is held before a write; default 500ms
	ClaimInterval time.Duration // how often to look for abandoned entries; default 15s
	ClaimIdle     time.Duration // how long an entry is pending before it counts as abandoned; default 30s
	PruneIdle     time.Duration // how long a consumer with nothing pending is idle before it is deleted from the group; default 10×ClaimIdle
	RetryMin      time.Duration // first wait after a failure; default 100ms
	RetryMax      time.Duration // longest wait between retries; default 5s
	ShutdownGrace time.Duration // how long the final write may take after cancellation; default 10s
	// Beat, when set, is called each time the consumer's loop goes round
	// (a read, a flush, a retry): the worker's liveness check.
	Beat func()
}

func (c Config) withDefaults() Config {
	defDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	defDur(&c.FlushInterval, 500*time.Millisecond)
	defDur(&c.ClaimInterval, 15*time.Second)
	defDur(&c.ClaimIdle, 30*time.Second)
	defDur(&c.PruneIdle, 10*c.ClaimIdle)
	defDur(&c.RetryMin, 100*time.Millisecond)
	defDur(&c.RetryMax, 5*time.Second)
	defDur(&c.ShutdownGrace, 10*time.Second)
	return c
}

// maxBlock caps one blocking read, so that cancellation is noticed soon
// even with a long flush interval.
const maxBlock = time.Second

// held is a report waiting to be written, with its stream entry id.
type held struct {
	id  string
	rep lapor.Report
}

// Consumer is one member of the worker consumer group. It is not safe for
// concurrent use; run several Consumers (with distinct names) instead.
type Consumer struct {
	g   Group
	w   Writer
	cfg Config
	log *slog.Logger

	buf       *batch.Buffer[held]
	ids       map[string]struct{} // entry ids in buf, so a re-delivery is not held twice
	written   bool                // buf is in storage and only needs acking
	lastClaim time.Time
	reps      []lapor.Report
	entryIDs  []string
}

// New returns a Consumer reading as g and writing to w.
func New(g Group, w Writer, cfg Config, log *slog.Logger) (*Consumer, error) {
	if g == nil || w == nil || log == nil {
		return nil, errors.New("consume: group, writer and logger are required")
	}
	cfg = cfg.withDefaults()
	return &Consumer{
		g: g, w: w, cfg: cfg, log: log,
		buf: batch.New[held](cfg.BatchSize, cfg.FlushInterval),
		ids: make(map[string]struct{}, cfg.BatchSize),
	}, nil
}

// Run consumes until ctx ends, then writes and acknowledges what it holds
// (within the shutdown grace) before returning. It returns nil after a
// clean shutdown.
func (c *Consumer) Run(ctx context.Context) error {
	err := c.retry(ctx, "create consumer group", c.g.CreateGroup)
	if err == nil {
		err = c.loop(ctx)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	if ferr := c.finalFlush(ctx); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

func (c *Consumer) loop(ctx context.Context) error {
	// Entries this consumer read before a restart come first: nobody else
	// will deliver them again until they look abandoned.
	if err := c.drainOwn(ctx); err != nil {
		return err
	}
	var readFail backoff
	readFail.min, readFail.max = c.cfg.RetryMin, c.cfg.RetryMax
	resync := false
	for ctx.Err() == nil {
		c.beat()
		if resync {
			// A read that failed may have been delivered all the same (a
			// connection lost mid-reply): pick such entries up now rather
			// than after claim-idle.
			if err := c.drainOwn(ctx); err != nil {
				return err
			}
			resync = false
		}
		now := time.Now()
		if c.buf.Due(now) {
			if err := c.flush(ctx); err != nil {
				return err
			}
			continue
		}
		if now.Sub(c.lastClaim) >= c.cfg.ClaimInterval {
			c.lastClaim = now
			if err := c.claim(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.log.Warn("claim abandoned reports", "err", err)
			}
			if _, err := c.prune(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.log.Warn("remove idle consumers", "err", err)
			}
			continue
		}
		block := min(c.buf.Wait(now), c.cfg.ClaimInterval-now.Sub(c.lastClaim), maxBlock)
		// BLOCK 0 would mean forever.
		block = max(block, time.Millisecond)
		msgs, err := c.read(ctx, ">", block)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d := readFail.Next()
			// A group Redis lost (restarted without its data) was
			// created again by the failed read.
			c.log.Warn("read report stream failed; retrying", "retry_in", d.String(), "err", err)
			if err := sleep.For(ctx, d); err != nil {
				return err
			}
			resync = true
			continue
		}
		readFail.Reset()
		if err := c.take(ctx, msgs); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// drainOwn processes the entries already pending for this consumer.
func (c *Consumer) drainOwn(ctx context.Context) error {
	last := "0"
	for {
		if c.buf.Room() == 0 {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
		var msgs []redis.Entry
		err := c.retry(ctx, "read own pending reports", func(ctx context.Context) error {
			var err error
			msgs, err = c.read(ctx, last, -1)
			return err
		})
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		c.log.Info("read own pending reports", "count", len(msgs))
		last = msgs[len(msgs)-1].ID
		if err := c.take(ctx, msgs); err != nil {
			return err
		}
	}
}

// claim moves entries pending longer than ClaimIdle, on any consumer, to
// this one and holds them like new ones.
func (c *Consumer) claim(ctx context.Context) error {
	start := "0-0"
	for {
		if c.buf.Room() == 0 {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
		msgs, next, err := c.g.Claim(ctx, start, c.cfg.ClaimIdle, c.buf.Room())
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			c.log.Info("claimed abandoned reports", "count", len(msgs))
		}
		if err := c.take(ctx, msgs); err != nil {
			return err
		}
		if next == "" || next == "0-0" {
			return nil
		}
		start = next
	}
}

// prune deletes the consumers that dead workers left in the group: each
// worker joins under a name of its own (host and pid), which outlives it.
// A consumer is deleted only with nothing pending (claim moves a dead
// one's entries away first) and after PruneIdle without a word, far
// longer than a live one, which reads at least every second, is ever
// quiet. It returns the names deleted.
func (c *Consumer) prune(ctx context.Context) ([]string, error) {
	res, err := c.g.Prune(ctx, c.cfg.PruneIdle)
	if err != nil {
		return nil, err
	}
	if len(res) > 0 {
		c.log.Info("removed idle consumers from the group", "count", len(res), "consumers", res)
	}
	return res, nil
}

// read reads up to the buffer's room from the group, starting after id
// (">" for new entries), blocking up to block (-1: not at all).
func (c *Consumer) read(ctx context.Context, id string, block time.Duration) ([]redis.Entry, error) {
	return c.g.Read(ctx, id, max(c.buf.Room(), 1), block)
}

// take holds the good entries and dead-letters the rest at once, so a bad
// entry never waits for, or holds up, a batch.
func (c *Consumer) take(ctx context.Context, msgs []redis.Entry) error {
	var dead []redis.Dead
	now := time.Now()
	for i, v := range classifyAll(msgs) {
		m := msgs[i]
		if _, ok := c.ids[m.ID]; ok {
			continue
		}
		if v.dead != nil {
			dead = append(dead, *v.dead)
			continue
		}
		c.ids[m.ID] = struct{}{}
		c.buf.Add(now, held{id: m.ID, rep: v.rep})
	}
	if len(dead) == 0 {
		return nil
	}
	return c.retry(ctx, "dead-letter reports", func(ctx context.Context) error {
		return c.deadLetter(ctx, dead)
	})
}

type verdict struct {
	rep  lapor.Report
	dead *redis.Dead
}

// parallelMin is the smallest read worth decoding on several cores.
const parallelMin = 1024

// classifyAll classifies msgs in order. Large reads are decoded on every
// core: decoding is most of the worker's own CPU time, and while it runs
// Redis and ClickHouse are idle anyway.
func classifyAll(msgs []redis.Entry) []verdict {
	out := make([]verdict, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), len(msgs)/(parallelMin/2))
	if workers < 2 {
		for i, m := range msgs {
			out[i].rep, out[i].dead = Classify(m)
		}
		return out
	}
	var wg sync.WaitGroup
	per := (len(msgs) + workers - 1) / workers
	for lo := 0; lo < len(msgs); lo += per {
		hi := min(lo+per, len(msgs))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i].rep, out[i].dead = Classify(msgs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// deadLetter moves entries to the dead-letter stream and says so.
func (c *Consumer) deadLetter(ctx context.Context, dead []redis.Dead) error {
	if err := c.g.DeadLetter(ctx, dead); err != nil {
		return err
	}
	for _, d := range dead {
		c.log.Warn("dead-lettered report entry", "entry", d.ID, "reason", d.Reason)
	}
	return nil
}

// flush writes the held reports, retrying until storage takes them, then
// acks and deletes their entries. It returns only when that is done or ctx
// ends; meanwhile nothing more is read.
func (c *Consumer) flush(ctx context.Context) error {
	items := c.buf.Items()
	if len(items) == 0 {
		return nil
	}
	c.reps, c.entryIDs = c.reps[:0], c.entryIDs[:0]
	for _, h := range items {
		c.reps = append(c.reps, h.rep)
		c.entryIDs = append(c.entryIDs, h.id)
	}
	start := time.Now()
	if !c.written {
		lastTouch := start
		err := c.retry(ctx, "write batch", func(ctx context.Context) error {
			err := c.w.Write(ctx, c.reps)
			if err != nil && time.Since(lastTouch) >= c.cfg.ClaimIdle/2 {
				// Keep the held entries from looking abandoned to other
				// consumers while storage is away.
				lastTouch = time.Now()
				c.touch(ctx, c.entryIDs)
			}
			return err
		})
		if err != nil {
			return err
		}
		c.written = true
	}
	if err := c.retry(ctx, "ack batch", func(ctx context.Context) error { return c.ack(ctx, c.entryIDs) }); err != nil {
		return err
	}
	c.log.Debug("wrote batch", "reports", len(items), "took_ms", time.Since(start).Milliseconds())
	c.buf.Reset()
	clear(c.ids)
	c.written = false
	return nil
}

// ack acknowledges and deletes entries; deleting keeps the stream's length
// equal to the backlog, which ingest reads for backpressure.
func (c *Consumer) ack(ctx context.Context, ids []string) error { return c.g.Ack(ctx, ids) }

// touch resets the idle time of entries this consumer holds.
func (c *Consumer) touch(ctx context.Context, ids []string) {
	if err := c.g.Touch(ctx, ids); err != nil {
		c.log.Warn("refresh held entries", "count", len(ids), "err", err)
	}
}

// finalFlush writes what is held after ctx ended, on a fresh context
// bounded by the shutdown grace. What it cannot write stays pending and is
// written by this consumer's next run or claimed by another.
func (c *Consumer) finalFlush(parent context.Context) error {
	n := c.buf.Len()
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.cfg.ShutdownGrace)
	defer cancel()
	if err := c.flush(ctx); err != nil {
		return fmt.Errorf("flush %d held reports on shutdown (left pending): %w", n, err)
	}
	c.log.Info("flushed held reports on shutdown", "reports", n)
	return nil
}

// retry calls fn until it succeeds or ctx ends, waiting a capped,
// doubling time between attempts.
func (c *Consumer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	b := backoff{min: c.cfg.RetryMin, max: c.cfg.RetryMax}
	for attempt := 1; ; attempt++ {
		c.beat()
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				c.log.Info(what+" recovered", "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		}
		d := b.Next()
		level := slog.LevelWarn
		if attempt >= 5 {
			level = slog.LevelError
		}
		c.log.Log(ctx, level, what+" failed; retrying", "attempt", attempt, "retry_in", d.String(), "err", err)
		if err := sleep.For(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// beat tells the liveness check the loop went round.
func (c *Consumer) beat() {
	if c.cfg.Beat != nil {
		c.cfg.Beat()
	}
}
