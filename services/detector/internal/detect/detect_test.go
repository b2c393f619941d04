package detect_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/spike"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// now is the detector's clock in these tests: 30 seconds into a minute.
var now = time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)

type stores struct {
	conn driver.Conn
	rdb  goredis.UniversalClient
}

func setup(t testing.TB) stores {
	t.Helper()
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	rdb, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return stores{conn: conn, rdb: rdb}
}

// store is the detector's ClickHouse over the test's connection, as
// main builds it.
func (s stores) store() *clickhouse.DetectorStore { return clickhouse.NewDetectorStore(s.conn) }

// detector is a loaded detector with the default settings, cycling every
// second when run.
func (s stores) detector(t *testing.T) *detect.Detector {
	cfg := detect.DefaultConfig()
	cfg.Interval = time.Second
	return s.detectorWith(t, cfg)
}

// detectorWith is a loaded detector with the settings cfg, holding the
// lease: one made while another holds it stands for a restarted detector,
// which takes the lease once the dead one's expires.
func (s stores) detectorWith(t *testing.T, cfg detect.Config) *detect.Detector {
	t.Helper()
	d, err := detect.New(s.store(), s.rdb, logging.Discard(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.TakeLeaseOver(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	return d
}

var seq int

// burst makes n reports for a service at times spread over [from, from+span),
// from the given number of distinct reporters, cycling through symptoms
// and countries.
func burst(service string, n, reporters int, from time.Time, span time.Duration, symptoms, countries []string) []lapor.Report {
	out := make([]lapor.Report, n)
	for i := range out {
		seq++
		out[i] = lapor.Report{
			ID:       fmt.Sprintf("r-%d", seq),
			Service:  service,
			Symptom:  symptoms[i%len(symptoms)],
			Time:     from.Add(span * time.Duration(i) / time.Duration(n)),
			Country:  countries[i%len(countries)],
			Reporter: fmt.Sprintf("%s-person-%d", service, i%reporters),
		}
	}
	return out
}

func (s stores) insert(t testing.TB, rs []lapor.Report) {
	t.Helper()
	batch, err := s.conn.PrepareBatch(testenv.Ctx(t), "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := batch.Append(r.ID, r.Service, r.Symptom, r.Time.UTC(), r.Country, r.Region, r.City, r.ASN, r.ISP, r.Platform, r.Reporter, r.Network, r.Comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

func (s stores) events(t *testing.T) []lapor.AlertEvent {
	t.Helper()
	msgs, err := s.rdb.XRange(testenv.Ctx(t), redis.Alerts, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []lapor.AlertEvent
	for _, m := range msgs {
		v, _ := m.Values[redis.AlertField].(string)
		e, err := lapor.DecodeAlertEvent(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func kinds(evs []lapor.AlertEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Service+":"+string(e.Kind))
	}
	return out
}

func (s stores) archived(t *testing.T) []string {
	t.Helper()
	rows, err := s.conn.Query(testenv.Ctx(t), "SELECT service, kind FROM alert_events FINAL ORDER BY at, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var svc, kind string
		if err := rows.Scan(&svc, &kind); err != nil {
			t.Fatal(err)
		}
		out = append(out, svc+":"+kind)
	}
	return out
}

func (s stores) incidents(t *testing.T, f clickhouse.IncidentFilter) []lapor.Incident {
	t.Helper()
	incs, err := clickhouse.Incidents(testenv.Ctx(t), s.conn, f)
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

func cycle(t *testing.T, d *detect.Detector, at time.Time) {
	t.Helper()
	if err := d.Cycle(testenv.Ctx(t), at); err != nil {
		t.Fatalf("cycle at %s: %v", at.Format(time.TimeOnly), err)
	}
}

func TestBurstOpensThenResolves(t *testing.T) {
	s := setup(t)
	s.insert(t, burst("gojek", 40, 40, now.Add(-25*time.Second), 20*time.Second,
		[]string{"app", "app", "app", "login"}, []string{"ID", "ID", "ID", "ID", "ID", "ID", "ID", "SG"}))
	d := s.detector(t)
	cycle(t, d, now)

	open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 {
		t.Fatalf("open incidents = %+v, want one", open)
	}
	in := open[0]
	minute := now.Truncate(time.Minute)
	checks := []struct {
		name      string
		got, want any
	}{
		{"service", in.Service, "gojek"},
		{"level", in.Level, lapor.LevelDetected},
		{"started at the burst's minute", in.StartedAt.UTC(), minute},
		{"peak", in.Peak, uint32(40)},
		{"peak at", in.PeakAt.UTC(), minute},
		{"baseline is the floor", in.Baseline, 3.0},
		{"last count", in.LastCount, uint32(40)},
		{"top symptoms and shares", in.TopSymptoms, []lapor.SymptomShare{{Symptom: "app", Share: 0.75}, {Symptom: "login", Share: 0.25}}},
		{"top countries", in.TopCountries, []string{"ID", "SG"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	evs := s.events(t)
	if got := kinds(evs); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert stream = %v, want one opened", got)
	}
	if evs[0].IncidentID != in.ID || evs[0].Level != lapor.LevelDetected || evs[0].Count != 40 {
		t.Fatalf("opened event = %+v, want incident %s, detected, count 40", evs[0], in.ID)
	}
	if got := s.archived(t); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert_events = %v, want one opened", got)
	}

	// Nobody reports any more: the three complete quiet minutes after the
	// burst's resolve it, once the third is complete.
	resolvedAt := time.Time{}
	for k := 1; k <= 6 && resolvedAt.IsZero(); k++ {
		at := now.Add(time.Duration(k) * time.Minute)
		cycle(t, d, at)
		if len(s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})) == 0 {
			resolvedAt = at
		}
	}
	if want := now.Add(4 * time.Minute); !resolvedAt.Equal(want) {
		t.Fatalf("resolved at %s, want %s", resolvedAt.Format(time.TimeOnly), want.Format(time.TimeOnly))
	}
	got := s.incidents(t, clickhouse.IncidentFilter{ID: in.ID})
	if len(got) != 1 || got[0].Status != lapor.StatusResolved || !got[0].EndedAt.Equal(minute.Add(time.Minute)) || got[0].Peak != 40 ||
		got[0].EndReason != lapor.EndNormal {
		t.Fatalf("incident after resolving = %+v, want resolved, ended at the first quiet minute back to normal, peak kept", got)
	}
	want := []string{"gojek:opened", "gojek:resolved"}
	evs = s.events(t)
	if got := kinds(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream = %v, want %v", got, want)
	}
	if evs[0].EndReason != "" || evs[1].EndReason != lapor.EndNormal {
		t.Fatalf("end reasons of the events = %q, %q, want none and %q", evs[0].EndReason, evs[1].EndReason, lapor.EndNormal)
	}
	if got := s.archived(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("alert_events = %v, want %v", got, want)
	}
}

func TestOneReporterCannotMakeAnOutage(t *testing.T) {
	s := setup(t)
	s.insert(t, burst("bca", 40, 1, now.Add(-25*time.Second), 20*time.Second, []string{"login"}, []string{"ID"}))
	d := s.detector(t)
	cycle(t, d, now)
	cycle(t, d, now.Add(10*time.Second))
	if got := s.incidents(t, clickhouse.IncidentFilter{}); len(got) != 0 {
		t.Fatalf("incidents = %+v, want none", got)
	}
	if got := s.events(t); len(got) != 0 {
		t.Fatalf("alert stream = %v, want empty", kinds(got))
	}
	if got := s.archived(t); len(got) != 0 {
		t.Fatalf("alert_events = %v, want empty", got)
	}
}

func TestBaselineFromSameTimeOfWeek(t *testing.T) {
	s := setup(t)
	from := now.Truncate(time.Minute)
	var rs []lapor.Report
	for k := 1; k <= 4; k++ {
		rs = append(rs, burst("whatsapp", 40, 40, from.Add(-time.Duration(k)*baseline.Week), 50*time.Second, []string{"messages"}, []string{"ID"})...)
	}
	// The same 40 people today are normal for whatsapp and an outage for a
	// service that never had any reports.
	rs = append(rs, burst("whatsapp", 40, 40, from, 25*time.Second, []string{"messages"}, []string{"ID"})...)
	rs = append(rs, burst("gojek", 40, 40, from, 25*time.Second, []string{"app"}, []string{"ID"})...)
	s.insert(t, rs)
	d := s.detector(t)
	cycle(t, d, now)
	open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 || open[0].Service != "gojek" {
		t.Fatalf("open incidents = %+v, want only gojek's", open)
	}
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert stream = %v, want only gojek opened", got)
	}
}

func TestBurstInPreviousMinuteCountsAtStartOfNext(t *testing.T) {
	s := setup(t)
	s.insert(t, burst("gojek", 40, 40, now.Add(-20*time.Second), 15*time.Second, []string{"app"}, []string{"ID"}))
	d := s.detector(t)
	cycle(t, d, now.Truncate(time.Minute).Add(time.Minute+2*time.Second)) // the new minute is all but empty
	if open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen}); len(open) != 1 {
		t.Fatalf("open incidents = %+v, want one", open)
	}
}

func TestRestartKeepsOpenIncident(t *testing.T) {
	s := setup(t)
	s.insert(t, burst("gojek", 40, 40, now.Add(-25*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	cycle(t, s.detector(t), now)
	before := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})

	d := s.detector(t) // a restarted detector
	cycle(t, d, now.Add(10*time.Second))
	after := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(before) != 1 || len(after) != 1 || after[0].ID != before[0].ID {
		t.Fatalf("open before restart %+v, after %+v, want the same one", before, after)
	}
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert stream = %v, want the one opened from before the restart", got)
	}
}

func TestEventsAreNotLostWhenRedisRefuses(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	// A plain string where the stream should be makes every XADD fail.
	if err := s.rdb.Set(ctx, redis.Alerts, "in the way", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.insert(t, burst("gojek", 40, 40, now.Add(-25*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	d := s.detector(t)
	if err := d.Cycle(ctx, now); err == nil {
		t.Fatal("cycle succeeded although the alert could not be published")
	}
	if got := s.incidents(t, clickhouse.IncidentFilter{}); len(got) != 0 {
		t.Fatalf("incident stored before its event was published: %+v", got)
	}
	if got := s.archived(t); len(got) != 0 {
		t.Fatalf("alert_events = %v before the stream took them", got)
	}

	if err := s.rdb.Del(ctx, redis.Alerts).Err(); err != nil {
		t.Fatal(err)
	}
	cycle(t, d, now.Add(time.Second))
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert stream = %v, want the held-back opened exactly once", got)
	}
	if got := s.archived(t); !reflect.DeepEqual(got, []string{"gojek:opened"}) {
		t.Fatalf("alert_events = %v, want one opened", got)
	}
	if got := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen}); len(got) != 1 {
		t.Fatalf("open incidents = %+v, want one", got)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	s := setup(t)
	d := s.detector(t)
	ctx, cancel := context.WithCancel(testenv.Ctx(t))
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for d.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("detector never became ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

// steady makes reports for a service in each minute of [from, to), spread
// over the first 50 seconds, from 38 to 42 distinct reporters a minute
// (times scale), around a median of 40·scale.
func steady(service string, from, to time.Time, scale int) []lapor.Report {
	var rs []lapor.Report
	for m, k := from, 0; m.Before(to); m, k = m.Add(time.Minute), k+1 {
		n := (38 + k%5) * scale
		rs = append(rs, burst(service, n, n, m, 50*time.Second, []string{"messages"}, []string{"ID"})...)
	}
	return rs
}

func TestRecentLevelIsTheBaselineWithoutWeeksOfHistory(t *testing.T) {
	s := setup(t)
	t0 := now.Truncate(time.Minute)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	// Half an hour of whatsapp's normal traffic, no weekly history, then a
	// normal minute.
	s.insert(t, steady("whatsapp", at(-30), at(1), 1))
	d := s.detector(t)
	cycle(t, d, now)
	if got := s.incidents(t, clickhouse.IncidentFilter{}); len(got) != 0 {
		t.Fatalf("incidents after a normal minute = %+v, want none", got)
	}

	// Ten times the usual people.
	s.insert(t, steady("whatsapp", at(1), at(2), 10))
	cycle(t, d, now.Add(time.Minute))
	open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 || open[0].Level != lapor.LevelDetected {
		t.Fatalf("open incidents after a minute of ~400 = %+v, want one detected", open)
	}
	if b := open[0].Baseline; b < 38 || b > 42 {
		t.Fatalf("incident baseline = %v, want whatsapp's recent level of about 40", b)
	}

	// The outage goes on for 40 minutes, the detector restarting halfway:
	// its own buckets must not become its baseline.
	s.insert(t, steady("whatsapp", at(2), at(42), 10))
	for k := 2; k <= 41; k++ {
		if k == 20 {
			d = s.detector(t)
		}
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
	}
	open = s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 || open[0].Baseline < 38 || open[0].Baseline > 42 {
		t.Fatalf("open incidents after 40 minutes of ~400 = %+v, want the one opened against about 40", open)
	}
	if got := kinds(s.events(t)); !reflect.DeepEqual(got, []string{"whatsapp:opened"}) {
		t.Fatalf("alert stream during the outage = %v, want only opened", got)
	}

	// Back to normal: the previous bucket still holds the outage, then
	// three quiet minutes resolve it.
	s.insert(t, steady("whatsapp", at(42), at(48), 1))
	resolvedAt := time.Time{}
	for k := 42; k <= 47 && resolvedAt.IsZero(); k++ {
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
		if len(s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})) == 0 {
			resolvedAt = at(k)
		}
	}
	if !resolvedAt.Equal(at(45)) {
		t.Fatalf("resolved in the minute of %s, want %s", resolvedAt.Format(time.TimeOnly), at(45).Format(time.TimeOnly))
	}
	if got, want := kinds(s.events(t)), []string{"whatsapp:opened", "whatsapp:resolved"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream = %v, want %v", got, want)
	}
}

func TestNewBusyServiceSettlesOnItsOwnLevel(t *testing.T) {
	s := setup(t)
	t0 := now.Truncate(time.Minute)
	// A fresh stack whose detector runs before whatsapp's first report, then
	// whatsapp's normal ~40 a minute from its first minute on.
	d := s.detector(t)
	cycle(t, d, now.Add(-time.Minute))
	var openAt []int
	for k := 0; k < 25; k++ {
		m := t0.Add(time.Duration(k) * time.Minute)
		s.insert(t, steady("whatsapp", m, m.Add(time.Minute), 1))
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
		if len(s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})) == 1 {
			openAt = append(openAt, k)
		}
	}
	// Nothing is known at first, so 40 people look like an outage against
	// the floor; once min-recent (10) buckets show 40 is normal, three quiet
	// buckets end it, and it does not come back.
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if !reflect.DeepEqual(openAt, want) {
		t.Fatalf("open in minutes %v, want %v", openAt, want)
	}
	if got, want := kinds(s.events(t)), []string{"whatsapp:opened", "whatsapp:resolved"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream = %v, want %v", got, want)
	}
}

// TestSmallServiceOutageOpensOnItsSpan checks the spans longer than a
// minute in the service: a service with a report every ten minutes has an
// outage of two people a minute, which no single minute shows (it needs
// five), and the sum of its minutes opens an incident that starts at the
// outage's first minute.
func TestSmallServiceOutageOpensOnItsSpan(t *testing.T) {
	s := setup(t)
	t0 := now.Truncate(time.Minute)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for m := -120; m < 0; m += 10 {
		s.insert(t, burst("bank", 1, 1, at(m).Add(5*time.Second), time.Second, []string{"login"}, []string{"ID"}))
	}
	d := s.detector(t)
	for k := 0; k < 10; k++ {
		s.insert(t, burst("bank", 2, 2, at(k).Add(5*time.Second), 20*time.Second, []string{"login"}, []string{"ID"}))
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
		open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
		if len(open) == 0 {
			continue
		}
		if k < 2 || len(open) != 1 || open[0].Level != lapor.LevelPossible || !open[0].StartedAt.UTC().Equal(at(0)) {
			t.Fatalf("minute %d of the outage: open incidents = %+v, want one possible from its first minute, not before its third", k, open)
		}
		return
	}
	t.Fatal("ten minutes of two people a minute where one came every ten minutes opened no incident")
}

// TestUnwrittenReportsDoNotEndAnIncident checks that buckets whose reports
// are still waiting in the report stream (a stalled worker) are not judged
// complete: their low counts do not resolve an open incident until the
// reports are written.
func TestUnwrittenReportsDoNotEndAnIncident(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	s.insert(t, burst("gojek", 40, 40, now.Add(-25*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	d := s.detector(t)
	cycle(t, d, now)
	// A report ingested a minute later is still in the stream: the worker
	// has not written it.
	waiting := now.Truncate(time.Minute).Add(time.Minute + 10*time.Second)
	id, err := s.rdb.XAdd(ctx, &goredis.XAddArgs{Stream: redis.Reports, ID: fmt.Sprintf("%d-0", waiting.UnixMilli()), Values: []any{redis.ReportField, "x"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 6; k++ {
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
	}
	if open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen}); len(open) != 1 {
		t.Fatalf("open incidents with reports unwritten for six minutes = %+v, want the one still open", open)
	}
	// Written: three quiet complete minutes end it.
	if err := s.rdb.XDel(ctx, redis.Reports, id).Err(); err != nil {
		t.Fatal(err)
	}
	resolvedAt := 0
	for k := 7; k <= 12 && resolvedAt == 0; k++ {
		cycle(t, d, now.Add(time.Duration(k)*time.Minute))
		if len(s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})) == 0 {
			resolvedAt = k
		}
	}
	if resolvedAt != 9 {
		t.Fatalf("resolved %d minutes on, want 9 (three complete quiet minutes after the reports were written)", resolvedAt)
	}
	if got, want := kinds(s.events(t)), []string{"gojek:opened", "gojek:resolved"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alert stream = %v, want %v", got, want)
	}
}

// TestEndNamesAreTheStoredOnes checks that the detector stores spike's
// reasons under the names the incident package and the API give them.
func TestEndNamesAreTheStoredOnes(t *testing.T) {
	for _, tt := range []struct {
		end  spike.End
		want lapor.EndReason
	}{
		{spike.EndNone, ""},
		{spike.EndNormal, lapor.EndNormal},
		{spike.EndFaded, lapor.EndFaded},
		{spike.EndNewNormal, lapor.EndNewNormal},
	} {
		if got := detect.EndName(tt.end); got != tt.want {
			t.Errorf("%d is stored as %q, want %q", tt.end, got, tt.want)
		}
	}
}
