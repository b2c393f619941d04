// Package baseline says how many reports are normal for a service in a
// bucket, from the service's own history at the same time of week. It is
// pure: no Redis, no ClickHouse; the detector and the web share it.
package baseline

import (
	"math"
	"slices"
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

// DayLevel is the usual level of a slot from its levels on past days: their
// median, except that of two days it is the lower. The median of two days
// is their mean, which one day's outage raises by half its size; the lower
// is what both days reached. (From three days on, one outage moves only the
// highest day, which the median ignores.) It sorts days; 0 for none.
func DayLevel(days []float64) float64 {
	switch len(days) {
	case 0:
		return 0
	case 2:
		return min(days[0], days[1])
	}
	slices.Sort(days)
	n := len(days)
	if n%2 == 1 {
		return days[n/2]
	}
	return (days[n/2-1] + days[n/2]) / 2
}

// Day is the shorter season: a young service's day is known before its
// week.
const Day = 24 * time.Hour

// SameSlot returns the counts at the same point of the season (period
// before t, 2·period before, … n of them), newest first, reading counts by
// bucket start (Unix seconds). Buckets with no entry count as zero, except
// before first, the start of the service's history, where there is
// nothing to learn from.
func SameSlot(counts map[int64]float64, t time.Time, period time.Duration, n int, first time.Time) []float64 {
	var out []float64
	for k := 1; k <= n; k++ {
		at := t.Add(-time.Duration(k) * period)
		if at.Before(first) {
			break
		}
		out = append(out, counts[at.Unix()])
	}
	return out
}

// Expected is the baseline for one bucket: the median of the same slot in
// past seasons, so that one past outage cannot raise it, never below floor.
func Expected(sameSlot []float64, floor float64) float64 {
	return math.Max(Median(sameSlot), floor)
}

// Seasons says how much history makes a baseline, in the detector's terms
// (spike.Params MinWeeks, MinDays, Days).
type Seasons struct {
	Weeks, MinWeeks int // past weeks read, and how many make a weekly baseline
	Days, MinDays   int // past days read, and how many make a daily one
}

// Usual is the normal count for the bucket at t: the median of the same
// time of week over past weeks once there are MinWeeks of them, else the
// DayLevel of the same time of day over past days once there are MinDays,
// else 0 (not yet known). ok says whether there was enough history.
func (s Seasons) Usual(counts map[int64]float64, t, first time.Time) (usual float64, ok bool) {
	if w := SameSlot(counts, t, Week, s.Weeks, first); len(w) >= s.MinWeeks {
		return Median(w), true
	}
	if d := SameSlot(counts, t, Day, s.Days, first); len(d) >= s.MinDays {
		return DayLevel(d), true
	}
	return 0, false
}

// Offsets are the distances back from a bucket, in whole days, that Usual
// reads: the query for a window and its history fetches exactly these.
func (s Seasons) Offsets() []int {
	seen := map[int]bool{}
	var out []int
	for d := 1; d <= s.Days; d++ {
		seen[d] = true
		out = append(out, d)
	}
	for w := 1; w <= s.Weeks; w++ {
		if !seen[7*w] {
			out = append(out, 7*w)
		}
	}
	return out
}
