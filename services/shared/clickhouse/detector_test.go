package clickhouse_test

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// d0 starts a minute and a quarter hour: the detector reads are checked
// from it.
var d0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// detectorReports are what the detector's reads are checked on:
//   - a: who1 twice at d0 (two symptoms, two countries), who2 at d0 with
//     no network and at d0+1m in n1, who3 at d0 in n2, who1 again at
//     d0+1m and who4 at d0+20m;
//   - b: who1 and who5 at d0+1m;
//   - c: who6 and who7 at d0+2m, before networks were stored.
func detectorReports() []lapor.Report {
	rows := []struct {
		service, symptom, country, reporter, network string
		at                                           time.Duration
	}{
		{"a", "login", "ID", "who1", "n1", 0},
		{"a", "app", "MY", "who1", "n1", 10 * time.Second},
		{"a", "login", "", "who2", "", 20 * time.Second},
		{"a", "login", "ID", "who3", "n2", 30 * time.Second},
		{"a", "login", "ID", "who1", "n1", time.Minute},
		{"a", "app", "ID", "who2", "n1", time.Minute + 5*time.Second},
		{"a", "app", "ID", "who4", "n1", 20 * time.Minute},
		{"b", "login", "ID", "who1", "n3", time.Minute},
		{"b", "login", "SG", "who5", "n3", time.Minute + time.Second},
		{"c", "app", "ID", "who6", "", 2 * time.Minute},
		{"c", "app", "ID", "who7", "", 2 * time.Minute},
	}
	out := make([]lapor.Report, len(rows))
	for i, r := range rows {
		out[i] = lapor.Report{ID: fmt.Sprintf("d%02d", i), Service: r.service, Symptom: r.symptom, Time: d0.Add(r.at),
			Country: r.country, Reporter: r.reporter, Network: r.network}
	}
	return out
}

// detectorStore is a store over a fresh database holding detectorReports.
func detectorStore(t *testing.T) *clickhouse.DetectorStore {
	t.Helper()
	conn := env.Migrated(t)
	if err := clickhouse.SaveReports(testenv.Ctx(t), conn, detectorReports()); err != nil {
		t.Fatal(err)
	}
	return clickhouse.NewDetectorStore(conn)
}

// bucketCount is one row of Reporters or ReportersBefore.
type bucketCount struct {
	service   string
	bucket    time.Duration // after d0
	reporters uint64
}

func TestDetectorStoreReporters(t *testing.T) {
	st := detectorStore(t)
	ctx := testenv.Ctx(t)
	r := func(from, to time.Duration) clickhouse.TimeRange {
		return clickhouse.TimeRange{From: d0.Add(from), To: d0.Add(to)}
	}
	tests := []struct {
		name string
		q    clickhouse.ReporterQuery
		want []bucketCount
	}{
		{"minutes", clickhouse.ReporterQuery{Bucket: time.Minute, Ranges: []clickhouse.TimeRange{r(0, 2*time.Minute)}},
			[]bucketCount{{"a", 0, 3}, {"a", time.Minute, 2}, {"b", time.Minute, 2}}},
		{"quarter hours", clickhouse.ReporterQuery{Bucket: 15 * time.Minute, Ranges: []clickhouse.TimeRange{r(0, 30*time.Minute)}},
			[]bucketCount{{"a", 0, 3}, {"a", 15 * time.Minute, 1}, {"b", 0, 2}, {"c", 0, 2}}},
		{"some services", clickhouse.ReporterQuery{Bucket: 15 * time.Minute, Services: []string{"b", "c"},
			Ranges: []clickhouse.TimeRange{r(0, 30*time.Minute)}},
			[]bucketCount{{"b", 0, 2}, {"c", 0, 2}}},
		{"several ranges", clickhouse.ReporterQuery{Bucket: time.Minute, Ranges: []clickhouse.TimeRange{r(0, time.Minute), r(20*time.Minute, 21*time.Minute)}},
			[]bucketCount{{"a", 0, 3}, {"a", 20 * time.Minute, 1}}},
		{"several ranges of some services", clickhouse.ReporterQuery{Bucket: time.Minute, Services: []string{"a"},
			Ranges: []clickhouse.TimeRange{r(time.Minute, 2*time.Minute), r(20*time.Minute, 21*time.Minute)}},
			[]bucketCount{{"a", time.Minute, 2}, {"a", 20 * time.Minute, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bucketCount
			err := st.Reporters(ctx, tt.q, func(service string, bucket int64, n uint64) {
				got = append(got, bucketCount{service, time.Unix(bucket, 0).Sub(d0), n})
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(got, func(i, j int) bool {
				if got[i].service != got[j].service {
					return got[i].service < got[j].service
				}
				return got[i].bucket < got[j].bucket
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if err := st.Reporters(ctx, clickhouse.ReporterQuery{Bucket: time.Minute}, func(string, int64, uint64) {}); err == nil {
		t.Error("no time range: want an error")
	}
}

func TestDetectorStoreReportersBefore(t *testing.T) {
	st := detectorStore(t)
	ctx := testenv.Ctx(t)
	var got []bucketCount
	err := st.ReportersBefore(ctx, time.Minute, d0.Add(20*time.Minute), func(service string, bucket int64, n uint64) error {
		got = append(got, bucketCount{service, time.Unix(bucket, 0).Sub(d0), n})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// In order of service, then bucket; the bucket at 20m is not before.
	want := []bucketCount{{"a", 0, 3}, {"a", time.Minute, 2}, {"b", time.Minute, 2}, {"c", 2 * time.Minute, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	stop := errors.New("stop")
	calls := 0
	err = st.ReportersBefore(ctx, time.Minute, d0.Add(time.Hour), func(string, int64, uint64) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("a row that fails: got %v after %d rows, want stop after 1", err, calls)
	}
}

func TestDetectorStoreHistoryStarts(t *testing.T) {
	st := detectorStore(t)
	ctx := testenv.Ctx(t)
	tests := []struct {
		name  string
		since time.Duration
		want  map[string]time.Duration
	}{
		{"all", 0, map[string]time.Duration{"a": 0, "b": time.Minute, "c": 2 * time.Minute}},
		{"later", 2 * time.Minute, map[string]time.Duration{"a": 20 * time.Minute, "c": 2 * time.Minute}},
		{"none", time.Hour, map[string]time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := st.HistoryStarts(ctx, d0.Add(tt.since))
			if err != nil {
				t.Fatal(err)
			}
			got := make(map[string]time.Duration, len(m))
			for s, first := range m {
				got[s] = first.Sub(d0)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectorStoreReportsBySymptomAndCountry(t *testing.T) {
	st := detectorStore(t)
	ctx := testenv.Ctx(t)
	type c = clickhouse.SymptomCountryCount
	tests := []struct {
		name  string
		since map[string]time.Duration
		until time.Duration // 0 for none
		want  []c
	}{
		{"none", nil, 0, nil},
		{"from the start", map[string]time.Duration{"a": 0}, 0,
			[]c{{"a", "app", "ID", 2}, {"a", "app", "MY", 1}, {"a", "login", "", 1}, {"a", "login", "ID", 3}}},
		{"until", map[string]time.Duration{"a": 0}, time.Minute,
			[]c{{"a", "app", "MY", 1}, {"a", "login", "", 1}, {"a", "login", "ID", 2}}},
		{"each from its own time", map[string]time.Duration{"a": time.Minute, "b": 0}, 15 * time.Minute,
			[]c{{"a", "app", "ID", 1}, {"a", "login", "ID", 1}, {"b", "login", "ID", 1}, {"b", "login", "SG", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := make(map[string]time.Time, len(tt.since))
			for s, d := range tt.since {
				since[s] = d0.Add(d)
			}
			var until time.Time
			if tt.until > 0 {
				until = d0.Add(tt.until)
			}
			got, err := st.ReportsBySymptomAndCountry(ctx, since, until)
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(got, func(i, j int) bool {
				a, b := got[i], got[j]
				if a.Service != b.Service {
					return a.Service < b.Service
				}
				if a.Symptom != b.Symptom {
					return a.Symptom < b.Symptom
				}
				return a.Country < b.Country
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectorStoreReportersByNetwork(t *testing.T) {
	st := detectorStore(t)
	ctx := testenv.Ctx(t)
	type n = clickhouse.NetworkReporters
	tests := []struct {
		name  string
		since map[string]time.Duration
		to    time.Duration
		want  map[string]n
	}{
		{"none", nil, time.Hour, nil},
		// who2, seen without a network and then in n1, counts in n1.
		{"a reporter's known network", map[string]time.Duration{"a": 0}, 2 * time.Minute, map[string]n{"a": {Total: 3, Largest: 2}}},
		{"before to", map[string]time.Duration{"a": 0}, time.Minute, map[string]n{"a": {Total: 3, Largest: 1}}},
		{"each from its own time", map[string]time.Duration{"a": time.Minute, "b": 0, "c": 0}, time.Hour,
			map[string]n{"a": {Total: 3, Largest: 3}, "b": {Total: 2, Largest: 2}, "c": {Total: 2, Largest: 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var since map[string]time.Time
			for s, d := range tt.since {
				if since == nil {
					since = map[string]time.Time{}
				}
				since[s] = d0.Add(d)
			}
			got, err := st.ReportersByNetwork(ctx, since, d0.Add(tt.to))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectorStoreIncidentVersions(t *testing.T) {
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	st := clickhouse.NewDetectorStore(conn)
	inc := func(id string, version uint64) lapor.Incident {
		return lapor.Incident{ID: id, Service: "a", Level: lapor.LevelPossible, Status: lapor.StatusOpen,
			StartedAt: d0, UpdatedAt: d0, PeakAt: d0, Version: version}
	}
	if err := st.SaveIncidents(ctx, []lapor.Incident{inc("x", 1), inc("y", 3)}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveIncidents(ctx, []lapor.Incident{inc("x", 5)}); err != nil {
		t.Fatal(err)
	}
	got, err := st.IncidentVersions(ctx, []string{"x", "y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]uint64{"x": 5, "y": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDetectorStoreSaveAlertEventsTwiceKeepsOne(t *testing.T) {
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	st := clickhouse.NewDetectorStore(conn)
	var es []redis.AlertEntry
	for i, kind := range []lapor.AlertKind{lapor.AlertOpened, lapor.AlertResolved} {
		ev := lapor.AlertEvent{ID: fmt.Sprintf("e%d", i), Kind: kind, IncidentID: "x", Service: "a", Level: lapor.LevelDetected,
			At: d0.Add(time.Duration(i) * time.Minute), Count: uint32(40 + i), Baseline: 2.5}
		payload, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, redis.AlertEntry{Cursor: fmt.Sprintf("%d-0", i+1), Event: ev, Payload: payload})
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := st.SaveAlertEvents(ctx, es); err != nil {
			t.Fatalf("save attempt %d: %v", attempt, err)
		}
	}
	rows, err := conn.Query(ctx, "SELECT id, incident_id, service, kind, level, at, count, baseline, payload FROM alert_events FINAL ORDER BY at, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []redis.AlertEntry
	for rows.Next() {
		var (
			en          redis.AlertEntry
			kind, level string
		)
		e := &en.Event
		if err := rows.Scan(&e.ID, &e.IncidentID, &e.Service, &kind, &level, &e.At, &e.Count, &e.Baseline, &en.Payload); err != nil {
			t.Fatal(err)
		}
		e.Kind, e.Level, e.At = lapor.AlertKind(kind), lapor.Level(level), e.At.UTC()
		got = append(got, en)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range es {
		es[i].Cursor = "" // the log's, not stored
	}
	if !reflect.DeepEqual(got, es) {
		t.Errorf("alert_events holds\n%+v\nwant\n%+v", got, es)
	}
}
