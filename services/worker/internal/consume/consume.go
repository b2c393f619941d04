// Package consume moves reports from the Redis report stream into a Writer:
// it reads in a consumer group, holds reports until a batch is due, writes
// it, and only then acknowledges and deletes the entries. Reading and
// decoding the next batch overlaps writing the last one (see Consumer), and
// batches grow while a backlog lasts. Entries that can
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
	"sync/atomic"
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
	// BatchSize is the batch a quiet stream is written in (or sooner, by
	// FlushInterval), and the smallest the adaptive size shrinks back to;
	// default 5000.
	BatchSize int
	// BatchMax is the largest batch: while reads keep filling batches (a
	// backlog), each next batch is twice the last, up to BatchMax. At most
	// two batches are held at once (one being written, one being read), so
	// it also bounds memory. Default 100000; never below BatchSize (equal:
	// a fixed batch size).
	BatchMax      int
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
	if c.BatchMax <= 0 {
		c.BatchMax = 100000
	}
	c.BatchMax = max(c.BatchMax, c.BatchSize)
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

// maxRead caps the entries one XREADGROUP asks for: a large batch is read
// in several round trips, so that no single reply keeps Redis (and with it
// ingest) busy for long, and decoding starts on the first part while the
// rest is still to come.
const maxRead = 10000

// held is a report waiting to be written, with its stream entry id.
type held struct {
	id  string
	rep lapor.Report
}

// Consumer is one member of the worker consumer group. It is not safe for
// concurrent use; run several Consumers (with distinct names) instead.
//
// Its loop reads, decodes and holds entries; a batch that is due is handed
// to a writer goroutine (a flight), which writes it, retrying until storage
// takes it, and only then hands its entry ids to the acknowledging
// goroutine, which acknowledges and deletes them while the next batch is
// written. While a flight is out the loop reads and decodes the next
// batch, so Redis, the decoding and ClickHouse work at the same time; the
// next batch waits for the flight to land before it flies, and a flight
// lands once the batch before it is acknowledged, so at most two batches
// are held (and the ids of a third, being acknowledged).
// While storage refuses a flight (and until a first flight has landed) the
// loop reads nothing more, holding at most what it had read by then.
//
// A batch that fills up means a backlog: the next one is twice as large,
// up to BatchMax, since ClickHouse takes large inserts far faster per row.
// A batch written before it is full, because it waited FlushInterval or
// because the backlog ran out (a read came back short while it held at
// least BatchSize), halves the size again, down to BatchSize, when the
// stream is quiet (the last read came back short). A batch due by time
// while the one before it is still being written and reads still come back
// full goes on filling until that one lands, so a report waits at most
// FlushInterval or one insert, whichever is longer.
type Consumer struct {
	g   Group
	w   Writer
	cfg Config
	log *slog.Logger

	buf       *batch.Buffer[held]
	ids       map[string]struct{} // entry ids in buf, so a re-delivery is not held twice
	lastClaim time.Time
	lastTouch time.Time // when buf's entries were last touched while waiting for a flight
	caughtUp  bool      // the last read of new entries came back short: no backlog

	fl       *flight // the batch being written, when flying
	flying   bool
	landedOK bool // a flight has landed, and the last one wrote its batch
	// wctx is what flights write and acknowledge under: it outlives Run's
	// context by the shutdown grace, so a batch in flight at shutdown is
	// still written and acknowledged.
	wctx    context.Context
	cancelW context.CancelFunc
	// acks takes a written batch's entry ids to the acknowledging
	// goroutine; it is unbuffered, so a flight lands only once the batch
	// before it is acknowledged, and the next insert overlaps this ack.
	acks       chan []string
	acked      chan error // what the acknowledging goroutine gave up on, once acks is closed
	ackFailing atomic.Bool
}

// flight is a batch handed to the writer goroutine.
type flight struct {
	items    []held
	ids      map[string]struct{} // entry ids of items, so a re-delivery is not held again
	reps     []lapor.Report
	entryIDs []string
	failing  atomic.Bool // storage or Redis refused it at least once
	done     chan error  // nil once written and acknowledged
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
		fl:  &flight{ids: make(map[string]struct{}, cfg.BatchSize), done: make(chan error, 1)},
	}, nil
}

// Run consumes until ctx ends, then writes and acknowledges what it holds
// (within the shutdown grace) before returning. It returns nil after a
// clean shutdown.
func (c *Consumer) Run(ctx context.Context) error {
	c.wctx, c.cancelW = context.WithCancel(context.WithoutCancel(ctx))
	defer c.cancelW()
	c.acks, c.acked = make(chan []string), make(chan error, 1)
	go c.ackAll(c.wctx)
	err := c.retry(ctx, "create consumer group", c.g.CreateGroup)
	if err == nil {
		err = c.loop(ctx)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	if ferr := c.finalFlush(); ferr != nil {
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
		if err := c.poll(ctx); err != nil {
			return err
		}
		now := time.Now()
		if c.due(now) && (c.buf.Full() || !c.flying || c.caughtUp) {
			// A batch due by time while the last one is still being
			// written and the backlog lasts goes on filling until
			// that one lands: it could not fly sooner anyway.
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
		asked := c.readCount()
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
		c.caughtUp = len(msgs) < asked
		if err := c.take(ctx, msgs); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// due reports whether buf should be written now: it is full or has waited
// FlushInterval, or the backlog that grew the batch size ran out while it
// held at least BatchSize (waiting for more would only delay those).
func (c *Consumer) due(now time.Time) bool {
	return c.buf.Due(now) || (c.caughtUp && c.buf.Len() >= c.cfg.BatchSize)
}

// poll lands the flight if it has landed, without waiting; while storage
// refuses it (or before a first flight landed) it waits for it instead,
// so that nothing more is read meanwhile.
func (c *Consumer) poll(ctx context.Context) error {
	if !c.flying {
		return nil
	}
	if !c.readAhead() {
		return c.land(ctx)
	}
	select {
	case err := <-c.fl.done:
		return c.landed(err)
	default:
		return nil
	}
}

// readAhead reports whether the loop may read the next batch while the
// flight is out: a flight has landed, the last one wrote its batch, and
// neither the one out nor the last acknowledgement has been refused.
func (c *Consumer) readAhead() bool {
	return c.landedOK && !(c.flying && c.fl.failing.Load()) && !c.ackFailing.Load()
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

// readCount is how many entries the next read asks for: the buffer's
// room, at most maxRead, at least one.
func (c *Consumer) readCount() int { return max(min(c.buf.Room(), maxRead), 1) }

// read reads up to readCount entries from the group, starting after id
// (">" for new entries), blocking up to block (-1: not at all).
func (c *Consumer) read(ctx context.Context, id string, block time.Duration) ([]redis.Entry, error) {
	return c.g.Read(ctx, id, c.readCount(), block)
}

// take holds the good entries and dead-letters the rest at once, so a bad
// entry never waits for, or holds up, a batch.
func (c *Consumer) take(ctx context.Context, msgs []redis.Entry) error {
	var dead []redis.Dead
	now := time.Now()
	for i, v := range classifyAll(msgs) {
		m := msgs[i]
		if c.holds(m.ID) {
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

// holds reports whether entry id is held already, in buf or in flight.
func (c *Consumer) holds(id string) bool {
	if _, ok := c.ids[id]; ok {
		return true
	}
	if !c.flying {
		return false
	}
	_, ok := c.fl.ids[id]
	return ok
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

// flush hands the held reports to the writer goroutine, once the flight
// before them has landed, and adapts the batch size: a full batch means a
// backlog, so the next may be twice as large (while storage takes batches
// as they come); a batch written before it was full halves it. It returns
// when the flight is off, or, while the writer is not known to keep up
// (nothing landed yet, or its flight refused), when it has landed.
func (c *Consumer) flush(ctx context.Context) error {
	if c.buf.Len() == 0 {
		return nil
	}
	if err := c.land(ctx); err != nil {
		return err
	}
	size := c.buf.Size()
	switch full := c.buf.Len() >= size; {
	case full && c.readAhead():
		c.buf.SetSize(min(2*size, c.cfg.BatchMax))
	case !full && c.caughtUp:
		// Due by time or at the end of a backlog, with the stream quiet:
		// a batch written by time while reads still come back full
		// means only that reading is the slower half, so it keeps its size.
		c.buf.SetSize(max(size/2, c.cfg.BatchSize))
	}
	c.takeOff(c.wctx)
	c.caughtUp = false
	if !c.readAhead() {
		return c.land(ctx)
	}
	return nil
}

// takeOff moves the held reports into the flight and starts writing them.
func (c *Consumer) takeOff(wctx context.Context) {
	fl := c.fl
	fl.items = c.buf.Swap(fl.items)
	fl.ids, c.ids = c.ids, fl.ids
	clear(c.ids)
	fl.failing.Store(false)
	c.flying = true
	c.lastTouch = time.Now()
	go func() { fl.done <- c.write(wctx, fl) }()
}

// write writes a flight's batch, retrying until storage takes it, then
// hands its entry ids to ackAll; it runs on its own goroutine.
func (c *Consumer) write(ctx context.Context, fl *flight) error {
	fl.reps, fl.entryIDs = fl.reps[:0], fl.entryIDs[:0]
	for _, h := range fl.items {
		fl.reps = append(fl.reps, h.rep)
		fl.entryIDs = append(fl.entryIDs, h.id)
	}
	start := time.Now()
	lastTouch := start
	err := c.retry(ctx, "write batch", func(ctx context.Context) error {
		err := c.w.Write(ctx, fl.reps)
		if err != nil {
			fl.failing.Store(true)
			if time.Since(lastTouch) >= c.cfg.ClaimIdle/2 {
				// Keep the entries from looking abandoned to other
				// consumers while storage is away.
				lastTouch = time.Now()
				c.touch(ctx, fl.entryIDs)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	c.log.Debug("wrote batch", "reports", len(fl.reps), "write_ms", time.Since(start).Milliseconds())
	// Acknowledging overlaps the next insert; the ids go with it, and the
	// next flight builds its own.
	ids := fl.entryIDs
	fl.entryIDs = nil
	select {
	case c.acks <- ids:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hand %d written reports to be acknowledged: %w", len(ids), ctx.Err())
	}
}

// ackAll acknowledges and deletes the entries of each written batch it is
// handed, retrying until Redis takes them, until acks is closed; then it
// sends what it gave up on (only once ctx, the shutdown grace, ended) to
// acked. An entry written but not yet acknowledged is no longer held: read
// again (after a failed read) it is written again, which is harmless.
func (c *Consumer) ackAll(ctx context.Context) {
	var errs []error
	for ids := range c.acks {
		start := time.Now()
		err := c.retry(ctx, "ack batch", func(ctx context.Context) error {
			err := c.ack(ctx, ids)
			c.ackFailing.Store(err != nil)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.log.Debug("acked batch", "reports", len(ids), "took_ms", time.Since(start).Milliseconds())
	}
	c.acked <- errors.Join(errs...)
}

// land waits for the flight, if one is out, going round the liveness check
// and keeping the entries held in buf from looking abandoned meanwhile. It
// returns early only when ctx ends; the flight then goes on, under the
// shutdown grace (finalFlush waits for it).
func (c *Consumer) land(ctx context.Context) error {
	if !c.flying {
		return nil
	}
	tick := time.NewTicker(min(time.Second, c.cfg.ClaimIdle/2))
	defer tick.Stop()
	for {
		select {
		case err := <-c.fl.done:
			return c.landed(err)
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			c.beat()
			if c.buf.Len() > 0 && now.Sub(c.lastTouch) >= c.cfg.ClaimIdle/2 {
				c.lastTouch = now
				ids := make([]string, 0, c.buf.Len())
				for _, h := range c.buf.Items() {
					ids = append(ids, h.id)
				}
				c.touch(ctx, ids)
			}
		}
	}
}

// landed records a flight's outcome; err is set only when the flight gave
// up, which it does only once the shutdown grace is over.
func (c *Consumer) landed(err error) error {
	c.flying = false
	if err != nil {
		c.landedOK = false
		return err
	}
	c.landedOK = true
	clear(c.fl.ids)
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

// finalFlush, after ctx ended, waits for the flight and writes what is
// held, all within the shutdown grace. What it cannot write stays pending
// and is written by this consumer's next run or claimed by another.
func (c *Consumer) finalFlush() error {
	stop := time.AfterFunc(c.cfg.ShutdownGrace, c.cancelW)
	defer stop.Stop()
	if !c.flying && c.buf.Len() == 0 {
		close(c.acks)
		return <-c.acked
	}
	var errs []error
	n := 0
	if c.flying {
		n += len(c.fl.items)
		if err := c.landed(<-c.fl.done); err != nil {
			errs = append(errs, err)
		}
	}
	if held := c.buf.Len(); held > 0 {
		n += held
		c.takeOff(c.wctx)
		if err := c.landed(<-c.fl.done); err != nil {
			errs = append(errs, err)
		}
	}
	close(c.acks)
	if err := <-c.acked; err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
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
