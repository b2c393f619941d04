// Package reliability is Lapor's reliability suite (`make reliability`).
// It runs the whole stack as processes on a private Redis and ClickHouse
// (package stack), then crashes, pauses and restarts those processes under
// load, attacks the counting of reporters, and exhausts the partner event
// stream, and prints one table: per scenario the reports sent, answered
// 202, stored, lost and doubled, the alert events duplicated, and the
// verdict. Each scenario is a subtest that fails when its verdict does.
//
// Scenarios: 1 worker SIGKILLed repeatedly under load; 2 two workers; 3
// ClickHouse paused (SIGSTOP) then SIGKILLed and restarted; 4 Redis
// SIGKILLed and restarted from its append-only file under appendfsync
// everysec (and always); 5 backlog overrun with the worker stopped; 6 the
// web SIGKILLed under a partner's event stream; 7 attacks on the counting
// of reporters, and a real crowd behind a carrier-grade NAT; 8 120 event
// streams from one partner key; 9 the detector SIGKILLed each time it
// publishes while incidents open, escalate and end, with two detectors in
// some rounds. The short run (the default, part of `make test`, about a
// minute and a half) is 1, 4, 5, 6, 7 and 9 with fewer kills, and judges
// only the incident ends that come before its foreground scenarios are
// over; the full run (`make reliability`, about four to six minutes on 2
// cores) is all of them.
//
// Settings (environment):
//
//	LAPOR_RELIABILITY=full        every scenario, with more kills and reports
//	                              (default: the short run that `make test` runs)
//	LAPOR_RELIABILITY_OUT=PATH    also write the table as Markdown to PATH
//	                              (relative to the repository root)
//	LAPOR_RELIABILITY_BINDIR=DIR  use service binaries already built in DIR
//	                              instead of building them
//	LAPOR_RELIABILITY_LOGS=DIR    keep the services' logs in DIR
//	LAPOR_SKIP_INTEGRATION=1      skip (no servers)
package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// netCap is how many reporters of one network the ingest counts per
// service and dedupe window; the suite sets it explicitly so that its
// attack verdicts and the ingest agree.
const netCap = 20

var (
	st      *stack.Stack
	binDir  string // the service binaries under test
	logDir  string // the services' logs, printed in part when a run fails
	repo    string // the repository root
	rdb     goredis.UniversalClient
	cat     *catalog.Catalog
	run     = planFor(os.Getenv("LAPOR_RELIABILITY"))
	started time.Time

	// procMu serialises starting, stopping and killing the stack's
	// processes: the background alert scenarios restart the detector and
	// the web while the storage scenarios restart the worker and the
	// ingest, and stack.Stack is not safe for concurrent use.
	procMu sync.Mutex
)

// plan is how much a run does: the short run is part of `make test`; the
// full run is `make reliability`.
type plan struct {
	name string
	full bool
	// rate is the load's reports a second during a storage scenario.
	rate int
	// workerKills is how many times the worker is killed in scenario 1.
	workerKills int
	// redisKills is how many times Redis is killed per appendfsync policy.
	redisKills int
	// fsyncs are the appendfsync policies scenario 4 runs under.
	fsyncs []string
	// backlog is the ingest's LAPOR_MAX_BACKLOG in scenario 5, and
	// backlogSent the reports sent against it.
	backlog, backlogSent int
	// crowd is how many people are behind the carrier-grade NAT of 7e.
	crowd int
	// rounds of incidents of scenario 9, each over alertServices services.
	rounds, alertServices int
	// detectorKills and webKills bound the kills of scenarios 9 and 6.
	detectorKills, webKills int
	// twoDetectors lists the rounds (from 0) run with a second detector.
	twoDetectors []int
	// scenarios that this run includes, by number.
	scenarios []string
}

func planFor(mode string) plan {
	if mode == "full" {
		return plan{
			name: "full", full: true, rate: 400,
			workerKills: 40, redisKills: 3, fsyncs: []string{"everysec", "always"},
			backlog: 200, backlogSent: 1000, crowd: 4000,
			rounds: 2, alertServices: 2, detectorKills: 10, webKills: 5, twoDetectors: []int{1},
			scenarios: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"},
		}
	}
	return plan{
		name: "short", rate: 250,
		workerKills: 10, redisKills: 2, fsyncs: []string{"everysec"},
		backlog: 200, backlogSent: 500, crowd: 1500,
		rounds: 1, alertServices: 2, detectorKills: 3, webKills: 2, twoDetectors: []int{0},
		scenarios: []string{"1", "4", "5", "6", "7", "9"},
	}
}

func (p plan) has(scenario string) bool { return slices.Contains(p.scenarios, scenario) }

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		return m.Run()
	}
	started = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wd, _ := os.Getwd()
	var err error
	if repo, err = stack.Root(wd); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "lapor-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	logDir = filepath.Join(tmp, "logs")
	if d := os.Getenv("LAPOR_RELIABILITY_LOGS"); d != "" {
		logDir = d
	}
	binDir = os.Getenv("LAPOR_RELIABILITY_BINDIR")
	if binDir == "" {
		binDir = filepath.Join(tmp, "bin")
		if err := stack.Build(ctx, repo, binDir, stack.Services...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if cat, err = catalog.Load(); err != nil {
		fmt.Fprintln(os.Stderr, "load catalog:", err)
		return 1
	}
	st, err = stack.Start(ctx, stack.Options{
		BinDir: binDir,
		LogDir: logDir,
		Env: map[string][]string{
			"*": {"LAPOR_LOG_LEVEL=info"},
			// Every simulated person comes through X-Forwarded-For from
			// loopback, as the e2e tests do. The rate limits are the
			// defaults: the load spreads people over networks as real
			// traffic is spread.
			"ingest": {"LAPOR_TRUSTED_PROXIES=127.0.0.0/8", "LAPOR_REPORTER_SECRET=reliability", "LAPOR_NET_CAP=" + strconv.Itoa(netCap)},
			// A dead worker's reports are claimed after 3 s instead of
			// 30 s, so that forty kills fit in a minute.
			"worker": {"LAPOR_FLUSH_INTERVAL=200ms", "LAPOR_CLAIM_IDLE=3s", "LAPOR_CLAIM_INTERVAL=1s"},
			// Incidents are judged every second and end after one quiet
			// minute, so that one opens, escalates and ends within two.
			"detector": {"LAPOR_INTERVAL=1s", "LAPOR_RESOLVE_AFTER=1m"},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		if st != nil {
			st.Stop()
		}
		return 1
	}
	if rdb, err = redis.Open(ctx, config.Common{RedisAddr: st.Redis.Addr}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		st.Stop()
		return 1
	}
	code := m.Run()
	rdb.Close()
	procMu.Lock()
	if err := st.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop stack:", err)
	}
	procMu.Unlock()
	if code != 0 {
		printLogs()
	}
	return code
}

// printLogs prints the end of every service's log, to say why a run failed.
func printLogs() {
	names, _ := filepath.Glob(filepath.Join(logDir, "*.log"))
	for _, n := range names {
		b, _ := os.ReadFile(n)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		fmt.Fprintf(os.Stderr, "--- %s (tail)\n%s\n", filepath.Base(n), b)
	}
}

func need(t *testing.T) {
	t.Helper()
	if st == nil {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
}

// withConn runs f on a fresh connection to the stack's ClickHouse, again
// until it succeeds or about ten seconds have passed: scenario 3 kills the
// server under every connection.
func withConn(ctx context.Context, f func(driver.Conn) error) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var conn driver.Conn
		if conn, err = st.Conn(ctx); err == nil {
			err = f(conn)
			conn.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	return err
}

// restart (re)starts a service, with extra settings when given; a process
// still running is stopped first with SIGTERM, as a rolling update would.
// A service that cannot start (Redis or ClickHouse is down: another
// scenario killed it) is tried again every second for a minute, as a
// supervisor restarts a crashing process.
func restart(ctx context.Context, name string, extra ...string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := restartOnce(ctx, name, extra)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		pause(ctx, time.Second)
	}
}

func restartOnce(ctx context.Context, name string, extra []string) error {
	procMu.Lock()
	defer procMu.Unlock()
	if p := st.Procs[name]; p != nil {
		if done, _ := p.Exited(); !done {
			if err := p.Stop(20 * time.Second); err != nil {
				return fmt.Errorf("stop %s before restarting it: %w", name, err)
			}
		}
	}
	if err := st.StartServiceEnv(ctx, name, extra); err != nil {
		return fmt.Errorf("restart %s: %w", name, err)
	}
	return nil
}

// kill ends a service's process at once, as a crash (or the OOM killer)
// would.
func kill(name string) {
	procMu.Lock()
	p := st.Procs[name]
	procMu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// stop ends a service's process with SIGTERM, as a deployment would.
func stop(name string) error {
	procMu.Lock()
	p := st.Procs[name]
	procMu.Unlock()
	if p == nil {
		return fmt.Errorf("stop %s: not started", name)
	}
	if err := p.Stop(20 * time.Second); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// startReplica starts a second process of a service.
func startReplica(ctx context.Context, name, replica string) error {
	procMu.Lock()
	defer procMu.Unlock()
	if err := st.StartReplica(ctx, name, replica, nil); err != nil {
		return fmt.Errorf("start %s: %w", replica, err)
	}
	return nil
}

// stopReplica stops a replica and forgets it, so that the stack's Stop
// does not stop it again.
func stopReplica(replica string) error {
	procMu.Lock()
	p := st.Procs[replica]
	delete(st.Procs, replica)
	procMu.Unlock()
	if p == nil {
		return nil
	}
	if done, _ := p.Exited(); done {
		return nil
	}
	if err := p.Stop(20 * time.Second); err != nil {
		return fmt.Errorf("stop %s: %w", replica, err)
	}
	return nil
}

// serviceURL is a service's base URL.
func serviceURL(name string) string {
	procMu.Lock()
	defer procMu.Unlock()
	return st.URL(name)
}

// services hands each scenario catalog services of its own, so that what
// one scenario stores or alerts never mixes with another's. The order is
// fixed, so a run is repeatable.
type services struct {
	mu   sync.Mutex
	next int
}

var svcs services

// take returns n services no scenario has had yet.
func (s *services) take(n int) []lapor.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := cat.All()
	if s.next+n > len(all) {
		panic(fmt.Sprintf("catalog has %d services; the suite needs more", len(all)))
	}
	out := all[s.next : s.next+n]
	s.next += n
	return out
}

// slugs lists the services' slugs.
func slugs(ss []lapor.Service) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Slug
	}
	return out
}
