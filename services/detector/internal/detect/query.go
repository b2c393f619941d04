package detect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// pair is a service's distinct reporters in the previous (full) bucket
// and the current (partial) one.
type pair struct{ prev, cur uint64 }

// bucketExpr groups minutes into buckets the way bucketStart does in Go.
func (d *Detector) bucketExpr() string {
	s := int64(d.cfg.Bucket / time.Second)
	return fmt.Sprintf("intDiv(toUInt32(minute), %d) * %d", s, s)
}

// recent reads distinct reporters per service for the previous and the
// current bucket, for every service, in one query. Merging the reporter
// states across a service's symptom and country rows counts each person
// once.
func (d *Detector) recent(ctx context.Context, prev, cur time.Time) (map[string]pair, error) {
	out := make(map[string]pair)
	err := d.reporters(ctx, "recent reporters", "minute >= toDateTime(?) AND minute < toDateTime(?)",
		[]any{prev.Unix(), cur.Add(d.cfg.Bucket).Unix()}, func(service string, b int64, n uint64) {
			p := out[service]
			if b == cur.Unix() {
				p.cur = n
			} else {
				p.prev = n
			}
			out[service] = p
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reporters runs one query for distinct reporters per service and bucket
// over the rollup minutes that match where, handing each row to row.
func (d *Detector) reporters(ctx context.Context, what, where string, args []any, row func(service string, bucket int64, n uint64)) error {
	q := "SELECT service, " + d.bucketExpr() + " AS b, uniqExactMerge(reporters) AS n" +
		" FROM reports_minute WHERE " + where + " GROUP BY service, b"
	rows, err := d.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			service string
			b, n    uint64
		)
		if err := rows.Scan(&service, &b, &n); err != nil {
			return fmt.Errorf("scan %s: %w", what, err)
		}
		row(service, int64(b), n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// history reads distinct reporters per service around the previous and
// the current bucket's slots in each of the past days and weeks the
// baseline looks at (the slot and SlotHalfWidth buckets either side), in
// one query: the counts by bucket start (Unix seconds).
func (d *Detector) history(ctx context.Context, prev, cur time.Time) (map[string]map[int64]float64, error) {
	var (
		ors  []string
		args []any
	)
	half := time.Duration(d.cfg.Params.SlotHalfWidth) * d.cfg.Bucket
	for _, shift := range d.slotShifts() {
		ors = append(ors, "(minute >= toDateTime(?) AND minute < toDateTime(?))")
		args = append(args, prev.Add(-shift-half).Unix(), cur.Add(d.cfg.Bucket-shift+half).Unix())
	}
	out := make(map[string]map[int64]float64)
	err := d.reporters(ctx, "reporter history", strings.Join(ors, " OR "), args, func(service string, b int64, n uint64) {
		m := out[service]
		if m == nil {
			m = make(map[int64]float64, 4*(d.cfg.Weeks+d.cfg.Params.Days))
			out[service] = m
		}
		m[b] = float64(n)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// firstSeen reads when each service's history starts, looking back no
// further than the oldest slot a baseline uses: older history changes
// nothing. It is a scan of weeks of rollups, so the detector runs it
// rarely and keeps the answer.
func (d *Detector) firstSeen(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	rows, err := d.conn.Query(ctx, "SELECT service, min(minute) FROM reports_minute WHERE minute >= toDateTime(?) GROUP BY service", since.Unix())
	if err != nil {
		return nil, fmt.Errorf("query history start: %w", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time)
	for rows.Next() {
		var (
			service string
			first   time.Time
		)
		if err := rows.Scan(&service, &first); err != nil {
			return nil, fmt.Errorf("scan history start: %w", err)
		}
		out[service] = d.bucketStart(first)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history start: %w", err)
	}
	return out, nil
}

// breakdown is what an incident's reports are about.
type breakdown struct {
	symptoms  []string
	shares    []float64
	countries []string
}

// topN is how many symptoms and countries an incident lists.
const topN = 3

// breakdowns reads, for each service since its incident's start, reports
// by symptom and by country, in one query for all the given incidents.
// A report has one symptom and one country, so the per-pair counts add up.
func (d *Detector) breakdowns(ctx context.Context, since map[string]time.Time) (map[string]breakdown, error) {
	return breakdowns(ctx, d.conn, since, time.Time{})
}

// breakdowns is Detector.breakdowns over conn, up to until when it is not
// zero (an incident that ended).
func breakdowns(ctx context.Context, conn driver.Conn, since map[string]time.Time, until time.Time) (map[string]breakdown, error) {
	if len(since) == 0 {
		return nil, nil
	}
	where, args := servicesSince("minute", since)
	if !until.IsZero() {
		where += " AND minute < toDateTime(?)"
		args = append(args, until.Unix())
	}
	q := "SELECT service, symptom, country, uniqExactMerge(reports) AS n FROM reports_minute WHERE " +
		where + " GROUP BY service, symptom, country"
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query incident breakdown: %w", err)
	}
	defer rows.Close()
	type tally struct {
		total     uint64
		symptoms  map[string]uint64
		countries map[string]uint64
	}
	tallies := make(map[string]*tally)
	for rows.Next() {
		var (
			service, symptom, country string
			n                         uint64
		)
		if err := rows.Scan(&service, &symptom, &country, &n); err != nil {
			return nil, fmt.Errorf("scan incident breakdown: %w", err)
		}
		t := tallies[service]
		if t == nil {
			t = &tally{symptoms: map[string]uint64{}, countries: map[string]uint64{}}
			tallies[service] = t
		}
		t.total += n
		t.symptoms[symptom] += n
		if country != "" { // unknown location says nothing about where
			t.countries[country] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read incident breakdown: %w", err)
	}
	out := make(map[string]breakdown, len(tallies))
	for s, t := range tallies {
		var b breakdown
		b.symptoms = top(t.symptoms, topN)
		for _, sym := range b.symptoms {
			b.shares = append(b.shares, float64(t.symptoms[sym])/float64(t.total))
		}
		b.countries = top(t.countries, topN)
		out[s] = b
	}
	return out, nil
}

// top returns the n keys with the highest counts, ties by name.
func top(m map[string]uint64, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// servicesSince is the WHERE condition, and its arguments, that keeps each
// service's rows from its own time on (column col). The services and the
// earliest time come first, so that a table ordered by service and time is
// read only where they are: a cloud outage touches hundreds of services.
func servicesSince(col string, since map[string]time.Time) (string, []any) {
	var (
		services, ors []any
		conds         []string
		first         time.Time
	)
	for s, t := range since {
		conds = append(conds, "(service = ? AND "+col+" >= toDateTime(?))")
		ors = append(ors, s, t.Unix())
		services = append(services, s)
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	where := "service IN (?" + strings.Repeat(", ?", len(services)-1) + ") AND " + col +
		" >= toDateTime(?) AND (" + strings.Join(conds, " OR ") + ")"
	return where, append(append(services, first.Unix()), ors...)
}
