package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

// SaveRecords writes every service's learnt record to Redis, replacing the
// last save, so that a restarted detector judges each service's bursts
// against what it learnt before (see "Records" in the package doc).
func (d *Detector) SaveRecords(ctx context.Context) error {
	records := make(map[string]string)
	d.tracker.Records(func(service string, r spike.Record) {
		if _, ok := d.first[service]; !ok && d.first != nil {
			// No reports in the weeks the baseline reads: the service is
			// not stepped, so its record would never fade, and it has
			// faded to nothing by now anyway.
			return
		}
		records[service] = encodeRecord(r)
	})
	if err := d.state.SaveRecords(ctx, d.cfg.Bucket, records); err != nil {
		return err
	}
	d.savedAt = time.Now()
	return nil
}

// loadRecords gives the tracker the records last saved. It returns
// how many it restored and how many it could not read.
func (d *Detector) loadRecords(ctx context.Context) (restored, bad int, err error) {
	m, err := d.state.Records(ctx, d.cfg.Bucket)
	if err != nil {
		return 0, 0, err
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
