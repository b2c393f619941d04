package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/spike"
)

// recordsTTL is how long saved records outlive the last save: by then
// what they learnt (with a three-day half-life) has faded to a fifth, and
// a detector that is gone leaves nothing behind for good.
const recordsTTL = 7 * 24 * time.Hour

// recordsKey is the Redis hash of saved records, one field per service.
// Spans are counted in buckets, so each bucket size has its own.
func (d *Detector) recordsKey() string {
	return "lapor:detector:records:" + strconv.FormatInt(int64(d.cfg.Bucket/time.Second), 10) + "s"
}

// SaveRecords writes every service's learnt record to Redis, replacing the
// last save, so that a restarted detector judges each service's bursts
// against what it learnt before (see "Records" in the package doc).
func (d *Detector) SaveRecords(ctx context.Context) error {
	var fields []any
	d.tracker.Records(func(service string, r spike.Record) {
		if _, ok := d.first[service]; !ok && d.first != nil {
			// No reports in the weeks the baseline reads: the service is
			// not stepped, so its record would never fade, and it has
			// faded to nothing by now anyway.
			return
		}
		fields = append(fields, service, encodeRecord(r))
	})
	key := d.recordsKey()
	_, err := d.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(fields) > 0 {
			p.HSet(ctx, key, fields...)
			p.Expire(ctx, key, recordsTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d learnt records: %w", len(fields)/2, err)
	}
	d.savedAt = time.Now()
	return nil
}

// loadRecords gives the tracker the records last saved. It returns
// how many it restored and how many it could not read.
func (d *Detector) loadRecords(ctx context.Context) (restored, bad int, err error) {
	m, err := d.rdb.HGetAll(ctx, d.recordsKey()).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("read learnt records: %w", err)
	}
	for service, v := range m {
		r, err := decodeRecord(v)
		if err != nil {
			bad++
			continue
		}
		d.tracker.RestoreRecord(service, r)
		restored++
	}
	return restored, bad, nil
}

// encodeRecord writes a record as "unix-seconds", each scale's two
// moments and then each scale's tail, in the order of spike.Scales.
func encodeRecord(r spike.Record) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(r.At.Unix(), 10))
	for _, v := range recordValues(&r) {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(*v, 'g', -1, 64))
	}
	return b.String()
}

// recordValues are the numbers of a record in their saved order.
func recordValues(r *spike.Record) []*float64 {
	var out []*float64
	for i := range r.Spread {
		out = append(out, &r.Spread[i].Num, &r.Spread[i].Den)
	}
	for i := range r.Tail {
		out = append(out, &r.Tail[i].Rate, &r.Tail[i].Excess)
	}
	return out
}

// decodeRecord reads what encodeRecord wrote. A record saved in another
// shape (another set of scales, an older detector) is refused, and the
// service starts from the prior.
func decodeRecord(s string) (spike.Record, error) {
	var r spike.Record
	vals := recordValues(&r)
	parts := strings.Fields(s)
	if want := 1 + len(vals); len(parts) != want {
		return r, fmt.Errorf("record %q: want %d fields, got %d", s, want, len(parts))
	}
	at, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return r, fmt.Errorf("record %q: bucket: %w", s, err)
	}
	r.At = time.Unix(at, 0).UTC()
	for i, v := range vals {
		if *v, err = strconv.ParseFloat(parts[1+i], 64); err != nil {
			return r, fmt.Errorf("record %q: field %d: %w", s, i+2, err)
		}
	}
	return r, nil
}
