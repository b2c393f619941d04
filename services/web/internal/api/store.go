package api

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

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

// Incidents lists incidents as shared/clickhouse.Incidents does.
func (s *Store) Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error) {
	return clickhouse.Incidents(ctx, s.conn, f)
}

// Judged returns each service's latest bucket that the detector judged
// since the given time (package band).
func (s *Store) Judged(ctx context.Context, since time.Time) (map[string]clickhouse.Expectation, error) {
	return clickhouse.LatestExpectations(ctx, s.conn, since)
}

// Point is one bucket of a series.
type Point struct {
	T         time.Time
	Reports   uint64
	Reporters uint64
	// Judged says the detector judged the bucket, or some of it: Expected
	// is then its expected count, for the part of it up to the series' end
	// (a bucket still filling is expected to hold only what its elapsed
	// part should). A bucket partly judged (the detector was down for some
	// of it) is expected at the rate of the part it judged.
	Judged   bool
	Expected float64
	// Possible and Detected are the counts at which the detector's span as
	// long as the bucket, ending with it, reaches each level; NaN where it
	// judges no such span (the step is not one of its spans, or the bucket
	// is not complete yet).
	Possible, Detected float64
}

// Series returns a service's reports in buckets of step starting at from
// (which must be aligned to step), every bucket that starts before to,
// each with what the detector judged it against (package band). Buckets
// without reports are zero.
func (s *Store) Series(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]Point, error) {
	stepSec := int64(step / time.Second)
	n := (to.Unix() - from.Unix() + stepSec - 1) / stepSec
	end := from.Unix() + n*stepSec

	const q = `SELECT toInt64(intDiv(toInt64(toUInt32(minute)) - ?, ?)) AS i, uniqExactMerge(reports), uniqExactMerge(reporters)
FROM reports_minute WHERE service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)
GROUP BY i`
	rows, err := s.conn.Query(ctx, q, from.Unix(), stepSec, service, from.Unix(), end)
	if err != nil {
		return nil, fmt.Errorf("query series of %s: %w", service, err)
	}
	defer rows.Close()
	points := make([]Point, n)
	for i := range points {
		points[i] = Point{T: time.Unix(from.Unix()+int64(i)*stepSec, 0).UTC(), Possible: math.NaN(), Detected: math.NaN()}
	}
	for rows.Next() {
		var i int64
		var c Counts
		if err := rows.Scan(&i, &c.Reports, &c.Reporters); err != nil {
			return nil, fmt.Errorf("scan series of %s: %w", service, err)
		}
		if i >= 0 && i < n {
			points[i].Reports, points[i].Reporters = c.Reports, c.Reporters
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read series of %s: %w", service, err)
	}

	judged, err := clickhouse.ExpectationSeries(ctx, s.conn, service, from, step, int(n))
	if err != nil {
		return nil, err
	}
	for i, b := range judged {
		if b.Judged <= 0 {
			continue
		}
		p := &points[i]
		covered := min(step, to.Sub(p.T))
		p.Judged, p.Expected = true, b.Expected(covered)
		if b.End != nil && covered == step {
			p.Possible, p.Detected = b.End.Possible, b.End.Detected
		}
	}
	return points, nil
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
