// Package backfill writes generated report history straight into
// ClickHouse's per-minute rollup, so that a fresh stack's detector has a
// time-of-week baseline from its first minute. Counts go into a staging
// table in column batches; one INSERT … SELECT per chunk of history then
// expands every count into that many synthetic reports and reporters and
// aggregates them into reports_minute on the server. Raw reports are not
// written: everything that reads history reads the rollup.
package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/simulator/internal/history"
)

// Staging names the tables that hold counts on their way into the
// rollup, one per worker: backfill_counts_1, backfill_counts_2, …. Backfill
// creates them and drops them when done.
const Staging = "backfill_counts"

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
	var (
		total uint64
		first time.Time
	)
	// "A day or more", not "more than a day": a one-day backfill with the
	// same end starts exactly a day back, and must be found.
	row := conn.QueryRow(ctx, "SELECT countIf(minute <= toDateTime(?)), count(), min(minute) FROM reports_minute", d.End.Add(-24*time.Hour).Unix())
	if err := row.Scan(&d.Existing, &total, &first); err != nil {
		return d, fmt.Errorf("look for existing history: %w", err)
	}
	if d.Existing > 0 {
		d.Skip = true
		return d, nil
	}
	if total > 0 && first.Before(d.End) {
		d.End = first.Truncate(time.Minute)
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
		table := Staging + "_" + strconv.Itoa(w+1)
		wg.Go(func() {
			if err := createStaging(ctx, conn, table); err != nil {
				fail(err)
				return
			}
			defer dropStaging(ctx, conn, table, log)
			for c := range chunks {
				reports, err := writeChunk(ctx, conn, table, c.rows)
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

func createStaging(ctx context.Context, conn driver.Conn, table string) error {
	// A run that was killed may have left the table behind.
	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		return fmt.Errorf("drop old staging table %s: %w", table, err)
	}
	q := "CREATE TABLE " + table + " (service String, minute DateTime, symptom String, country String, n UInt32) ENGINE = Memory"
	if err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("create staging table %s: %w", table, err)
	}
	return nil
}

// dropStaging removes a staging table, even once ctx has ended.
func dropStaging(ctx context.Context, conn driver.Conn, table string, log *slog.Logger) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := conn.Exec(dctx, "DROP TABLE IF EXISTS "+table); err != nil {
		log.Warn("drop staging table", "table", table, "err", err)
	}
}

// expand turns every staged count into that many synthetic reports, each
// with an id and a reporter of its own, and folds them into the same
// exact-distinct states that the materialized view makes of real reports.
// Staged rows are already one per rollup key, so arrayReduce builds each
// state from its row alone; that is more than twice as fast on 18.16 as
// ARRAY JOIN range(n) followed by GROUP BY. The statement takes no bound
// arguments: INSERT with arguments hangs on ClickHouse 18.16.
// (Lambdas on 18.16 cannot see a subquery's aliases, hence the repeated
// key expression.)
const expand = `INSERT INTO reports_minute (service, minute, symptom, country, reports, reporters)
SELECT service, minute, symptom, country,
    arrayReduce('uniqExactState', arrayMap(i -> concat('bf/', service, '/', toString(toUInt32(minute)), '/', symptom, '/', country, '/', toString(i)), range(n))),
    arrayReduce('uniqExactState', arrayMap(i -> concat('bfr/', service, '/', toString(toUInt32(minute)), '/', symptom, '/', country, '/', toString(i)), range(n)))
FROM `

// writeChunk stages rows, expands them into reports_minute and empties the
// staging table. It returns the reports written.
func writeChunk(ctx context.Context, conn driver.Conn, table string, rows []history.Row) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	var (
		services = make([]string, len(rows))
		minutes  = make([]time.Time, len(rows))
		symptoms = make([]string, len(rows))
		counts   = make([]uint32, len(rows))
		country  = make([]string, len(rows))
		reports  int
	)
	for i, r := range rows {
		services[i], minutes[i], symptoms[i], country[i], counts[i] = r.Service, r.Minute, r.Symptom, r.Country, r.N
		reports += int(r.N)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" (service, minute, symptom, country, n)")
	if err != nil {
		return 0, fmt.Errorf("prepare staging batch: %w", err)
	}
	for i, col := range []any{services, minutes, symptoms, country, counts} {
		if err := batch.Column(i).Append(col); err != nil {
			_ = batch.Abort()
			return 0, fmt.Errorf("stage column %d of %d rows: %w", i, len(rows), err)
		}
	}
	if err := batch.Send(); err != nil {
		return 0, fmt.Errorf("stage %d rows: %w", len(rows), err)
	}
	if err := conn.Exec(ctx, expand+table); err != nil {
		return 0, fmt.Errorf("expand %d rows into %d reports: %w", len(rows), reports, err)
	}
	if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
		return 0, fmt.Errorf("empty staging table: %w", err)
	}
	return reports, nil
}
