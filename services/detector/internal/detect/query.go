package detect

import (
	"context"
	"fmt"
	"sort"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// pair is a service's distinct reporters in the previous (full) bucket
// and the current (partial) one.
type pair struct{ prev, cur uint64 }

// recent reads distinct reporters per service for the previous and the
// current bucket, for every service, in one query. Merging the reporter
// states across a service's symptom and country rows counts each person
// once.
func (d *Detector) recent(ctx context.Context, prev, cur time.Time) (map[string]pair, error) {
	out := make(map[string]pair)
	err := d.reporters(ctx, "recent reporters", nil,
		[]clickhouse.TimeRange{{From: prev, To: cur.Add(d.cfg.Bucket)}}, func(service string, b int64, n uint64) {
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

// reporters reads distinct reporters per service and bucket over the
// rollup minutes of services (all when empty) in ranges, handing each row
// to row.
func (d *Detector) reporters(ctx context.Context, what string, services []string, ranges []clickhouse.TimeRange, row func(service string, bucket int64, n uint64)) error {
	q := clickhouse.ReporterQuery{Bucket: d.cfg.Bucket, Services: services, Ranges: ranges}
	if err := d.store.Reporters(ctx, q, row); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// history reads distinct reporters per service around the previous and
// the current bucket's slots in each of the past days and weeks the
// baseline looks at (the slot and SlotHalfWidth buckets either side), in
// one query: the counts by bucket start (Unix seconds).
func (d *Detector) history(ctx context.Context, prev, cur time.Time) (map[string]map[int64]float64, error) {
	var ranges []clickhouse.TimeRange
	half := time.Duration(d.cfg.Params.SlotHalfWidth) * d.cfg.Bucket
	for _, shift := range d.slotShifts() {
		ranges = append(ranges, clickhouse.TimeRange{From: prev.Add(-shift - half), To: cur.Add(d.cfg.Bucket - shift + half)})
	}
	out := make(map[string]map[int64]float64)
	err := d.reporters(ctx, "reporter history", nil, ranges, func(service string, b int64, n uint64) {
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
	out, err := d.store.HistoryStarts(ctx, since)
	if err != nil {
		return nil, err
	}
	for s, first := range out {
		out[s] = d.bucketStart(first)
	}
	return out, nil
}

// breakdown is what an incident's reports are about.
type breakdown struct {
	symptoms  []lapor.SymptomShare
	countries []string
}

// topN is how many symptoms and countries an incident lists.
const topN = 3

// breakdowns reads, for each service since its incident's start, reports
// by symptom and by country, in one query for all the given incidents.
func (d *Detector) breakdowns(ctx context.Context, since map[string]time.Time) (map[string]breakdown, error) {
	return breakdowns(ctx, d.store, since, time.Time{})
}

// breakdowns is Detector.breakdowns over st, up to until when it is not
// zero (an incident that ended). A report has one symptom and one
// country, so the per-pair counts add up.
func breakdowns(ctx context.Context, st Store, since map[string]time.Time, until time.Time) (map[string]breakdown, error) {
	if len(since) == 0 {
		return nil, nil
	}
	counts, err := st.ReportsBySymptomAndCountry(ctx, since, until)
	if err != nil {
		return nil, err
	}
	type tally struct {
		total     uint64
		symptoms  map[string]uint64
		countries map[string]uint64
	}
	tallies := make(map[string]*tally)
	for _, c := range counts {
		t := tallies[c.Service]
		if t == nil {
			t = &tally{symptoms: map[string]uint64{}, countries: map[string]uint64{}}
			tallies[c.Service] = t
		}
		t.total += c.Reports
		t.symptoms[c.Symptom] += c.Reports
		if c.Country != "" { // unknown location says nothing about where
			t.countries[c.Country] += c.Reports
		}
	}
	out := make(map[string]breakdown, len(tallies))
	for s, t := range tallies {
		var b breakdown
		for _, sym := range top(t.symptoms, topN) {
			b.symptoms = append(b.symptoms, lapor.SymptomShare{Symptom: sym, Share: float64(t.symptoms[sym]) / float64(t.total)})
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
