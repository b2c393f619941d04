package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/spike"
)

// Expectation is the detector's judgement of one service's bucket.
type Expectation struct {
	Service  string
	Bucket   time.Time     // start of the detector's bucket
	Length   time.Duration // the detector's bucket length
	Expected float64       // expected reporters in the bucket
	Spans    []spike.Judgement
}

// Span returns the judgement of the span of n buckets, if the row has one.
func (r Expectation) Span(n int) (spike.Judgement, bool) {
	for _, j := range r.Spans {
		if j.Span == n {
			return j, true
		}
	}
	return spike.Judgement{}, false
}

const expectationColumns = "service, bucket, bucket_seconds, expected, spans, counts, span_expected, possible, detected, written_at"

// SaveExpectations writes rows, stamped with at: a bucket written again replaces the
// older row.
func SaveExpectations(ctx context.Context, conn driver.Conn, rows []Expectation, at time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO expectations ("+expectationColumns+")")
	if err != nil {
		return fmt.Errorf("prepare expectations batch: %w", err)
	}
	for _, r := range rows {
		spans := make([]uint16, len(r.Spans))
		counts := make([]float64, len(r.Spans))
		exp := make([]float64, len(r.Spans))
		poss := make([]float64, len(r.Spans))
		det := make([]float64, len(r.Spans))
		for i, j := range r.Spans {
			spans[i], counts[i], exp[i], poss[i], det[i] = uint16(j.Span), j.Count, j.Expected, j.Possible, j.Detected
		}
		if err := batch.Append(r.Service, r.Bucket.UTC(), uint32(r.Length/time.Second), r.Expected,
			spans, counts, exp, poss, det, at.UTC()); err != nil {
			batch.Abort()
			return fmt.Errorf("append expectation of %s at %s: %w", r.Service, r.Bucket.UTC().Format(time.RFC3339), err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert batch of %d expectations: %w", len(rows), err)
	}
	return nil
}

// newest picks each bucket's latest written row. argMax rather than FINAL:
// FINAL would merge the whole table's parts on every read.
const newest = `argMax(bucket_seconds, written_at) AS secs, argMax(expected, written_at) AS e,
	argMax(spans, written_at), argMax(counts, written_at), argMax(span_expected, written_at),
	argMax(possible, written_at), argMax(detected, written_at)`

func scanExpectation(rows driver.Rows, r *Expectation) error {
	var (
		secs                      uint32
		spans                     []uint16
		counts, exp, poss, detect []float64
	)
	if err := rows.Scan(&r.Service, &r.Bucket, &secs, &r.Expected, &spans, &counts, &exp, &poss, &detect); err != nil {
		return err
	}
	r.Bucket = r.Bucket.UTC()
	r.Length = time.Duration(secs) * time.Second
	r.Spans = make([]spike.Judgement, 0, len(spans))
	for i, w := range spans {
		if i >= len(counts) || i >= len(exp) || i >= len(poss) || i >= len(detect) {
			break // a row cut short is read as far as it is whole
		}
		r.Spans = append(r.Spans, spike.Judgement{Span: int(w), Count: counts[i], Expected: exp[i], Possible: poss[i], Detected: detect[i]})
	}
	return nil
}

// ExpectationBucket is the detector's judgement summed over one bucket of a chart.
type ExpectationBucket struct {
	// Judged is how much of the chart bucket the detector judged; zero
	// when it judged none of it.
	Judged time.Duration
	// Rate is the expected reporters per second over what was judged.
	Rate float64
	// End is the judgement of the span that ends with the chart bucket
	// and is as long as it, when the detector judges such a span (a chart
	// step of 1, 5, 15 or 60 detector buckets): its Possible and Detected
	// are what the chart bucket's count was held against.
	End *spike.Judgement
}

// Expected is the expected count over d of the bucket, at its judged rate.
func (b ExpectationBucket) Expected(d time.Duration) float64 { return b.Rate * d.Seconds() }

// ExpectationSeries returns, for a service, the judgement of n chart buckets of step
// from from (aligned to step), oldest first.
func ExpectationSeries(ctx context.Context, conn driver.Conn, service string, from time.Time, step time.Duration, n int) ([]ExpectationBucket, error) {
	out := make([]ExpectationBucket, n)
	stepSec := int64(step / time.Second)
	start, end := from.Unix(), from.Unix()+int64(n)*stepSec
	// Each minute's expectation is summed here, in time order: a float sum
	// in ClickHouse depends on the order its threads meet the rows, and a
	// stable link must read the same numbers twice.
	const sums = `SELECT toInt64(intDiv(toInt64(toUInt32(bucket)) - ?, ?)) AS i, e, secs FROM (
	SELECT bucket, ` + newest + ` FROM expectations
	WHERE service = ? AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
	GROUP BY bucket)
ORDER BY bucket`
	rows, err := conn.Query(ctx, sums, start, stepSec, service, start, end)
	if err != nil {
		return nil, fmt.Errorf("query expected counts of %s: %w", service, err)
	}
	sum := make([]float64, n)
	judged := make([]uint64, n)
	for rows.Next() {
		var (
			i    int64
			e    float64
			secs uint32
		)
		if err := rows.Scan(&i, &e, &secs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan expected counts of %s: %w", service, err)
		}
		if i >= 0 && i < int64(n) {
			sum[i] += e
			judged[i] += uint64(secs)
		}
	}
	for i := range out {
		if judged[i] > 0 {
			out[i].Judged = time.Duration(judged[i]) * time.Second
			out[i].Rate = sum[i] / float64(judged[i])
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read expected counts of %s: %w", service, err)
	}

	// The rows that end a chart bucket: their spans as long as the step
	// are what the chart bucket was judged as.
	const ends = `SELECT service, bucket, ` + newest + ` FROM expectations
WHERE service = ? AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY service, bucket
HAVING (toUInt32(bucket) + secs - ?) % ? = 0`
	rows, err = conn.Query(ctx, ends, service, start, end, start, stepSec)
	if err != nil {
		return nil, fmt.Errorf("query thresholds of %s: %w", service, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Expectation
		if err := scanExpectation(rows, &r); err != nil {
			return nil, fmt.Errorf("scan thresholds of %s: %w", service, err)
		}
		if r.Length <= 0 || step%r.Length != 0 {
			continue
		}
		i := (r.Bucket.Unix() - start) / stepSec
		if j, ok := r.Span(int(step / r.Length)); ok && i >= 0 && i < int64(n) {
			out[i].End = &j
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read thresholds of %s: %w", service, err)
	}
	return out, nil
}

// LatestExpectations returns every service's newest row whose bucket starts at or
// after since.
func LatestExpectations(ctx context.Context, conn driver.Conn, since time.Time) (map[string]Expectation, error) {
	const q = `SELECT service, bucket, ` + newest + ` FROM expectations
WHERE bucket >= toDateTime(?) AND (service, bucket) IN (
	SELECT service, max(bucket) FROM expectations WHERE bucket >= toDateTime(?) GROUP BY service)
GROUP BY service, bucket`
	rows, err := conn.Query(ctx, q, since.Unix(), since.Unix())
	if err != nil {
		return nil, fmt.Errorf("query latest expectations: %w", err)
	}
	defer rows.Close()
	out := map[string]Expectation{}
	for rows.Next() {
		var r Expectation
		if err := scanExpectation(rows, &r); err != nil {
			return nil, fmt.Errorf("scan latest expectations: %w", err)
		}
		out[r.Service] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read latest expectations: %w", err)
	}
	return out, nil
}
