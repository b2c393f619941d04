package api

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/incident"
	"github.com/lapor/lapor/services/shared/spike"
)

// seasons are the history a bucket's baseline reads, by the detector's
// rules: the same time of week over four weeks once two are known, else
// the same time of day over the last week once two days are.
var seasons = func() baseline.Seasons {
	p := spike.DefaultParams()
	return baseline.Seasons{Weeks: 4, MinWeeks: p.MinWeeks, Days: p.Days, MinDays: p.MinDays}
}()

// seriesQuery reads a window and its seasons' history in one pass:
// ARRAY JOIN copies each minute k days forward (k = 0 is the window
// itself; the other k are the seasons' offsets) and buckets the shifted
// time, so the row for (k, bucket) counts the slot that starts k days
// before bucket. Shifting before bucketing keeps the past slots exactly
// whole days apart even for steps that do not divide a day. Every slot is
// then keyed by its own start: a slot seen from two buckets has the same
// counts either way. seriesHistory is how far back, in seconds, it reads.
var seriesQuery, seriesHistory = func() (string, int64) {
	parts := []string{"0"}
	for _, d := range seasons.Offsets() {
		parts = append(parts, strconv.Itoa(d))
	}
	q := `SELECT k, toDateTime(intDiv(toUInt32(minute) + k * ?, ?) * ?) AS bucket,
	uniqExactMerge(reports), uniqExactMerge(reporters)
FROM reports_minute ARRAY JOIN [` + strings.Join(parts, ", ") + `] AS k
WHERE service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)
	AND toUInt32(minute) + k * ? >= ? AND toUInt32(minute) + k * ? < ?
GROUP BY k, bucket`
	return q, int64(slices.Max(seasons.Offsets())) * int64(baseline.Day/time.Second)
}()

// Store runs the web's read queries against ClickHouse.
type Store struct {
	conn driver.Conn
}

// NewStore returns a Store over conn.
func NewStore(conn driver.Conn) *Store { return &Store{conn: conn} }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse: %w", err)
	}
	return nil
}

// Counts are distinct reports and reporters over some span.
type Counts struct {
	Reports   uint64
	Reporters uint64
}

// Breakdown is a count by one dimension (symptom or country).
type Breakdown struct {
	Key string
	Counts
}

// Activity is every service's recent reports.
type Activity struct {
	Totals    map[string]Counts
	Symptoms  map[string][]Breakdown
	Countries map[string][]Breakdown
}

// Activity returns report counts per service since the given time, with
// each service's breakdown by symptom and by country, largest first.
func (s *Store) Activity(ctx context.Context, since time.Time) (Activity, error) {
	a := Activity{Totals: map[string]Counts{}, Symptoms: map[string][]Breakdown{}, Countries: map[string][]Breakdown{}}
	const where = " FROM reports_minute WHERE minute >= toDateTime(?) "
	rows, err := s.conn.Query(ctx, "SELECT service, uniqExactMerge(reports), uniqExactMerge(reporters)"+where+"GROUP BY service", since.Unix())
	if err != nil {
		return a, fmt.Errorf("query recent reports per service: %w", err)
	}
	for rows.Next() {
		var svc string
		var c Counts
		if err := rows.Scan(&svc, &c.Reports, &c.Reporters); err != nil {
			rows.Close()
			return a, fmt.Errorf("scan recent reports per service: %w", err)
		}
		a.Totals[svc] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, fmt.Errorf("read recent reports per service: %w", err)
	}
	for _, dim := range []struct {
		col  string
		dest map[string][]Breakdown
	}{{"symptom", a.Symptoms}, {"country", a.Countries}} {
		q := "SELECT service, " + dim.col + ", uniqExactMerge(reports) AS r, uniqExactMerge(reporters)" + where +
			"GROUP BY service, " + dim.col + " ORDER BY service, r DESC, " + dim.col
		if err := s.breakdown(ctx, q, since, dim.dest); err != nil {
			return a, fmt.Errorf("recent reports by %s: %w", dim.col, err)
		}
	}
	return a, nil
}

func (s *Store) breakdown(ctx context.Context, q string, since time.Time, dest map[string][]Breakdown) error {
	rows, err := s.conn.Query(ctx, q, since.Unix())
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc string
		var b Breakdown
		if err := rows.Scan(&svc, &b.Key, &b.Reports, &b.Reporters); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		dest[svc] = append(dest[svc], b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// Incidents lists incidents as shared/incident.List does.
func (s *Store) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, error) {
	return incident.List(ctx, s.conn, f)
}

// Point is one bucket of a series.
type Point struct {
	T         time.Time
	Reports   uint64
	Reporters uint64
	Baseline  float64
	// BaselineLow and BaselineHigh are the usual range around Baseline
	// (see usualRange).
	BaselineLow, BaselineHigh float64
}

// Series returns a service's reports in buckets of step starting at from
// (which must be aligned to step), every bucket that starts before to, with
// each bucket's baseline. Buckets without reports are zero.
func (s *Store) Series(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]Point, error) {
	first, ok, err := s.firstMinute(ctx, service)
	if err != nil {
		return nil, err
	}
	stepSec := int64(step / time.Second)
	day := int64(baseline.Day / time.Second)
	n := (to.Unix() - from.Unix() + stepSec - 1) / stepSec
	end := from.Unix() + n*stepSec

	rows, err := s.conn.Query(ctx, seriesQuery, day, stepSec, stepSec, service,
		from.Unix()-seriesHistory, to.Unix(), day, from.Unix(), day, end)
	if err != nil {
		return nil, fmt.Errorf("query series of %s: %w", service, err)
	}
	defer rows.Close()
	reports := map[int64]float64{}
	reporters := map[int64]uint64{}
	for rows.Next() {
		var k uint8
		var bucket time.Time
		var c Counts
		if err := rows.Scan(&k, &bucket, &c.Reports, &c.Reporters); err != nil {
			return nil, fmt.Errorf("scan series of %s: %w", service, err)
		}
		slot := bucket.Unix() - int64(k)*day
		reports[slot] = float64(c.Reports)
		reporters[slot] = c.Reporters
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read series of %s: %w", service, err)
	}

	// A past slot counts once it ends after the first report: the slot
	// that holds the first report is history too, not a zero before it.
	firstSlot := first.Add(-step + time.Second)
	points := make([]Point, 0, n)
	for i := int64(0); i < n; i++ {
		t := time.Unix(from.Unix()+i*stepSec, 0).UTC()
		p := Point{T: t, Reports: uint64(reports[t.Unix()]), Reporters: reporters[t.Unix()]}
		if ok {
			p.Baseline, _ = seasons.Usual(reports, t, firstSlot)
			p.BaselineLow, p.BaselineHigh = usualRange(p.Baseline)
		}
		points = append(points, p)
	}
	return points, nil
}

// firstMinute returns the service's first minute with reports; ok is false
// when it has none, so that no past slot is taken for a known zero.
func (s *Store) firstMinute(ctx context.Context, service string) (time.Time, bool, error) {
	var first time.Time
	var n uint64
	row := s.conn.QueryRow(ctx, "SELECT min(minute), count() FROM reports_minute WHERE service = ?", service)
	if err := row.Scan(&first, &n); err != nil {
		return time.Time{}, false, fmt.Errorf("query first report of %s: %w", service, err)
	}
	return first, n > 0, nil
}

// Sparklines returns every service's reports in n buckets of step from
// from (aligned to step), oldest first, in one query. Services without
// reports are absent.
func (s *Store) Sparklines(ctx context.Context, from time.Time, step time.Duration, n int) (map[string][]uint64, error) {
	stepSec := int64(step / time.Second)
	end := from.Unix() + int64(n)*stepSec
	const q = `SELECT service, toUInt32(intDiv(toUInt32(minute) - ?, ?)) AS i, uniqExactMerge(reports)
FROM reports_minute WHERE minute >= toDateTime(?) AND minute < toDateTime(?)
GROUP BY service, i`
	rows, err := s.conn.Query(ctx, q, from.Unix(), stepSec, from.Unix(), end)
	if err != nil {
		return nil, fmt.Errorf("query sparklines: %w", err)
	}
	defer rows.Close()
	out := map[string][]uint64{}
	for rows.Next() {
		var svc string
		var i uint32
		var reports uint64
		if err := rows.Scan(&svc, &i, &reports); err != nil {
			return nil, fmt.Errorf("scan sparklines: %w", err)
		}
		if int(i) >= n {
			continue
		}
		if out[svc] == nil {
			out[svc] = make([]uint64, n)
		}
		out[svc][i] = reports
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sparklines: %w", err)
	}
	return out, nil
}

// Dimension is what a breakdown counts by: a column of reports_minute.
type Dimension string

// The dimensions reports can be broken down by.
const (
	ByCountry Dimension = "country"
	BySymptom Dimension = "symptom"
)

// Breakdown returns a service's reports from from to to by one dimension,
// largest first. The rollup is per minute, so the range is taken to whole
// minutes.
func (s *Store) Breakdown(ctx context.Context, service string, by Dimension, from, to time.Time) ([]Breakdown, error) {
	if by != ByCountry && by != BySymptom {
		return nil, fmt.Errorf("break reports down by %q: not a dimension", by)
	}
	// by is one of the constants above, never user input.
	q := `SELECT ` + string(by) + `, uniqExactMerge(reports) AS r, uniqExactMerge(reporters)
FROM reports_minute WHERE service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)
GROUP BY ` + string(by) + ` ORDER BY r DESC, ` + string(by)
	rows, err := s.conn.Query(ctx, q, service, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("query reports of %s by %s: %w", service, by, err)
	}
	defer rows.Close()
	out := []Breakdown{}
	for rows.Next() {
		var b Breakdown
		if err := rows.Scan(&b.Key, &b.Reports, &b.Reporters); err != nil {
			return nil, fmt.Errorf("scan reports of %s by %s: %w", service, by, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reports of %s by %s: %w", service, by, err)
	}
	return out, nil
}
