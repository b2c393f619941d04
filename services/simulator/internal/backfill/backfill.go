// Package backfill writes generated report history straight into
// ClickHouse's per-minute rollup, so that a fresh stack's detector has a
// time-of-week baseline from its first minute. It generates the history a
// chunk at a time while workers hand the chunks before to ClickHouse
// (clickhouse.BackfillStage), which expands every count into that many
// synthetic reports and reporters and aggregates them into reports_minute
// (and the reporters' sketches into reports_minute_sketch) on the server,
// re-finalising any minutes already final. Raw reports are not written:
// everything that reads history reads the rollup, its sketches and the
// final counts made from them.
package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/simulator/internal/history"
)

// DefaultChunk is how much history one server-side aggregation covers:
// small enough to keep the server's memory modest, big enough that the
// per-statement overhead does not matter.
const DefaultChunk = 24 * time.Hour

// DefaultWorkers is how many chunks are aggregated at once. One statement
// keeps one core of ClickHouse 18.16 busy; two use a small machine fully.
const DefaultWorkers = 2

// Options tune a backfill.
type Options struct {
	// Chunk is the history aggregated per statement (default DefaultChunk).
	Chunk time.Duration
	// Workers is how many chunks are written at once (default
	// DefaultWorkers).
	Workers int
}

// Result says what a backfill did.
type Result struct {
	// Start and End bound the history written (End excluded).
	Start, End time.Time
	// Rows is how many (service, minute, symptom, country) counts were
	// staged; Reports is the synthetic reports they stand for.
	Rows, Reports int
	// Outages is how many past outages the history holds.
	Outages int
}

// Decision is what Plan found.
type Decision struct {
	// Skip is set when the rollup already holds history: Existing rows a
	// day or more older than the end.
	Skip     bool
	Existing uint64
	// End is where new history must end (excluded).
	End time.Time
}

// Plan decides, before anything is generated, whether history is needed
// and where it must end. Unless force, it skips when the rollup already
// holds rows a day or more before end — a previous backfill, or a stack
// that has run for a day — and otherwise moves the end back to the
// earliest minute already in the rollup, so that history never overlaps
// what live traffic has written.
func Plan(ctx context.Context, conn driver.Conn, end time.Time, force bool) (Decision, error) {
	d := Decision{End: end.Truncate(time.Minute)}
	if force {
		return d, nil
	}
	// "A day or more", not "more than a day": a one-day backfill with the
	// same end starts exactly a day back, and must be found.
	h, err := clickhouse.ReadRollupHistory(ctx, conn, d.End.Add(-24*time.Hour))
	if err != nil {
		return d, fmt.Errorf("look for existing history: %w", err)
	}
	d.Existing = h.Through
	if d.Existing > 0 {
		d.Skip = true
		return d, nil
	}
	if h.Total > 0 && h.First.Before(d.End) {
		d.End = h.First.Truncate(time.Minute)
	}
	return d, nil
}

// Run writes the generator's whole history into reports_minute, a chunk at
// a time, and drops its staging tables afterwards. Call Plan first to
// respect history that is already there.
func Run(ctx context.Context, conn driver.Conn, gen *history.Generator, opts Options, log *slog.Logger) (Result, error) {
	if opts.Chunk <= 0 {
		opts.Chunk = DefaultChunk
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	res := Result{Start: gen.Start(), End: gen.End(), Outages: len(gen.Outages())}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One goroutine generates the next chunk while the workers have the
	// server aggregate the ones before; row buffers go round for reuse.
	type chunk struct {
		from, to time.Time
		rows     []history.Row
	}
	chunks := make(chan chunk)
	free := make(chan []history.Row, opts.Workers+1)
	for range opts.Workers + 1 {
		free <- nil
	}
	generated := make(chan struct{})
	go func() {
		defer close(generated)
		defer close(chunks)
		for !gen.Done() {
			var buf []history.Row
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			from := gen.Next()
			rows := gen.Generate(from.Add(opts.Chunk), buf[:0])
			select {
			case chunks <- chunk{from: from, to: gen.Next(), rows: rows}:
			case <-ctx.Done():
				return
			}
		}
	}()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for w := range opts.Workers {
		wg.Go(func() {
			stage, err := clickhouse.NewBackfillStage(ctx, conn, w+1)
			if err != nil {
				fail(err)
				return
			}
			defer dropStage(ctx, stage, log)
			var counts []clickhouse.MinuteCount
			for c := range chunks {
				counts = counts[:0]
				for _, r := range c.rows {
					// A history.Row has the fields of a MinuteCount.
					counts = append(counts, clickhouse.MinuteCount(r))
				}
				reports, err := stage.Write(ctx, counts)
				if err != nil {
					fail(fmt.Errorf("backfill %s to %s: %w", c.from.Format(time.RFC3339), c.to.Format(time.RFC3339), err))
					return
				}
				mu.Lock()
				res.Rows += len(c.rows)
				res.Reports += reports
				mu.Unlock()
				log.Debug("backfilled chunk", "from", c.from, "to", c.to, "rows", len(c.rows), "reports", reports)
				free <- c.rows
			}
		})
	}
	wg.Wait()
	// A failed worker cancelled ctx, so the generator is about to stop.
	<-generated
	if firstErr != nil {
		return res, firstErr
	}
	// The generator stops early only when ctx ended.
	if !gen.Done() {
		return res, fmt.Errorf("backfill interrupted at %s: %w", gen.Next().Format(time.RFC3339), context.Cause(ctx))
	}
	return res, nil
}

// dropStage removes a staging table, even once ctx has ended.
func dropStage(ctx context.Context, stage *clickhouse.BackfillStage, log *slog.Logger) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := stage.Drop(dctx); err != nil {
		log.Warn("drop staging table", "table", stage.Table(), "err", err)
	}
}
