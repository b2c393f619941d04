package read

import (
	"context"
	"sort"
	"time"

	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/spike"
)

// countryDays is how many past days a country's usual level reads: the
// detector's daily season (spike.Params.Days).
var countryDays = spike.DefaultParams().Days

// CountryCounts is one country's reports in a window against its usual
// level for that window.
type CountryCounts struct {
	Breakdown // Key is the ISO 3166-1 alpha-2 code, empty when unknown
	// Expected is the country's mean count in the same window on the past
	// days the service has history for; 0 when it had no reports then (or
	// there is no such day), and then it has no usual level to compare with.
	Expected float64
}

// Ratio is Reports over Expected; ok is false when the country has no
// usual level (Expected 0), where any report would be "infinitely" many.
func (c CountryCounts) Ratio() (ratio float64, ok bool) {
	if !(c.Expected > 0) {
		return 0, false
	}
	return float64(c.Reports) / c.Expected, true
}

// Countries returns a service's reports by country in [from, to) (whole
// minutes), largest first, each with its expected count: the mean of the
// same window on each of the last countryDays days that the service's
// history covers whole. days is how many such days there were (0 for a
// service younger than a day, whose countries then have no usual level).
// Only countries with reports in the window are listed. The map compares
// a country with its own time of day, not the service's time of week: a
// country's counts are small, and a week back from a young service is
// often no history at all.
func (s *Store) Countries(ctx context.Context, service string, from, to time.Time) (list []CountryCounts, days int, err error) {
	first, known, err := s.HistoryStart(ctx, service)
	if err != nil {
		return nil, 0, err
	}
	day := int64(baseline.Day / time.Second)
	windows, err := s.PageStorage.CountryWindows(ctx, service, from, to, countryDays)
	if err != nil {
		return nil, 0, err
	}
	now := map[string]Counts{}
	past := map[string]map[int64]float64{} // country → window start → reports
	for _, w := range windows {
		if w.DaysBack == 0 {
			now[w.Country] = w.ReportCounts
			continue
		}
		if past[w.Country] == nil {
			past[w.Country] = map[int64]float64{}
		}
		past[w.Country][from.Unix()-int64(w.DaysBack)*day] = float64(w.Reports)
	}

	// A past window counts only when the service's history covers it from
	// its start: a window the service began in would read as a quiet day.
	// Within the history, a day without a country's reports is a zero.
	sameWindow := func(counts map[int64]float64) []float64 {
		if !known {
			return nil
		}
		return baseline.SameSlot(counts, from, baseline.Day, countryDays, first)
	}
	days = len(sameWindow(nil))
	list = make([]CountryCounts, 0, len(now))
	for country, c := range now {
		if c.Reports == 0 {
			continue
		}
		list = append(list, CountryCounts{
			Breakdown: Breakdown{Key: country, ReportCounts: c},
			Expected:  mean(sameWindow(past[country])),
		})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Reports != list[j].Reports {
			return list[i].Reports > list[j].Reports
		}
		return list[i].Key < list[j].Key
	})
	return list, days, nil
}

// mean is the arithmetic mean of xs, 0 for none. A country's daily counts
// are small and often zero, where a median would say "no usual level" for
// a country that reports most days.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
