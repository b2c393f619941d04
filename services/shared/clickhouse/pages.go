package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

// PageStore is the web's ClickHouse: the reads of the rollup, the
// incidents and the expectations that its pages and API answer from, and
// the reports' comments with the operator's hiding of them (comments.go).
// The web's api package declares the part of it that it uses; caching,
// the shapes of its answers and what it derives from these rows stay
// there.
type PageStore struct{ conn driver.Conn }

// NewPageStore returns the web's page store over conn.
func NewPageStore(conn driver.Conn) *PageStore { return &PageStore{conn: conn} }

// Ping checks that ClickHouse answers.
func (s *PageStore) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse: %w", err)
	}
	return nil
}

// Incidents is Incidents over the store's connection.
func (s *PageStore) Incidents(ctx context.Context, f IncidentFilter) ([]lapor.Incident, error) {
	return Incidents(ctx, s.conn, f)
}

// LatestExpectations is LatestExpectations over the store's connection.
func (s *PageStore) LatestExpectations(ctx context.Context, since time.Time) (map[string]Expectation, error) {
	return LatestExpectations(ctx, s.conn, since)
}

// ExpectationSeries is ExpectationSeries over the store's connection.
func (s *PageStore) ExpectationSeries(ctx context.Context, service string, from time.Time, step time.Duration, n int) ([]ExpectationBucket, error) {
	return ExpectationSeries(ctx, s.conn, service, from, step, n)
}

// ReportCounts are distinct reports and reporters over some span.
type ReportCounts struct {
	Reports   uint64
	Reporters uint64
}

// ReportBreakdown is a count by one dimension (symptom or country).
type ReportBreakdown struct {
	Key string
	ReportCounts
}

// Activity is every service's recent reports.
type Activity struct {
	Totals    map[string]ReportCounts
	Symptoms  map[string][]ReportBreakdown
	Countries map[string][]ReportBreakdown
}

// Activity returns report counts per service since the given time, with
// each service's breakdown by symptom and by country, largest first.
// Reporters are distinct over the span (see finalRows).
func (s *PageStore) Activity(ctx context.Context, since time.Time) (Activity, error) {
	a := Activity{Totals: map[string]ReportCounts{}, Symptoms: map[string][]ReportBreakdown{}, Countries: map[string][]ReportBreakdown{}}
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return a, err
	}
	const cond = "minute >= toDateTime(?)"
	from, args := finalRows(grainTotal, cond, []any{since.Unix()}, until, true)
	rows, err := s.conn.Query(ctx, "SELECT service, sum(n_reports), "+reportersOver(true)+" FROM "+from+" GROUP BY service", args...)
	if err != nil {
		return a, fmt.Errorf("query recent reports per service: %w", err)
	}
	for rows.Next() {
		var svc string
		var c ReportCounts
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
		name, col string
		g         grain
		dest      map[string][]ReportBreakdown
	}{{"symptom", "sym", grainSymptom, a.Symptoms}, {"country", "ctry", grainCountry, a.Countries}} {
		from, args := finalRows(dim.g, cond, []any{since.Unix()}, until, true)
		q := "SELECT service, " + dim.col + ", sum(n_reports) AS r, " + reportersOver(true) + " FROM " + from +
			" GROUP BY service, " + dim.col + " ORDER BY service, r DESC, " + dim.col
		if err := s.breakdown(ctx, q, args, dim.dest); err != nil {
			return a, fmt.Errorf("recent reports by %s: %w", dim.name, err)
		}
	}
	return a, nil
}

func (s *PageStore) breakdown(ctx context.Context, q string, args []any, dest map[string][]ReportBreakdown) error {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc string
		var b ReportBreakdown
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

// ReportSeries returns a service's reports in n buckets of step starting
// at from (which must be aligned to step), oldest first. Buckets without
// reports are zero. Reporters are distinct in each bucket: exact in a
// minute's, from the sketches in longer ones (see finalRows).
func (s *PageStore) ReportSeries(ctx context.Context, service string, from time.Time, step time.Duration, n int) ([]ReportCounts, error) {
	stepSec := int64(step / time.Second)
	end := from.Unix() + int64(n)*stepSec
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	sketch := step > time.Minute
	src, args := finalRows(grainTotal, "service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)",
		[]any{service, from.Unix(), end}, until, sketch)
	q := `SELECT toInt64(intDiv(toInt64(toUInt32(minute)) - ?, ?)) AS i, sum(n_reports), ` + reportersOver(sketch) + `
FROM ` + src + ` GROUP BY i`
	rows, err := s.conn.Query(ctx, q, append([]any{from.Unix(), stepSec}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("query series of %s: %w", service, err)
	}
	defer rows.Close()
	out := make([]ReportCounts, n)
	for rows.Next() {
		var i int64
		var c ReportCounts
		if err := rows.Scan(&i, &c.Reports, &c.Reporters); err != nil {
			return nil, fmt.Errorf("scan series of %s: %w", service, err)
		}
		if i >= 0 && i < int64(n) {
			out[i] = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read series of %s: %w", service, err)
	}
	return out, nil
}

// Sparklines returns every service's reports in n buckets of step from
// from (aligned to step), oldest first, in one query. Services without
// reports are absent.
func (s *PageStore) Sparklines(ctx context.Context, from time.Time, step time.Duration, n int) (map[string][]uint64, error) {
	stepSec := int64(step / time.Second)
	end := from.Unix() + int64(n)*stepSec
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	src, args := finalRows(grainTotal, "minute >= toDateTime(?) AND minute < toDateTime(?)", []any{from.Unix(), end}, until, false)
	q := `SELECT service, toUInt32(intDiv(toUInt32(minute) - ?, ?)) AS i, sum(n_reports)
FROM ` + src + ` GROUP BY service, i`
	rows, err := s.conn.Query(ctx, q, append([]any{from.Unix(), stepSec}, args...)...)
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
// minutes. Reporters are distinct over the range (see finalRows).
func (s *PageStore) Breakdown(ctx context.Context, service string, by Dimension, from, to time.Time) ([]ReportBreakdown, error) {
	if by != ByCountry && by != BySymptom {
		return nil, fmt.Errorf("break reports down by %q: not a dimension", by)
	}
	g, col := grainSymptom, "sym"
	if by == ByCountry {
		g, col = grainCountry, "ctry"
	}
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	src, args := finalRows(g, "service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)",
		[]any{service, from.Unix(), to.Unix()}, until, true)
	q := `SELECT ` + col + `, sum(n_reports) AS r, ` + reportersOver(true) + ` FROM ` + src + `
GROUP BY ` + col + ` ORDER BY r DESC, ` + col
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query reports of %s by %s: %w", service, by, err)
	}
	defer rows.Close()
	out := []ReportBreakdown{}
	for rows.Next() {
		var b ReportBreakdown
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

// Recent returns a service's reports and reporters (distinct over the
// span, see finalRows) since from, in all and (when country is not
// empty) from that country alone.
func (s *PageStore) Recent(ctx context.Context, service, country string, from time.Time) (all, inCountry ReportCounts, err error) {
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return all, inCountry, err
	}
	const cond = "service = ? AND minute >= toDateTime(?)"
	src, args := finalRows(grainTotal, cond, []any{service, from.Unix()}, until, true)
	if err := s.conn.QueryRow(ctx, "SELECT sum(n_reports), "+reportersOver(true)+" FROM "+src, args...).Scan(&all.Reports, &all.Reporters); err != nil {
		return all, inCountry, fmt.Errorf("query recent reports of %s: %w", service, err)
	}
	if country == "" {
		return all, inCountry, nil
	}
	src, args = finalRows(grainCountry, cond+" AND country = ?", []any{service, from.Unix(), country}, until, true)
	if err := s.conn.QueryRow(ctx, "SELECT sum(n_reports), "+reportersOver(true)+" FROM "+src, args...).Scan(&inCountry.Reports, &inCountry.Reporters); err != nil {
		return all, inCountry, fmt.Errorf("query recent reports of %s from %s: %w", service, country, err)
	}
	return all, inCountry, nil
}

// MaxCountryDays is the most past days CountryWindows reads.
const MaxCountryDays = 255

// CountryWindow is one country's reports in the window DaysBack days
// before the one asked for (0 is the window itself).
type CountryWindow struct {
	DaysBack int
	Country  string
	ReportCounts
}

// countryWindowsQuery reads a service's window by country together with
// the same window on each of the past days, in one pass: ARRAY JOIN copies
// each minute k days forward (k = 0 is the window itself) and keeps the
// copies that land in the window, so the row for (k, country) counts that
// country's reports in the window k days before. Windows longer than a
// day overlap their neighbours; the copies keep each whole.
func countryWindowsQuery(days int, src string) string {
	ks := make([]string, 0, days+1)
	for d := 0; d <= days; d++ {
		ks = append(ks, strconv.Itoa(d))
	}
	return `SELECT k, ctry, sum(n_reports), ` + reportersOver(true) + `
FROM ` + src + ` ARRAY JOIN [` + strings.Join(ks, ", ") + `] AS k
WHERE toUInt32(minute) + k * ? >= ? AND toUInt32(minute) + k * ? < ?
GROUP BY k, ctry`
}

// CountryWindows returns a service's reports by country in [from, to)
// (whole minutes) and in the same window on each of the days (0 to
// MaxCountryDays) before it. Only windows and countries with reports are
// listed, in no particular order.
func (s *PageStore) CountryWindows(ctx context.Context, service string, from, to time.Time, days int) ([]CountryWindow, error) {
	if days < 0 || days > MaxCountryDays {
		return nil, fmt.Errorf("read reports of %s by country: %d past days is not in [0, %d]", service, days, MaxCountryDays)
	}
	day := int64(24 * time.Hour / time.Second)
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	src, args := finalRows(grainCountry, "service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)",
		[]any{service, from.Unix() - int64(days)*day, to.Unix()}, until, true)
	rows, err := s.conn.Query(ctx, countryWindowsQuery(days, src), append(args, day, from.Unix(), day, to.Unix())...)
	if err != nil {
		return nil, fmt.Errorf("query reports of %s by country: %w", service, err)
	}
	defer rows.Close()
	var out []CountryWindow
	for rows.Next() {
		var k uint8
		var w CountryWindow
		if err := rows.Scan(&k, &w.Country, &w.Reports, &w.Reporters); err != nil {
			return nil, fmt.Errorf("scan reports of %s by country: %w", service, err)
		}
		w.DaysBack = int(k)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reports of %s by country: %w", service, err)
	}
	return out, nil
}

// HistoryStart returns the service's first minute with reports; known is
// false when it has none.
func (s *PageStore) HistoryStart(ctx context.Context, service string) (first time.Time, known bool, err error) {
	var n uint64
	until, err := FinalUntil(ctx, s.conn)
	if err != nil {
		return time.Time{}, false, err
	}
	src, args := finalRows(grainTotal, "service = ?", []any{service}, until, false)
	row := s.conn.QueryRow(ctx, "SELECT min(minute), count() FROM "+src, args...)
	if err := row.Scan(&first, &n); err != nil {
		return time.Time{}, false, fmt.Errorf("query first report of %s: %w", service, err)
	}
	return first, n > 0, nil
}
