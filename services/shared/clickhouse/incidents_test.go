package clickhouse_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestListWindow checks that From and To keep exactly the incidents that
// overlap the window, whatever their age among the service's incidents.
func TestListWindow(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	ended := func(id string, start, end int) lapor.Incident {
		return lapor.Incident{ID: id, Service: "a", Level: lapor.LevelDetected, Status: lapor.StatusResolved,
			StartedAt: h(start), UpdatedAt: h(end), EndedAt: h(end), Version: 1}
	}
	noEnd := ended("no-end", 30, 32)
	noEnd.EndedAt = time.Unix(0, 0) // resolved without its end stored
	open := lapor.Incident{ID: "open", Service: "a", Level: lapor.LevelPossible, Status: lapor.StatusOpen,
		StartedAt: h(1), UpdatedAt: h(100), Version: 1}
	other := ended("other", 10, 12)
	other.Service = "b"
	incs := []lapor.Incident{ended("before", 0, 2), ended("across-start", 8, 11), ended("inside", 12, 13),
		ended("across-end", 19, 22), ended("after", 25, 26), noEnd, open, other}
	if err := clickhouse.SaveIncidents(ctx, conn, incs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    clickhouse.IncidentFilter
		want []string
	}{
		{"window", clickhouse.IncidentFilter{Service: "a", From: h(10), To: h(20)}, []string{"across-end", "inside", "across-start", "open"}},
		{"from only", clickhouse.IncidentFilter{Service: "a", From: h(24)}, []string{"no-end", "after", "open"}},
		{"to only", clickhouse.IncidentFilter{Service: "a", To: h(2)}, []string{"open", "before"}},
		{"ended at from is out", clickhouse.IncidentFilter{Service: "a", From: h(13), To: h(14)}, []string{"open"}},
		{"no window", clickhouse.IncidentFilter{Service: "a"}, []string{"no-end", "after", "across-end", "inside", "across-start", "open", "before"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := clickhouse.Incidents(ctx, conn, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range list {
				got = append(got, in.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestIncidentEveryField stores an incident with every field of
// lapor.Incident set and reads it back whole: a field added to the domain
// type but not to the table, the insert or the select fails here.
func TestIncidentEveryField(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	in := lapor.Incident{ID: "every", Service: "gojek", Level: lapor.LevelDetected, Status: lapor.StatusResolved,
		StartedAt: at, UpdatedAt: at.Add(2 * time.Hour), EndedAt: at.Add(time.Hour), EndReason: lapor.EndFaded,
		Peak: 120, PeakAt: at.Add(10 * time.Minute), Baseline: 4.5, LastCount: 7,
		TopSymptoms:  []lapor.SymptomShare{{Symptom: "login", Share: 0.5}, {Symptom: "app", Share: 0.25}},
		TopCountries: []string{"ID", "SG"}, Version: 9, Span: 3}
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the test leaves %s unset: set every field of lapor.Incident", v.Type().Field(i).Name)
		}
	}
	if err := clickhouse.SaveIncidents(ctx, conn, []lapor.Incident{in}); err != nil {
		t.Fatal(err)
	}
	got, err := clickhouse.Incidents(ctx, conn, clickhouse.IncidentFilter{ID: "every"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], in) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, in)
	}
	// An open incident reads back with no end, as the API spells it.
	open := in
	open.ID, open.Status, open.EndedAt, open.EndReason = "every-open", lapor.StatusOpen, time.Time{}, ""
	if err := clickhouse.SaveIncidents(ctx, conn, []lapor.Incident{open}); err != nil {
		t.Fatal(err)
	}
	if got, err = clickhouse.Incidents(ctx, conn, clickhouse.IncidentFilter{ID: "every-open"}); err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], open) {
		t.Fatalf("read back %+v (%v), want %+v", got, err, open)
	}
}
