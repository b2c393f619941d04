package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// under runs load about a fresh service while chaos does its worst, then
// judges whether every 202 was stored once.
func under(t *testing.T, name string, chaos func(ctx context.Context, l *load) ([]string, error)) {
	t.Helper()
	ctx := context.Background()
	began := time.Now()
	svc := svcs.take(1)[0]
	l := startLoad(ctx, svc.Slug, svc.Indicators, run.rate)
	notes, err := chaos(ctx, l)
	tl := l.finish()
	r := storageRow(ctx, name, svc.Slug, began.Add(-time.Minute), tl, began)
	r.notes = append(notes, r.notes...)
	if err != nil {
		r.pass = false
		r.notes = append([]string{err.Error()}, r.notes...)
	}
	results.add(t, r)
}

// pause waits d, or less when ctx ends.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// jitter is d plus or minus half of it, so that kills fall anywhere in
// the worker's read, write and acknowledge cycle.
func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}

// scenarioWorkerKills kills the worker with SIGKILL again and again under
// load and starts a new one each time (a new consumer name, as a
// rescheduled pod gets): what the dead one held must be claimed and
// written once.
func scenarioWorkerKills(t *testing.T) {
	under(t, fmt.Sprintf("1. worker SIGKILLed %d× under load", run.workerKills), func(ctx context.Context, l *load) ([]string, error) {
		pause(ctx, time.Second)
		for i := 0; i < run.workerKills; i++ {
			kill("worker")
			if err := restart(ctx, "worker"); err != nil {
				return nil, err
			}
			pause(ctx, jitter(time.Second))
		}
		return []string{fmt.Sprintf("%d reports/s; claim-idle 3 s", run.rate)}, nil
	})
}

// scenarioTwoWorkers runs a second worker beside the first under load; one
// of them is killed midway, so the other claims what it held.
func scenarioTwoWorkers(t *testing.T) {
	under(t, "2. two workers at once", func(ctx context.Context, l *load) ([]string, error) {
		if err := startReplica(ctx, "worker", "worker2"); err != nil {
			return nil, err
		}
		pause(ctx, 4*time.Second)
		kill("worker2")
		pause(ctx, time.Second)
		if err := stopReplica("worker2"); err != nil {
			return nil, err
		}
		if err := startReplica(ctx, "worker", "worker2"); err != nil {
			return nil, err
		}
		pause(ctx, 5*time.Second)
		err := stopReplica("worker2")
		return []string{"both consume the group for 9 s; the second is SIGKILLed once and restarted"}, err
	})
}

// scenarioClickHouse freezes ClickHouse (SIGSTOP, then SIGCONT) and then
// kills and restarts it, under load: the worker must hold the reports in
// Redis and write them once ClickHouse is back.
func scenarioClickHouse(t *testing.T) {
	under(t, "3. ClickHouse paused, then SIGKILLed and restarted", func(ctx context.Context, l *load) ([]string, error) {
		pause(ctx, 2*time.Second)
		if err := st.ClickHouse.Pause(); err != nil {
			return nil, err
		}
		pause(ctx, 5*time.Second)
		if err := st.ClickHouse.Resume(); err != nil {
			return nil, err
		}
		pause(ctx, 3*time.Second)
		st.ClickHouse.Kill()
		pause(ctx, 2*time.Second)
		if err := st.ClickHouse.Start(); err != nil {
			return nil, fmt.Errorf("restart clickhouse: %w", err)
		}
		pause(ctx, 3*time.Second)
		return []string{"SIGSTOP 5 s; SIGKILL, down 2 s, restart"}, nil
	})
}

// scenarioRedis kills Redis (SIGKILL) under load and restarts it from its
// append-only file, under each appendfsync policy of the run: every report
// answered 202, before a kill or after, must be stored.
func scenarioRedis(t *testing.T) {
	for _, fsync := range run.fsyncs {
		name := fmt.Sprintf("4. Redis SIGKILLed %d× under load, appendfsync %s", run.redisKills, fsync)
		under(t, name, func(ctx context.Context, l *load) ([]string, error) {
			st.Redis.AppendFsync = fsync
			if err := rdb.ConfigSet(ctx, "appendfsync", fsync).Err(); err != nil {
				return nil, fmt.Errorf("set appendfsync %s: %w", fsync, err)
			}
			var before []int
			for i := 0; i < run.redisKills; i++ {
				pause(ctx, jitter(2*time.Second))
				st.Redis.Kill()
				before = append(before, l.t.accepted())
				pause(ctx, time.Second)
				if err := st.Redis.Start(); err != nil {
					return nil, fmt.Errorf("restart redis: %w", err)
				}
			}
			pause(ctx, 2*time.Second)
			note := "down 1 s each time; 202s before the kills: "
			for i, n := range before {
				if i > 0 {
					note += ", "
				}
				note += fmt.Sprint(n)
			}
			switch fsync {
			case "everysec":
				note += "; a process crash loses nothing (the write reaches the kernel before the reply), a power cut the last 1–2 s (not testable here)"
			case "always":
				note += "; fsync before every reply: a 202 survives a power cut too (not testable here)"
			}
			return []string{note}, nil
		})
	}
	// The rest of the run goes back to the stack's own policy.
	st.Redis.AppendFsync = ""
	if err := rdb.ConfigSet(context.Background(), "appendfsync", "always").Err(); err != nil {
		t.Errorf("restore appendfsync: %v", err)
	}
}

// scenarioBacklog stops the worker and gives the ingest a tiny backlog:
// past it the ingest must refuse with 503 and Retry-After, and every
// report it accepted must be stored once the worker is back.
func scenarioBacklog(t *testing.T) {
	ctx := context.Background()
	began := time.Now()
	svc := svcs.take(1)[0]
	name := fmt.Sprintf("5. backlog overrun (LAPOR_MAX_BACKLOG=%d, worker stopped)", run.backlog)
	tl := newTally()
	fail := func(err error) {
		r := row{scenario: name, sent: -1, accepted: -1, stored: -1, lost: -1, doubled: -1, alertsDuplicated: -1,
			notes: []string{err.Error()}, took: time.Since(began)}
		results.add(t, r)
	}
	if err := stop("worker"); err != nil {
		fail(err)
		return
	}
	if err := restart(ctx, "ingest", fmt.Sprintf("LAPOR_MAX_BACKLOG=%d", run.backlog)); err != nil {
		fail(err)
		return
	}
	people := make([]person, run.backlogSent)
	for i := range people {
		people[i] = newPerson()
	}
	sendAll(ctx, svc.Slug, svc.Indicators[0], people, 8, tl)
	// The worker comes back, then the ingest with its usual backlog.
	if err := restart(ctx, "worker"); err != nil {
		fail(err)
		return
	}
	if err := restart(ctx, "ingest"); err != nil {
		fail(err)
		return
	}
	r := storageRow(ctx, name, svc.Slug, began.Add(-time.Minute), tl, began)
	tl.mu.Lock()
	refused := tl.statuses[http.StatusServiceUnavailable]
	tl.mu.Unlock()
	if refused == 0 {
		r.pass = false
		r.notes = append([]string{"no 503: the backlog bound never refused"}, r.notes...)
	}
	if r.accepted > run.backlog {
		r.pass = false
		r.notes = append([]string{fmt.Sprintf("%d accepted past a backlog of %d", r.accepted, run.backlog)}, r.notes...)
	}
	results.add(t, r)
}
