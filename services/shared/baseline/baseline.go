// Package baseline says how many reports are normal for a service in a
// bucket, from the service's own history at the same time of week. It is
// pure: no Redis, no ClickHouse; the detector and the web share it.
package baseline

import (
	"math"
	"sort"
	"time"
)

// Week is the season of report traffic: people's days and weekends.
const Week = 7 * 24 * time.Hour

// Median returns the median of xs (0 for none). It does not change xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// SameSlot returns the counts at the same time of week in the weeks before
// t, newest first, reading counts by bucket start (Unix seconds). Buckets
// with no entry count as zero, except before first, the start of the
// service's history, where there is nothing to learn from.
func SameSlot(counts map[int64]float64, t time.Time, weeks int, first time.Time) []float64 {
	var out []float64
	for k := 1; k <= weeks; k++ {
		at := t.Add(-time.Duration(k) * Week)
		if at.Before(first) {
			break
		}
		out = append(out, counts[at.Unix()])
	}
	return out
}

// Expected is the baseline for one bucket: the median of the same slot in
// past weeks, so that one past outage cannot raise it, never below floor.
func Expected(sameSlot []float64, floor float64) float64 {
	return math.Max(Median(sameSlot), floor)
}
