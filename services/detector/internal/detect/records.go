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

// recordsTTL is how long saved burst records outlive the last save: by
// then even the longest-lived of them (the chatter record, with a
// three-day half-life) has faded to a fifth, and a detector that is gone
// leaves nothing behind for good.
const recordsTTL = 7 * 24 * time.Hour

// recordsKey is the Redis hash of saved burst records, one field per
// service. Evidence is measured in buckets, so each bucket size has its
// own.
func (d *Detector) recordsKey() string {
	return "lapor:detector:records:" + strconv.FormatInt(int64(d.cfg.Bucket/time.Second), 10) + "s"
}

// SaveRecords writes every service's burst record to Redis, replacing the
// last save, so that a restarted detector judges each service's bursts
// against its past ones (see "Burst record" in the package doc).
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
		return fmt.Errorf("save %d burst records: %w", len(fields)/2, err)
	}
	d.savedAt = time.Now()
	return nil
}

// loadRecords gives the tracker the burst records last saved. It returns
// how many it restored and how many it could not read.
func (d *Detector) loadRecords(ctx context.Context) (restored, bad int, err error) {
	m, err := d.rdb.HGetAll(ctx, d.recordsKey()).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("read burst records: %w", err)
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

// encodeRecord writes a record as "unix-seconds open chat score".
func encodeRecord(r spike.Record) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return strconv.FormatInt(r.At.Unix(), 10) + " " + f(r.Open) + " " + f(r.Chat) + " " + f(r.Score)
}

// decodeRecord reads what encodeRecord wrote.
func decodeRecord(s string) (spike.Record, error) {
	parts := strings.Fields(s)
	if len(parts) != 4 {
		return spike.Record{}, fmt.Errorf("burst record %q: want 4 fields, got %d", s, len(parts))
	}
	at, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return spike.Record{}, fmt.Errorf("burst record %q: bucket: %w", s, err)
	}
	var v [3]float64
	for i := range v {
		if v[i], err = strconv.ParseFloat(parts[i+1], 64); err != nil {
			return spike.Record{}, fmt.Errorf("burst record %q: field %d: %w", s, i+2, err)
		}
	}
	return spike.Record{At: time.Unix(at, 0).UTC(), Open: v[0], Chat: v[1], Score: v[2]}, nil
}
