package detect_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	"github.com/lapor/lapor/services/shared/incident"
	"github.com/lapor/lapor/services/shared/logging"
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

// TestRunSavesRecordsAtShutdown checks that a detector stopped by its
// context writes its burst records before Run returns.
func TestRunSavesRecordsAtShutdown(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	key := "lapor:detector:records:60s"
	at := time.Now().Add(-5 * time.Minute).Truncate(time.Minute)
	// whatsapp reported lately, gone not in the weeks the baseline
	// reads. Both records are written by hand, with no expiry; a save
	// rewrites the hash.
	s.insert(t, burst("whatsapp", 1, 1, time.Now().Add(-10*time.Minute), time.Second, []string{"messages"}, []string{"ID"}))
	for _, svc := range []string{"whatsapp", "gone"} {
		if err := s.rdb.HSet(ctx, key, svc, fmt.Sprintf("%d 2.5 0 1", at.Unix())).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cfg := detect.DefaultConfig()
	cfg.Interval = time.Second
	cfg.RecordsEvery = time.Hour // no save but the one at shutdown
	d, err := detect.New(s.conn, s.rdb, logging.Discard(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	for deadline := time.Now().Add(10 * time.Second); d.Ready(ctx) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("detector never became ready")
		}
	}
	if ttl := s.rdb.TTL(ctx, key).Val(); ttl > 0 {
		t.Fatalf("records saved before shutdown (ttl %v)", ttl)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	got, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["gone"]; ok || len(got) != 1 {
		t.Fatalf("records after shutdown = %v, want whatsapp's only", got)
	}
	// whatsapp was stepped since: its record has faded by a minute or two
	// of a two-day half-life and stands at a later bucket.
	var unix int64
	var open, chat, score float64
	if _, err := fmt.Sscan(got["whatsapp"], &unix, &open, &chat, &score); err != nil {
		t.Fatalf("saved record %q: %v", got["whatsapp"], err)
	}
	if unix <= at.Unix() || open >= 2.5 || open < 2.49 || chat != 0 || score >= 1 || score < 0.99 {
		t.Errorf("saved record %q, want one a little faded from %d 2.5 0 1", got["whatsapp"], at.Unix())
	}
	if ttl := s.rdb.TTL(ctx, key).Val(); ttl <= 0 {
		t.Errorf("saved records have no expiry (ttl %v)", ttl)
	}
}

// TestRestartRemembersTheLastIncidentsWindow checks that a detector
// restarted within the hour after a long outage keeps that outage out of
// the service's recent level, so the outage coming back opens an
// incident: a detector that forgot it would take the outage for normal.
func TestRestartRemembersTheLastIncidentsWindow(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	nowReal := time.Now().UTC()
	end := nowReal.Truncate(time.Minute).Add(-10 * time.Minute) // the outage ended ten minutes ago
	start := end.Add(-45 * time.Minute)
	for _, svc := range []string{"shopee", "lazada"} {
		s.insert(t, steady(svc, start.Add(-2*time.Hour), start, 1))
		s.insert(t, steady(svc, start, end, 10))
		s.insert(t, steady(svc, end, nowReal.Truncate(time.Minute).Add(-time.Minute), 1))
		s.insert(t, steady(svc, nowReal.Truncate(time.Minute).Add(-time.Minute), nowReal.Truncate(time.Minute).Add(time.Minute), 10)) // back
	}
	// Only shopee's ended incident is on record (lazada's was never
	// stored): a restarted detector knows where shopee's window stood.
	if err := incident.Save(ctx, s.conn, []incident.Incident{{
		ID: "inc-shopee", Service: "shopee", Level: incident.LevelDetected, Status: incident.StatusResolved,
		StartedAt: start, UpdatedAt: end, EndedAt: end, Peak: 400, PeakAt: start, Baseline: 40, LastCount: 40, Version: 1,
	}}); err != nil {
		t.Fatal(err)
	}
	d := s.detector(t)
	cycle(t, d, nowReal)
	var opened []string
	for _, in := range s.incidents(t, incident.Filter{Status: incident.StatusOpen}) {
		opened = append(opened, in.Service)
	}
	if !reflect.DeepEqual(opened, []string{"shopee"}) {
		t.Fatalf("open incidents for %v, want shopee's only (lazada's window holds its outage)", opened)
	}
}
