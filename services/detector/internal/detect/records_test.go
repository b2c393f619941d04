package detect_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/incident"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestRestartKeepsBurstRecords checks that a restarted detector judges a
// service's burst against the bursts it had before the restart: a burst
// half the size of the last outage does not open at once, while the same
// burst on a service whose record was lost opens at once, as on a new
// service.
func TestRestartKeepsBurstRecords(t *testing.T) {
	s := setup(t)
	t0 := now.Truncate(time.Minute)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	services := []string{"whatsapp", "line"}
	insert := func(from, to, scale int) {
		for _, svc := range services {
			s.insert(t, steady(svc, at(from), at(to), scale))
		}
	}
	// Half an hour of normal traffic, then a ten-minute outage at ten times
	// the usual people, then normal again.
	insert(-30, 1, 1)
	insert(1, 11, 10)
	insert(11, 26, 1)
	d := s.detector(t)
	for k := 0; k <= 25; k++ {
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
	}
	want := []string{"line:opened", "whatsapp:opened", "line:resolved", "whatsapp:resolved"}
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream after the first outage = %v, want %v", got, want)
	}
	if err := d.SaveRecords(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}

	// The restart loses line's record (as if it had never been saved) and
	// finds a field it cannot read.
	key := "lapor:detector:records:60s"
	ctx := testenv.Ctx(t)
	if n, err := s.rdb.HLen(ctx, key).Result(); err != nil || n != 2 {
		t.Fatalf("saved records = %d (%v), want one per service", n, err)
	}
	if err := s.rdb.HDel(ctx, key, "line").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.HSet(ctx, key, "broken", "not a record").Err(); err != nil {
		t.Fatal(err)
	}
	d = s.detector(t)

	// Five times the usual people: "detected" on its own.
	insert(26, 27, 5)
	cycle(t, d, now.Add(26*time.Minute))
	open := s.incidents(t, incident.Filter{Status: incident.StatusOpen})
	if len(open) != 1 || open[0].Service != "line" {
		t.Fatalf("open incidents in the burst's first minute = %+v, want only line's", open)
	}
	if got := kinds(s.events(t))[len(want):]; !reflect.DeepEqual(got, []string{"line:opened"}) {
		t.Fatalf("new alert events = %v, want only line opened", got)
	}
}
