package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Final counts.
//
// reports_minute keeps exact-distinct states of report ids and reporters,
// which is what makes a retried batch harmless, but merging them costs in
// proportion to the reports they hold, which an outage multiplies. So each closed minute's counts are
// finalised once into reports_minute_final, plain numbers by service and
// minute at four grains (the whole minute, by symptom, by country, by
// both), and reports_minute_final_mark records the watermark: every minute
// before it is final. Every read of the counts (PageStore, DetectorStore)
// takes the minutes before the watermark from the final table and only
// the open ones after it from the states (finalRows), so a read costs in
// proportion to its buckets plus the open tail, whatever an outage's
// volume.
//
// Who finalises: the detector's leader, after each cycle, up to the
// settle time before now and never past the oldest report still waiting
// in the report streams (redis.OldestUnwritten), so a minute is final only
// once every report of it is in ClickHouse. Writers that bypass the
// streams and write behind the watermark re-finalise what they wrote:
// BackfillStage does; an import must call Refinalize. Until the detector
// has run, nothing is final and every read is exact from the states.
//
// Reporters are distinct over whatever span a read counts. A minute's
// are exact: a row's plain reporters, from the rollup's states. Over a
// longer span (a series' bucket, the last hour, a breakdown) a person who
// reported in several of its minutes must still count once, and plain
// numbers cannot say so; merging the rollup's exact states could, at a
// cost that grows with the reporters. So each final row also keeps a
// sketch of its reporters, a uniqCombined state made from the raw
// reports (exact for small sets, a fixed-size HyperLogLog for large
// ones, within about 1%), and such reads merge the final rows' sketches
// with sketches made from the raw reports of the open minutes alone.
// Both sides of the watermark make the same states, and uniqCombined's
// result does not depend on how a set is split before merging, so a
// number does not change when its minutes become final. A backfill's
// synthetic reporters have no raw reports: it writes their sketches to
// reports_minute_sketch, which both sides add to the raw reports'.

// Grains of reports_minute_final: what one row counts.
type grain uint8

const (
	grainTotal   grain = 0 // a service's minute
	grainSymptom grain = 1 // a service's minute, one symptom
	grainCountry grain = 2 // a service's minute, one country
	grainDetail  grain = 3 // a service's minute, one symptom from one country
)

var grains = []grain{grainTotal, grainSymptom, grainCountry, grainDetail}

// keys are the rollup's columns a grain groups by, as the final table's
// symptom and country: a column, or an empty string where the grain does
// not split.
func (g grain) keys() (symptom, country string) {
	symptom, country = "''", "''"
	if g == grainSymptom || g == grainDetail {
		symptom = "symptom"
	}
	if g == grainCountry || g == grainDetail {
		country = "country"
	}
	return symptom, country
}

// finalizeChunk is the most minutes one INSERT … SELECT finalises: a
// first run over weeks of history goes a chunk at a time, recording the
// watermark after each, so a run cut short keeps what it did.
const finalizeChunk = 6 * time.Hour

// FinalUntil reads the watermark: every minute before it is final. It
// is the zero Unix time when nothing is.
func FinalUntil(ctx context.Context, conn driver.Conn) (time.Time, error) {
	var t time.Time
	if err := conn.QueryRow(ctx, "SELECT max(upto) FROM reports_minute_final_mark").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read the final counts' watermark: %w", err)
	}
	if t.Unix() < 0 { // an empty table's max, as some drivers read it
		t = time.Unix(0, 0)
	}
	return t.UTC(), nil
}

// FinalizeBefore finalises every minute before before (taken down to
// the minute) that is not final yet, and moves the watermark there. The
// caller promises that every report of those minutes is written. It goes
// a chunk at a time from the watermark (or, the first time, from the
// rollup's first minute), recording the watermark after each chunk, and
// returns the watermark it leaves, also when ctx ends part way.
func FinalizeBefore(ctx context.Context, conn driver.Conn, before time.Time) (time.Time, error) {
	upto := before.UTC().Truncate(time.Minute)
	from, err := FinalUntil(ctx, conn)
	if err != nil {
		return time.Time{}, err
	}
	if !upto.After(from) {
		return from, nil
	}
	if from.Unix() <= 0 {
		// Nothing final yet: start at the first minute there is.
		var first time.Time
		var n uint64
		q := "SELECT min(minute), count() FROM reports_minute WHERE minute < toDateTime(?)"
		if err := conn.QueryRow(ctx, q, upto.Unix()).Scan(&first, &n); err != nil {
			return from, fmt.Errorf("read the rollup's first minute: %w", err)
		}
		from = upto
		if n > 0 {
			from = first.UTC()
		}
	}
	if !from.Before(upto) { // nothing to finalise: the watermark moves alone
		if err := markFinal(ctx, conn, upto); err != nil {
			return time.Time{}, err
		}
	}
	for from.Before(upto) {
		to := from.Add(finalizeChunk)
		if to.After(upto) {
			to = upto
		}
		if err := finalize(ctx, conn, from, to, nil); err != nil {
			return from, err
		}
		if err := markFinal(ctx, conn, to); err != nil {
			return from, err
		}
		from = to
	}
	return upto, nil
}

// Refinalize finalises again the minutes in [from, to) that are before
// the watermark, of the given services (all when none): what a writer
// that bypassed the report streams (a backfill, an import) calls after
// writing reports behind it. Minutes after the watermark are left to the
// finalizer.
func Refinalize(ctx context.Context, conn driver.Conn, from, to time.Time, services []string) error {
	until, err := FinalUntil(ctx, conn)
	if err != nil {
		return err
	}
	from = from.UTC().Truncate(time.Minute)
	if to.After(until) {
		to = until
	}
	if !from.Before(to) {
		return nil
	}
	return finalize(ctx, conn, from, to, services)
}

// markFinal records that every minute before t is final.
func markFinal(ctx context.Context, conn driver.Conn, t time.Time) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO reports_minute_final_mark (k, upto)")
	if err != nil {
		return fmt.Errorf("record final counts before %s: %w", t.Format(time.RFC3339), err)
	}
	if err := b.Append(uint8(0), t); err != nil {
		_ = b.Abort()
		return fmt.Errorf("record final counts before %s: %w", t.Format(time.RFC3339), err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record final counts before %s: %w", t.Format(time.RFC3339), err)
	}
	return nil
}

// finalize writes the final rows of the minutes in [from, to), of the
// given services (all when none), at every grain: reports and each
// minute's reporters from the rollup's exact-distinct states, and the
// reporters' sketch from the raw reports and a backfill's sketches
// (rawSketch), a union the statement groups once more. A row written before for the same minute is
// replaced (a higher version). The statements take no bound arguments:
// INSERT with arguments hangs on ClickHouse 18.16.
func finalize(ctx context.Context, conn driver.Conn, from, to time.Time, services []string) error {
	where := fmt.Sprintf("minute >= toDateTime(%d) AND minute < toDateTime(%d)", from.Unix(), to.Unix())
	if len(services) > 0 {
		quoted := make([]string, len(services))
		for i, s := range services {
			quoted[i] = quoteString(s)
		}
		where += " AND service IN (" + strings.Join(quoted, ", ") + ")"
	}
	// The raw table is ordered by ts, not minute: bound ts as well so
	// that its index applies whatever the server makes of the alias.
	tsWhere := fmt.Sprintf("ts >= toDateTime(%d) AND ts < toDateTime(%d)", from.Unix(), to.Unix())
	version := strconv.FormatUint(uint64(time.Now().UnixNano()), 10)
	for _, g := range grains {
		symptom, country := g.keys()
		group := g.group()
		q := "INSERT INTO reports_minute_final (grain, service, minute, symptom, country, reports, reporters, reporters_state, version)\n" +
			"SELECT " + strconv.Itoa(int(g)) + ", service, minute, sym, ctry, sum(n_reports), sum(n_reporters), uniqCombinedMergeState(s_reporters), toUInt64(" + version + ")\n" +
			"FROM (SELECT service, minute, " + symptom + " AS sym, " + country + " AS ctry," +
			" uniqExactMerge(reports) AS n_reports, uniqExactMerge(reporters) AS n_reporters, " + noSketch + " AS s_reporters" +
			" FROM reports_minute WHERE " + where + " GROUP BY " + group +
			"\nUNION ALL " + rawSketch(g, tsWhere, "1", where) + ")\n" +
			"GROUP BY service, minute, sym, ctry"
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("finalise minutes %s to %s at grain %d: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), g, err)
		}
	}
	return nil
}

// group is the GROUP BY of a grain's rows: the service, the minute and
// the columns the grain splits by.
func (g grain) group() string {
	symptom, country := g.keys()
	group := "service, minute"
	for _, k := range []string{symptom, country} {
		if k != "''" {
			group += ", " + k
		}
	}
	return group
}

// noSketch is an empty reporters' sketch, for the rows of a union that
// bring numbers and no reporters to it: -If with a false condition makes
// a state of nothing, of the same type as uniqCombinedState(reporter).
const noSketch = "uniqCombinedStateIf('', 0)"

// rawSketch is a subquery of the reporters' sketches at grain g per
// minute, in finalRows' columns, with no reports and no per-minute
// reporters (the rollup's rows bring those): from the raw reports that
// tsCond (on ts) and cond keep, and from reports_minute_sketch (a
// backfill's reporters, which have no raw reports) where minuteCond (on
// minute) and cond keep. cond is on service, minute, symptom and country;
// in the raw reports minute is the alias of toStartOfMinute(ts). A report
// written twice (a retried batch, before merges fold it) is harmless to a
// distinct count.
func rawSketch(g grain, tsCond, minuteCond, cond string) string {
	symptom, country := g.keys()
	cols := "toUInt64(0) AS n_reports, toUInt64(0) AS n_reporters, "
	return "SELECT service, toStartOfMinute(ts) AS minute, " + symptom + " AS sym, " + country + " AS ctry, " + cols +
		"uniqCombinedState(reporter) AS s_reporters FROM reports WHERE " + tsCond + " AND (" + cond + ") GROUP BY " + g.group() +
		" UNION ALL SELECT service, minute, " + symptom + " AS sym, " + country + " AS ctry, " + cols +
		"uniqCombinedMergeState(reporters) AS s_reporters FROM reports_minute_sketch WHERE " + minuteCond + " AND (" + cond + ") GROUP BY " + g.group()
}

// reportersOver is the expression of the reporters over a group of
// finalRows' rows: with the sketch, distinct over all of them (an
// estimate for large counts); without it, the sum of the rows', which is
// distinct (and exact) only when the rows are one minute's.
func reportersOver(sketch bool) string {
	if sketch {
		return "uniqCombinedMerge(s_reporters)"
	}
	return "sum(n_reporters)"
}

// finalRows is a subquery of a service's counts per minute at grain g,
// over the minutes that cond (on service, minute, symptom and country)
// keeps, with its arguments: the final table's rows before the
// watermark until, and the open minutes' from the rollup's states after
// it. Its columns are service, minute, sym, ctry (empty where the
// grain does not split), n_reports and n_reporters (distinct in the
// minute) and, with sketch, s_reporters: the reporters' sketch, from the
// final rows and, for the open minutes, from the raw reports and a
// backfill's sketches (rawSketch). Those rows come apart from the rollup's (with zero counts, which in turn
// have empty sketches), so a read sums n_reports and merges s_reporters
// (reportersOver) over whatever rows it groups. Both sides of the
// watermark make the same uniqCombined states, so a number does not
// change when its minutes become final. Its own names differ from the
// tables' so that cond never sees them.
func finalRows(g grain, cond string, args []any, until time.Time, sketch bool) (string, []any) {
	symptom, country := g.keys()
	finalSketch, openSketch := "", ""
	if sketch {
		finalSketch = ", reporters_state AS s_reporters"
		openSketch = ", " + noSketch + " AS s_reporters"
	}
	q := "(SELECT service, minute, symptom AS sym, country AS ctry, reports AS n_reports, reporters AS n_reporters" + finalSketch +
		" FROM reports_minute_final FINAL WHERE grain = " + strconv.Itoa(int(g)) + " AND minute < toDateTime(?) AND (" + cond + ")" +
		" UNION ALL SELECT service, minute, " + symptom + " AS sym, " + country + " AS ctry," +
		" uniqExactMerge(reports) AS n_reports, uniqExactMerge(reporters) AS n_reporters" + openSketch +
		" FROM reports_minute WHERE minute >= toDateTime(?) AND (" + cond + ") GROUP BY " + g.group()
	parts := 2
	if sketch {
		q += " UNION ALL " + rawSketch(g, "ts >= toDateTime(?)", "minute >= toDateTime(?)", cond)
		parts = 4
	}
	q += ")"
	// Each part takes the watermark and then cond's arguments.
	out := make([]any, 0, parts*(len(args)+1))
	for range parts {
		out = append(out, until.Unix())
		out = append(out, args...)
	}
	return q, out
}
