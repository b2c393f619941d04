package detect_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// outage inserts half an hour of gojek's normal traffic (about 40 people
// a minute) before the minute of base, then an outage that a detector
// cycling at base plus whole minutes announces in four transitions: it
// opens as possible (130 people, k=0), escalates to detected (220, k=1),
// is updated (300, k=2), and resolves once three quiet minutes are
// complete (k=6). Normal traffic goes on until 20 minutes after.
func outage(t *testing.T, s stores, base time.Time) {
	t.Helper()
	t0 := base.Truncate(time.Minute)
	s.insert(t, steady("gojek", t0.Add(-30*time.Minute), t0, 1))
	for m, n := range []int{130, 220, 300} {
		s.insert(t, burst("gojek", n, n, t0.Add(time.Duration(m)*time.Minute+5*time.Second), 40*time.Second, []string{"app"}, []string{"ID"}))
	}
	s.insert(t, steady("gojek", t0.Add(3*time.Minute), t0.Add(20*time.Minute), 1))
}

var outageKinds = []string{"gojek:opened", "gojek:escalated", "gojek:updated", "gojek:resolved"}

// outageBase is 30 seconds into the minute that began 20 minutes ago.
// The outage lies in the wall clock's last hour, as Load judges the
// incidents that lately ended by the wall clock: on a date long past, a
// detector restarted right after the resolution would not know the
// outage's buckets from normal ones, and open an incident on them.
func outageBase() time.Time {
	return time.Now().UTC().Truncate(time.Minute).Add(-20*time.Minute + 30*time.Second)
}

// referenceIDs are the event IDs of outage's transitions as one detector
// that never stops publishes them.
func referenceIDs(t *testing.T, base time.Time) []string {
	t.Helper()
	s := setup(t)
	outage(t, s, base)
	d := s.detector(t)
	for k := 0; k < 8; k++ {
		cycle(t, d, base.Add(time.Duration(k)*time.Minute))
	}
	evs := s.events(t)
	if got := kinds(evs); !reflect.DeepEqual(got, outageKinds) {
		t.Fatalf("reference alert stream = %v, want %v", got, outageKinds)
	}
	return ids(evs)
}

func ids(evs []lapor.AlertEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// checkOnce checks that each of want's events is in the alert log once,
// in order, and in alert_events once, with the log's payload; and that
// the incident ended resolved with no state left waiting in Redis.
func (s stores) checkOnce(t *testing.T, want []string) {
	t.Helper()
	evs := s.events(t)
	if got := kinds(evs); !reflect.DeepEqual(got, outageKinds) {
		t.Errorf("alert stream = %v, want %v", got, outageKinds)
	}
	if got := ids(evs); !reflect.DeepEqual(got, want) {
		t.Errorf("alert stream IDs = %v, want the reference run's %v", got, want)
	}
	payloads := map[string]string{}
	msgs, err := redis.NewAlertLog(s.rdb).After(testenv.Ctx(t), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		payloads[m.Event.ID] = m.Payload
	}
	rows, err := s.conn.Query(testenv.Ctx(t), "SELECT id, payload FROM alert_events FINAL ORDER BY at, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var archived []string
	for rows.Next() {
		var id, payload string
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		archived = append(archived, id)
		if payload != payloads[id] {
			t.Errorf("alert_events payload of %s = %s, want the published %s", id, payload, payloads[id])
		}
	}
	if !reflect.DeepEqual(archived, want) {
		t.Errorf("alert_events IDs = %v, want %v", archived, want)
	}
	incs := s.incidents(t, clickhouse.IncidentFilter{})
	if len(incs) != 1 || incs[0].Status != lapor.StatusResolved {
		t.Errorf("incidents = %+v, want one, resolved", incs)
	}
	if n := s.rdb.HLen(testenv.Ctx(t), redis.DetectorStateKey).Val(); n != 0 {
		t.Errorf("%d incident states left in Redis, want none once ClickHouse has them", n)
	}
}

// TestEachEventOnceWhereverTheDetectorDies kills the detector at each
// step of writing what a cycle decided, in each cycle that announces a
// transition of an outage, and restarts it on the same stores at once:
// every transition still reaches the alert log and alert_events exactly
// once, with the ID a detector that never died gives it. A detector that
// died after publishing does not even decide the transition again.
func TestEachEventOnceWhereverTheDetectorDies(t *testing.T) {
	base := outageBase()
	want := referenceIDs(t, base)
	for _, step := range []string{"decided", "published", "archived", "checkpointed", "saved", "cleared"} {
		t.Run(step, func(t *testing.T) {
			s := setup(t)
			outage(t, s, base)
			crashes, decisions := 0, 0
			diedBefore := map[int]bool{} // by the number of events out before
			hook := func(out int) func(string, int) bool {
				return func(st string, events int) bool {
					if st == "decided" && events > 0 {
						decisions++
					}
					// Once for each transition: a detector that dies
					// before publishing one decides it again after the
					// restart.
					return st == step && events > 0 && out >= 0 && !diedBefore[out]
				}
			}
			d := s.detector(t)
			for k := 0; k < 14; k++ {
				at := base.Add(time.Duration(k) * time.Minute)
				out := len(s.events(t))
				d.CrashAt(hook(out))
				err := d.Cycle(testenv.Ctx(t), at)
				if errors.Is(err, detect.ErrCrashed) {
					// Killed: a new process takes the lease over and runs
					// its first cycle within the same minute.
					crashes++
					diedBefore[out] = true
					d = s.detector(t)
					d.CrashAt(hook(-1))
					cycle(t, d, at.Add(10*time.Second))
					continue
				}
				if err != nil {
					t.Fatalf("cycle %d: %v", k, err)
				}
			}
			if crashes != len(want) {
				t.Errorf("died %d times, want once in each of the %d cycles with an event", crashes, len(want))
			}
			wantDecisions := len(want)
			if step == "decided" {
				wantDecisions *= 2 // nothing went out before dying
			}
			if decisions != wantDecisions {
				t.Errorf("transitions decided %d times, want %d", decisions, wantDecisions)
			}
			s.checkOnce(t, want)
		})
	}
}

// simClock runs from start at speed times the wall clock.
func simClock(start time.Time, speed int) func() time.Time {
	real0 := time.Now()
	return func() time.Time { return start.Add(time.Since(real0) * time.Duration(speed)) }
}

// replica is a detector running as its own process would.
type replica struct {
	name   string
	d      *detect.Detector
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("replica %s did not stop", r.name)
	}
}

// TestReplicasPublishEachEventOnce runs detector replicas on the same
// stores through an outage, on a clock sped up forty times: two start
// together and one takes the lease; it stops cleanly after the opening,
// and the other takes over; that one then stalls just before publishing
// the resolution until its lease has passed to a third, which resolves
// the outage, and when it wakes its publication is refused. Each
// transition is published once, with the reference run's ID, and only by
// the holder of the lease.
func TestReplicasPublishEachEventOnce(t *testing.T) {
	base := outageBase()
	want := referenceIDs(t, base)
	s := setup(t)
	outage(t, s, base)
	ctx := testenv.Ctx(t)
	clock := simClock(base.Add(-5*time.Second), 40)

	var (
		mu         sync.Mutex
		publishers []string // who published each batch of events, in order
		bad        []string
	)
	stall := make(chan struct{})  // closed when a replica stalls
	resume := make(chan struct{}) // closed to let it go on
	var armed, woken atomic.Bool
	var stalled atomic.Value // the name of the replica that stalls
	start := func(name string) *replica {
		cfg := detect.DefaultConfig()
		cfg.Interval = 250 * time.Millisecond // about 10s of the clock
		cfg.LeaseTTL = 600 * time.Millisecond
		d, err := detect.New(s.store(), s.rdb, logging.Discard(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		d.SetClock(clock)
		r := &replica{name: name, d: d, done: make(chan struct{})}
		d.CrashAt(func(step string, events int) bool {
			if events == 0 {
				return false
			}
			switch {
			case step == "decided" && armed.CompareAndSwap(true, false):
				stalled.Store(name)
				close(stall)
				<-resume
				woken.Store(true)
			case step == "published":
				holder, _ := s.rdb.Get(context.Background(), redis.DetectorLeaseKey).Result()
				mu.Lock()
				publishers = append(publishers, name)
				if holder != d.Holder() || (woken.Load() && stalled.Load() == name) {
					bad = append(bad, name)
				}
				mu.Unlock()
			}
			return false
		})
		var rctx context.Context
		rctx, r.cancel = context.WithCancel(ctx)
		go func() {
			defer close(r.done)
			if err := d.Run(rctx); err != nil {
				t.Errorf("replica %s: Run = %v", name, err)
			}
		}()
		return r
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30s for %s; alert stream %v", what, kinds(s.events(t)))
			}
		}
	}
	published := func(n int) func() bool { return func() bool { return len(s.events(t)) >= n } }

	a, b := start("a"), start("b")
	waitFor("the opening", published(1))
	first, second := a, b
	if b.d.Leading() {
		first, second = b, a
	}
	if first.d.Leading() == second.d.Leading() {
		t.Fatalf("both replicas leading: %v", first.d.Leading())
	}
	if err := second.d.Ready(ctx); err != nil {
		t.Errorf("the standby replica is not ready: %v", err)
	}
	first.stop(t)
	waitFor("the update", published(3))
	if !second.d.Leading() {
		t.Fatal("the second replica published without leading")
	}
	armed.Store(true)
	select {
	case <-stall:
	case <-time.After(30 * time.Second):
		t.Fatal("the leader never came to publish the resolution")
	}
	// The stalled replica's lease expires and a third replica takes it.
	if err := s.rdb.Del(ctx, redis.DetectorLeaseKey).Err(); err != nil {
		t.Fatal(err)
	}
	c := start("c")
	waitFor("the resolution", published(4))
	close(resume)
	time.Sleep(time.Second) // the woken replica tries to publish
	second.stop(t)
	c.stop(t)

	s.checkOnce(t, want)
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("published while not holding the lease: %v", bad)
	}
	if len(publishers) < 2 || publishers[0] == publishers[len(publishers)-1] || publishers[len(publishers)-1] != "c" {
		t.Errorf("publishers in order = %v, want the first leader, then the second, then c", publishers)
	}
}

// TestArchiveFollowsTheLog checks that alert_events catches up with the
// alert log from its checkpoint, whoever published what it lacks (a
// detector that died before archiving), and starts over on the log as it
// is when the checkpoint was trimmed off it.
func TestArchiveFollowsTheLog(t *testing.T) {
	tests := []struct {
		name      string
		published int
		// checkpoint is the index of the entry the checkpoint names, -1
		// for none; trimTo the entries the log keeps, 0 for all.
		checkpoint, trimTo int
		want               []string
	}{
		{"never archived", 3, -1, 0, []string{"e0", "e1", "e2"}},
		{"archived in part", 3, 0, 0, []string{"e1", "e2"}},
		{"all archived", 3, 2, 0, nil},
		{"checkpoint trimmed off the log", 5, 0, 2, []string{"e3", "e4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			ctx := testenv.Ctx(t)
			log := redis.NewAlertLog(s.rdb)
			var cursors []string
			for i := range tt.published {
				ev := lapor.AlertEvent{ID: fmt.Sprintf("e%d", i), Kind: lapor.AlertOpened, Service: "gojek", Level: lapor.LevelPossible, At: now.Add(time.Duration(i) * time.Second).UTC()}
				p, err := ev.Encode()
				if err != nil {
					t.Fatal(err)
				}
				c, err := log.Append(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				cursors = append(cursors, c)
			}
			if tt.checkpoint >= 0 {
				if err := s.rdb.Set(ctx, redis.DetectorArchivedKey, cursors[tt.checkpoint], 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if tt.trimTo > 0 {
				if err := s.rdb.XTrimMaxLen(ctx, redis.Alerts, int64(tt.trimTo)).Err(); err != nil {
					t.Fatal(err)
				}
			}
			cycle(t, s.detector(t), now)
			rows, err := s.conn.Query(ctx, "SELECT id FROM alert_events FINAL ORDER BY at, id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alert_events = %v, want %v", got, tt.want)
			}
			if c := s.rdb.Get(ctx, redis.DetectorArchivedKey).Val(); c != cursors[len(cursors)-1] {
				t.Errorf("checkpoint = %s, want the log's last entry %s", c, cursors[len(cursors)-1])
			}
		})
	}
}

// TestStatesWinOverWhatLoadRead checks that a detector writes incident
// versions above every version it loaded, so its states win over those of
// a replica whose clock ran ahead, or that lost the lease and still
// writes what it published before.
func TestStatesWinOverWhatLoadRead(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	s.insert(t, burst("gojek", 40, 40, now.Add(-25*time.Second), 20*time.Second, []string{"app"}, []string{"ID"}))
	cycle(t, s.detector(t), now)
	open := s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})
	if len(open) != 1 {
		t.Fatalf("open incidents = %+v, want one", open)
	}
	ahead := open[0]
	ahead.Version += uint64(time.Hour)
	ahead.LastCount = 999
	if err := clickhouse.SaveIncidents(ctx, s.conn, []lapor.Incident{ahead}); err != nil {
		t.Fatal(err)
	}

	cycle(t, s.detector(t), now.Add(time.Minute)) // a new bucket: a new state
	got := s.incidents(t, clickhouse.IncidentFilter{ID: ahead.ID})
	if len(got) != 1 || got[0].LastCount == 999 || got[0].Version <= ahead.Version {
		t.Fatalf("incident after the next detector's cycle = %+v, want its state above version %d", got, ahead.Version)
	}
}
