package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

// DetectorStore is the detector's ClickHouse: the reads of the rollup and
// of the raw reports that its cycles and its replay judge by, and the
// writes of what they decide (incidents, expectations, the alert_events
// archive). The detector declares the part of it that it uses.
type DetectorStore struct{ conn driver.Conn }

// NewDetectorStore returns the detector's store over conn.
func NewDetectorStore(conn driver.Conn) *DetectorStore { return &DetectorStore{conn: conn} }

// Ping checks that ClickHouse answers.
func (s *DetectorStore) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// SaveIncidents is SaveIncidents over the store's connection.
func (s *DetectorStore) SaveIncidents(ctx context.Context, incs []lapor.Incident) error {
	return SaveIncidents(ctx, s.conn, incs)
}

// Incidents is Incidents over the store's connection.
func (s *DetectorStore) Incidents(ctx context.Context, f IncidentFilter) ([]lapor.Incident, error) {
	return Incidents(ctx, s.conn, f)
}

// FinalizeBefore is FinalizeBefore over the store's connection: the
// detector's leader finalises the minutes whose reports are all written.
func (s *DetectorStore) FinalizeBefore(ctx context.Context, before time.Time) (time.Time, error) {
	return FinalizeBefore(ctx, s.conn, before)
}

// SaveExpectations is SaveExpectations over the store's connection.
func (s *DetectorStore) SaveExpectations(ctx context.Context, rows []Expectation, at time.Time) error {
	return SaveExpectations(ctx, s.conn, rows, at)
}

// TimeRange is the half-open range of minutes [From, To).
type TimeRange struct{ From, To time.Time }

// ReporterQuery selects the rollup minutes that Reporters counts.
type ReporterQuery struct {
	// Bucket is the length of the buckets the minutes are grouped into,
	// a whole number of minutes; buckets start at multiples of it in Unix
	// seconds.
	Bucket time.Duration
	// Services, when not empty, keeps these services' minutes only.
	Services []string
	// Ranges keeps the minutes in any of them; at least one is needed.
	Ranges []TimeRange
}

// bucketExpr groups minutes into buckets of the given length, aligned on
// Unix seconds.
func bucketExpr(bucket time.Duration) string {
	s := int64(bucket / time.Second)
	return fmt.Sprintf("intDiv(toUInt32(minute), %d) * %d", s, s)
}

// Reporters reads the distinct reporters per service and bucket over the
// rollup minutes q selects, in one query, and hands each (service, bucket
// start in Unix seconds, reporters) to row as it is read. Each person
// counts once across a bucket's symptoms and countries, and across its
// minutes: exactly in a one-minute bucket, from the reporters' sketches
// (exact for small counts, see finalRows) in a longer one. Rows are
// streamed rather than returned: a cycle over ten thousand services reads
// hundreds of thousands of them.
func (s *DetectorStore) Reporters(ctx context.Context, q ReporterQuery, row func(service string, bucket int64, reporters uint64)) error {
	if len(q.Ranges) == 0 {
		return fmt.Errorf("read reporters per bucket: no time range")
	}
	var (
		conds []string
		args  []any
	)
	if len(q.Services) > 0 {
		conds = append(conds, "service IN (?"+strings.Repeat(", ?", len(q.Services)-1)+")")
		for _, svc := range q.Services {
			args = append(args, svc)
		}
	}
	const inRange = "minute >= toDateTime(?) AND minute < toDateTime(?)"
	if len(q.Ranges) == 1 {
		conds = append(conds, inRange)
	} else {
		ors := make([]string, len(q.Ranges))
		for i := range ors {
			ors[i] = "(" + inRange + ")"
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	for _, r := range q.Ranges {
		args = append(args, r.From.Unix(), r.To.Unix())
	}
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return err
	}
	sketch := q.Bucket > time.Minute
	src, args := finalRows(grainTotal, strings.Join(conds, " AND "), args, until, sketch)
	sql := "SELECT service, " + bucketExpr(q.Bucket) + " AS b, " + reportersOver(sketch) + " AS n FROM " + src + " GROUP BY service, b"
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("query reporters per bucket: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			service string
			b, n    uint64
		)
		if err := rows.Scan(&service, &b, &n); err != nil {
			return fmt.Errorf("scan reporters per bucket: %w", err)
		}
		row(service, int64(b), n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read reporters per bucket: %w", err)
	}
	return nil
}

// ReportersBefore reads the distinct reporters per service and bucket of
// the whole rollup before the given time, in order of service and then
// bucket, handing each (service, bucket start in Unix seconds, reporters)
// to row as it is read: it is all the history there is, so it is never
// held in memory at once. An error from row stops the read and is
// returned as it is.
func (s *DetectorStore) ReportersBefore(ctx context.Context, bucket time.Duration, before time.Time, row func(service string, bucket int64, reporters uint64) error) error {
	sec := int64(bucket / time.Second)
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return err
	}
	sketch := bucket > time.Minute
	src, args := finalRows(grainTotal, "minute < toDateTime(?)", []any{before.Unix()}, until, sketch)
	q := fmt.Sprintf(`SELECT service, toInt64(intDiv(toUInt32(minute), %d) * %d) AS b, `+reportersOver(sketch)+`
FROM `+src+` GROUP BY service, b ORDER BY service, b`, sec, sec)
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query history to replay: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			service string
			b       int64
			n       uint64
		)
		if err := rows.Scan(&service, &b, &n); err != nil {
			return fmt.Errorf("scan history to replay: %w", err)
		}
		if err := row(service, b, n); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read history to replay: %w", err)
	}
	return nil
}

// HistoryStarts reads each service's first minute in the rollup at or
// after since. It scans everything since then, so callers look back no
// further than they need.
func (s *DetectorStore) HistoryStarts(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	src, args := finalRows(grainTotal, "minute >= toDateTime(?)", []any{since.Unix()}, until, false)
	rows, err := s.conn.Query(ctx, "SELECT service, min(minute) FROM "+src+" GROUP BY service", args...)
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
		out[service] = first
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history start: %w", err)
	}
	return out, nil
}

// SymptomCountryCount is the number of reports of a service with one
// symptom from one country ("" when unknown).
type SymptomCountryCount struct {
	Service, Symptom, Country string
	Reports                   uint64
}

// ReportsBySymptomAndCountry reads, for each service from its own time in
// since on, and before until when until is not zero, its reports by
// symptom and country, in one query for all the services. A report has
// one symptom and one country, so the counts of a service add up to its
// reports.
func (s *DetectorStore) ReportsBySymptomAndCountry(ctx context.Context, since map[string]time.Time, until time.Time) ([]SymptomCountryCount, error) {
	if len(since) == 0 {
		return nil, nil
	}
	where, args := servicesSince("minute", since)
	if !until.IsZero() {
		where += " AND minute < toDateTime(?)"
		args = append(args, until.Unix())
	}
	mark, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	src, args := finalRows(grainDetail, where, args, mark, false)
	q := "SELECT service, sym, ctry, sum(n_reports) AS n FROM " + src + " GROUP BY service, sym, ctry"
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query incident breakdown: %w", err)
	}
	defer rows.Close()
	var out []SymptomCountryCount
	for rows.Next() {
		var c SymptomCountryCount
		if err := rows.Scan(&c.Service, &c.Symptom, &c.Country, &c.Reports); err != nil {
			return nil, fmt.Errorf("scan incident breakdown: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read incident breakdown: %w", err)
	}
	return out, nil
}

// NetworkReporters is a service's distinct reporters over a time: all of
// them, and those of its largest known network.
type NetworkReporters struct{ Total, Largest uint64 }

// ReportersByNetwork reads from the raw reports, in one query for all the
// services, each one's distinct reporters from its own time in since on
// and before to, and those of its largest network. A reporter (a host
// under the day's key) belongs to one network; one seen both before
// networks were stored and after counts in its known network. Reports
// with an empty network belong to none, so Largest is 0 for a service
// known only from those.
func (s *DetectorStore) ReportersByNetwork(ctx context.Context, since map[string]time.Time, to time.Time) (map[string]NetworkReporters, error) {
	if len(since) == 0 {
		return nil, nil
	}
	where, args := servicesSince("ts", since)
	byReporter := "SELECT service, reporter, max(network) AS net FROM reports WHERE " + where +
		" AND ts < toDateTime(?) GROUP BY service, reporter"
	byNetwork := "SELECT service, net, count() AS n FROM (" + byReporter + ") GROUP BY service, net"
	q := "SELECT service, sum(n) AS total, max(if(net = '', toUInt64(0), n)) AS largest FROM (" +
		byNetwork + ") GROUP BY service"
	args = append(args, to.Unix())
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query reporters by network: %w", err)
	}
	defer rows.Close()
	out := make(map[string]NetworkReporters, len(since))
	for rows.Next() {
		var (
			service string
			n       NetworkReporters
		)
		if err := rows.Scan(&service, &n.Total, &n.Largest); err != nil {
			return nil, fmt.Errorf("scan reporters by network: %w", err)
		}
		out[service] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reporters by network: %w", err)
	}
	return out, nil
}

// servicesSince is the WHERE condition, and its arguments, that keeps each
// service's rows from its own time on (column col). The services and the
// earliest time come first, so that a table ordered by service and time is
// read only where they are: a cloud outage touches hundreds of services.
// since must not be empty.
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

// IncidentVersions returns the newest stored version of each of the
// incidents that has one.
func (s *DetectorStore) IncidentVersions(ctx context.Context, ids []string) (map[string]uint64, error) {
	rows, err := s.conn.Query(ctx, "SELECT id, max(version) FROM incidents WHERE has(?, id) GROUP BY id", ids)
	if err != nil {
		return nil, fmt.Errorf("query stored incident versions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]uint64, len(ids))
	for rows.Next() {
		var id string
		var v uint64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("scan stored incident version: %w", err)
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stored incident versions: %w", err)
	}
	return out, nil
}
