package publicapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/baseline"
)

type countryRatio struct {
	Country  string   `json:"country"`
	Reports  uint64   `json:"reports"`
	Expected float64  `json:"expected"`
	Ratio    *float64 `json:"ratio"`
}

// inCountry makes n reports of service from country at ts, each from its
// own reporter.
func inCountry(prefix, service, country string, ts time.Time, n int) []row {
	rows := reportsAt(prefix, service, ts, n, n)
	for i := range rows {
		rows[i].country = country
	}
	return rows
}

// ratio is a want for countryRatio.Ratio; nil is "no usual level".
func ratio(x float64) *float64 { return &x }

// Each country is compared with its own usual level at this time of day:
// the mean of the same window on the past days the service's history
// covers.
func TestCountriesAgainstTheirUsualLevel(t *testing.T) {
	day := baseline.Day
	ago := func(d time.Duration) time.Time { return testNow.Add(-d) }
	tests := []struct {
		name    string
		service string
		hours   int
		rows    func() []row
		days    int
		want    []countryRatio
	}{
		{
			// The US reports more than Spain, as it always does; only
			// Spain is far above its own normal.
			name: "an outage confined to Spain", service: "whatsapp", hours: 6,
			rows: func() []row {
				rows := inCountry("start", "whatsapp", "ID", ago(8*day), 1) // history from 8 days back
				for d := 1; d <= 7; d++ {
					rows = append(rows, inCountry(fmt.Sprintf("us%d", d), "whatsapp", "US", ago(time.Duration(d)*day+time.Hour), 100)...)
					rows = append(rows, inCountry(fmt.Sprintf("es%d", d), "whatsapp", "ES", ago(time.Duration(d)*day+2*time.Hour), 5)...)
				}
				// Another time of day is another level: not this window's.
				rows = append(rows, inCountry("us-evening", "whatsapp", "US", ago(day-3*time.Hour), 500)...)
				rows = append(rows, inCountry("us-now", "whatsapp", "US", ago(time.Hour), 100)...)
				return append(rows, inCountry("es-now", "whatsapp", "ES", ago(2*time.Hour), 60)...)
			},
			days: 7,
			want: []countryRatio{{"US", 100, 100, ratio(1)}, {"ES", 60, 5, ratio(12)}},
		},
		{
			name: "a service two days old", service: "gojek", hours: 6,
			rows: func() []row {
				rows := inCountry("start", "gojek", "ID", ago(2*day+7*time.Hour), 1)
				rows = append(rows, inCountry("d1", "gojek", "ID", ago(day+time.Hour), 4)...)
				rows = append(rows, inCountry("d2", "gojek", "ID", ago(2*day+time.Hour), 2)...)
				return append(rows, inCountry("now", "gojek", "ID", ago(time.Hour), 6)...)
			},
			days: 2,
			want: []countryRatio{{"ID", 6, 3, ratio(2)}},
		},
		{
			// The day the service began in its window is not a quiet day.
			name: "history that begins within a past window", service: "bca", hours: 6,
			rows: func() []row {
				rows := inCountry("d3", "bca", "ID", ago(3*day+time.Hour), 30)
				rows = append(rows, inCountry("d1", "bca", "ID", ago(day+time.Hour), 2)...)
				rows = append(rows, inCountry("d2", "bca", "ID", ago(2*day+time.Hour), 4)...)
				return append(rows, inCountry("now", "bca", "ID", ago(time.Hour), 3)...)
			},
			days: 2,
			want: []countryRatio{{"ID", 3, 3, ratio(1)}},
		},
		{
			name: "no history yet", service: "bca", hours: 6,
			rows: func() []row { return inCountry("now", "bca", "MY", ago(time.Hour), 4) },
			days: 0,
			want: []countryRatio{{"MY", 4, 0, nil}},
		},
		{
			// Within the service's history, a country that never reported
			// has no usual level to be a multiple of.
			name: "a country reporting for the first time", service: "whatsapp", hours: 6,
			rows: func() []row {
				rows := inCountry("start", "whatsapp", "US", ago(10*day), 1)
				for d := 1; d <= 7; d++ {
					rows = append(rows, inCountry(fmt.Sprintf("us%d", d), "whatsapp", "US", ago(time.Duration(d)*day+time.Hour), 7)...)
				}
				rows = append(rows, inCountry("fr", "whatsapp", "FR", ago(time.Hour), 3)...)
				return append(rows, inCountry("us", "whatsapp", "US", ago(time.Hour), 14)...)
			},
			days: 7,
			want: []countryRatio{{"US", 14, 7, ratio(2)}, {"FR", 3, 0, nil}},
		},
		{
			// Two-day windows overlap their neighbours: reports 25 hours
			// ago are in this window and in yesterday's.
			name: "a window longer than a day", service: "gojek", hours: 48,
			rows: func() []row {
				rows := inCountry("start", "gojek", "US", ago(10*day), 1)
				rows = append(rows, inCountry("a", "gojek", "US", ago(25*time.Hour), 7)...)
				return append(rows, inCountry("b", "gojek", "US", ago(time.Hour), 10)...)
			},
			days: 7,
			want: []countryRatio{{"US", 17, 1, ratio(17)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.insert(t, tc.rows()...)
			rec := f.get(t, fmt.Sprintf("/api/v1/services/%s/countries?hours=%d", tc.service, tc.hours))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var body struct {
				UsualDays int            `json:"usual_days"`
				Countries []countryRatio `json:"countries"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.UsualDays != tc.days {
				t.Errorf("usual_days = %d, want %d", body.UsualDays, tc.days)
			}
			if len(body.Countries) != len(tc.want) {
				t.Fatalf("countries = %s, want %+v", rec.Body, tc.want)
			}
			for i, w := range tc.want {
				g := body.Countries[i]
				if g.Country != w.Country || g.Reports != w.Reports || g.Expected != w.Expected || !sameRatio(g.Ratio, w.Ratio) {
					t.Errorf("country %d = %s %d expected %v ratio %s, want %s %d expected %v ratio %s",
						i, g.Country, g.Reports, g.Expected, fmtRatio(g.Ratio), w.Country, w.Reports, w.Expected, fmtRatio(w.Ratio))
				}
			}
		})
	}
}

func sameRatio(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func fmtRatio(r *float64) string {
	if r == nil {
		return "null"
	}
	return fmt.Sprint(*r)
}
