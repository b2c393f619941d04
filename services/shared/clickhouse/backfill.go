package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RollupHistory is what reports_minute already holds, as a backfill
// sees it before writing history.
type RollupHistory struct {
	// Through counts the rows of minutes up to the time asked about
	// (included); Total counts every row.
	Through, Total uint64
	// First is the earliest minute held; it means nothing when Total is 0.
	First time.Time
}

// ReadRollupHistory reads what reports_minute holds, counting the rows of
// minutes up to through.
func ReadRollupHistory(ctx context.Context, conn driver.Conn, through time.Time) (RollupHistory, error) {
	var h RollupHistory
	row := conn.QueryRow(ctx, "SELECT countIf(minute <= toDateTime(?)), count(), min(minute) FROM reports_minute", through.Unix())
	if err := row.Scan(&h.Through, &h.Total, &h.First); err != nil {
		return h, fmt.Errorf("read the rollup's rows up to %s: %w", through.Format(time.RFC3339), err)
	}
	return h, nil
}

// MinuteCount is how many reports of a service's symptom came from a
// country in a minute: a key of reports_minute and its count.
type MinuteCount struct {
	Service string
	Minute  time.Time
	Symptom string
	Country string
	N       uint32
}

// BackfillStaging names the tables that hold counts on their way into the
// rollup, one per BackfillStage: backfill_counts_1, backfill_counts_2, ….
const BackfillStaging = "backfill_counts"

// BackfillStage writes counts of synthetic reports into reports_minute
// through a staging table of its own. Counts go into the staging table in
// column batches; one INSERT … SELECT then expands every count into that
// many synthetic reports and reporters and aggregates them into the
// rollup on the server. Several stages may write at once.
type BackfillStage struct {
	conn  driver.Conn
	table string
}

// NewBackfillStage creates staging table n (BackfillStaging_n), replacing
// one that a killed run left behind. Drop it when done.
func NewBackfillStage(ctx context.Context, conn driver.Conn, n int) (*BackfillStage, error) {
	s := &BackfillStage{conn: conn, table: BackfillStaging + "_" + strconv.Itoa(n)}
	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+s.table); err != nil {
		return nil, fmt.Errorf("drop old staging table %s: %w", s.table, err)
	}
	q := "CREATE TABLE " + s.table + " (service String, minute DateTime, symptom String, country String, n UInt32) ENGINE = Memory"
	if err := conn.Exec(ctx, q); err != nil {
		return nil, fmt.Errorf("create staging table %s: %w", s.table, err)
	}
	return s, nil
}

// Table is the staging table's name.
func (s *BackfillStage) Table() string { return s.table }

// Drop removes the staging table.
func (s *BackfillStage) Drop(ctx context.Context) error {
	if err := s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+s.table); err != nil {
		return fmt.Errorf("drop staging table %s: %w", s.table, err)
	}
	return nil
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

// sketch writes the synthetic reporters of expand again, as the
// uniqCombined sketches that reads of reporters over more than a minute
// merge (see finalRows): there are no raw reports to make them from.
const sketch = `INSERT INTO reports_minute_sketch (service, minute, symptom, country, reporters)
SELECT service, minute, symptom, country,
    arrayReduce('uniqCombinedState', arrayMap(i -> concat('bfr/', service, '/', toString(toUInt32(minute)), '/', symptom, '/', country, '/', toString(i)), range(n)))
FROM `

// Write stages counts, expands them into reports_minute and their
// reporters' sketches into reports_minute_sketch, finalises again
// the minutes that were final already (Refinalize) and empties the
// staging table. Counts must hold each rollup key at most once. It
// returns the synthetic reports written.
func (s *BackfillStage) Write(ctx context.Context, counts []MinuteCount) (int, error) {
	if len(counts) == 0 {
		return 0, nil
	}
	var (
		services = make([]string, len(counts))
		minutes  = make([]time.Time, len(counts))
		symptoms = make([]string, len(counts))
		n        = make([]uint32, len(counts))
		country  = make([]string, len(counts))
		reports  int
	)
	for i, c := range counts {
		services[i], minutes[i], symptoms[i], country[i], n[i] = c.Service, c.Minute, c.Symptom, c.Country, c.N
		reports += int(c.N)
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.table+" (service, minute, symptom, country, n)")
	if err != nil {
		return 0, fmt.Errorf("prepare staging batch: %w", err)
	}
	for i, col := range []any{services, minutes, symptoms, country, n} {
		if err := batch.Column(i).Append(col); err != nil {
			_ = batch.Abort()
			return 0, fmt.Errorf("stage column %d of %d rows: %w", i, len(counts), err)
		}
	}
	if err := batch.Send(); err != nil {
		return 0, fmt.Errorf("stage %d rows: %w", len(counts), err)
	}
	if err := s.conn.Exec(ctx, expand+s.table); err != nil {
		return 0, fmt.Errorf("expand %d rows into %d reports: %w", len(counts), reports, err)
	}
	if err := s.conn.Exec(ctx, sketch+s.table); err != nil {
		return 0, fmt.Errorf("sketch the reporters of %d rows: %w", len(counts), err)
	}
	if err := s.conn.Exec(ctx, "TRUNCATE TABLE "+s.table); err != nil {
		return 0, fmt.Errorf("empty staging table: %w", err)
	}
	// History written behind the final counts' watermark (a detector
	// that ran before the backfill) is finalised again; what is after it
	// the finalizer reaches in its turn.
	first, last := minutes[0], minutes[0]
	seen := make(map[string]bool)
	var names []string
	for i, m := range minutes {
		first, last = minTime(first, m), maxTime(last, m)
		if !seen[services[i]] {
			seen[services[i]] = true
			names = append(names, services[i])
		}
	}
	if err := Refinalize(ctx, s.conn, first, last.Add(time.Minute), names); err != nil {
		return 0, fmt.Errorf("finalise backfilled minutes again: %w", err)
	}
	return reports, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
