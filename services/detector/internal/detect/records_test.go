package detect_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/spike"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestRestartKeepsRecords checks that what the detector learnt of each
// service (its dispersion and tail at every span) survives a restart
// through Redis: a restarted detector saves back exactly what it read,
// and a record it cannot read, or one lost, is simply not there.
func TestRestartKeepsRecords(t *testing.T) {
	s := setup(t)
	t0 := now.Truncate(time.Minute)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, svc := range []string{"whatsapp", "line"} {
		s.insert(t, steady(svc, at(-30), at(1), 1))
		s.insert(t, steady(svc, at(1), at(11), 10))
		s.insert(t, steady(svc, at(11), at(26), 1))
	}
	d := s.detector(t)
	for k := 0; k <= 25; k++ {
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
	}
	want := []string{"line:opened", "whatsapp:opened", "line:resolved", "whatsapp:resolved"}
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream after the outage = %v, want %v", got, want)
	}
	ctx := testenv.Ctx(t)
	if err := d.SaveRecords(ctx); err != nil {
		t.Fatal(err)
	}
	key := "lapor:detector:records:60s"
	saved, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil || len(saved) != 2 {
		t.Fatalf("saved records = %v (%v), want one per service", saved, err)
	}

	// The restart loses line's record and finds a field it cannot read.
	if err := s.rdb.HDel(ctx, key, "line").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.HSet(ctx, key, "broken", "not a record").Err(); err != nil {
		t.Fatal(err)
	}
	d = s.detector(t)
	if err := d.SaveRecords(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"whatsapp": saved["whatsapp"]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("records saved back after the restart = %v, want %v", got, want)
	}
}

// TestRunSavesRecordsAtShutdown checks that a detector stopped by its
// context writes its records before Run returns.
func TestRunSavesRecordsAtShutdown(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	key := "lapor:detector:records:60s"
	at := time.Now().Add(-5 * time.Minute).Truncate(time.Minute)
	// whatsapp reported lately, gone not in the weeks the baseline
	// reads. Both records are written by hand, with no expiry; a save
	// rewrites the hash. Each span learnt a dispersion of 0.05 and a tail
	// exceeded once in a hundred buckets.
	s.insert(t, burst("whatsapp", 1, 1, time.Now().Add(-10*time.Minute), time.Second, []string{"messages"}, []string{"ID"}))
	record := fmt.Sprint(at.Unix()) + strings.Repeat(" 0.05 1", len(spike.Scales)) + strings.Repeat(" 0.01 0.004", len(spike.Scales))
	for _, svc := range []string{"whatsapp", "gone"} {
		if err := s.rdb.HSet(ctx, key, svc, record).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cfg := detect.DefaultConfig()
	cfg.Interval = time.Second
	cfg.RecordsEvery = time.Hour // no save but the one at shutdown
	d, err := detect.New(s.store(), s.rdb, logging.Discard(), cfg)
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
	// whatsapp was stepped since: its record stands at a later bucket and
	// has moved by a minute or two of a three-day half-life at most.
	var unix int64
	var num, den, rate float64
	if _, err := fmt.Sscan(got["whatsapp"], &unix, &num, &den); err != nil {
		t.Fatalf("saved record %q: %v", got["whatsapp"], err)
	}
	fields := strings.Fields(got["whatsapp"])
	if rate, err = strconv.ParseFloat(fields[1+2*len(spike.Scales)], 64); err != nil {
		t.Fatalf("saved record %q: %v", got["whatsapp"], err)
	}
	if unix <= at.Unix() || math.Abs(num/den-0.05) > 0.005 || rate > 0.01 || rate < 0.0099 {
		t.Errorf("saved record %q, want one a little moved from %q", got["whatsapp"], record)
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
	if err := clickhouse.SaveIncidents(ctx, s.conn, []lapor.Incident{{
		ID: "inc-shopee", Service: "shopee", Level: lapor.LevelDetected, Status: lapor.StatusResolved,
		StartedAt: start, UpdatedAt: end, EndedAt: end, Peak: 400, PeakAt: start, Baseline: 40, LastCount: 40, Version: 1,
	}}); err != nil {
		t.Fatal(err)
	}
	d := s.detector(t)
	cycle(t, d, nowReal)
	var opened []string
	for _, in := range s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen}) {
		opened = append(opened, in.Service)
	}
	if !reflect.DeepEqual(opened, []string{"shopee"}) {
		t.Fatalf("open incidents for %v, want shopee's only (lazada's window holds its outage)", opened)
	}
}
