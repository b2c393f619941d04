package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// fixture is a clean Redis database and a migrated ClickHouse database.
type fixture struct {
	ctx   context.Context
	rdb   goredis.UniversalClient
	conn  driver.Conn
	store Writer // saves to conn
}

func setup(t testing.TB) *fixture {
	t.Helper()
	testenv.Need(t, env)
	return setupWith(t, env.Config(t))
}

func setupWith(t testing.TB, cfg config.Common) *fixture {
	t.Helper()
	ctx := testenv.Ctx(t)
	rdb, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: ctx, rdb: rdb, conn: conn, store: saveReports(conn)}
}

// saveReports is the Writer the worker runs with.
func saveReports(conn driver.Conn) Writer {
	return WriterFunc(func(ctx context.Context, reps []lapor.Report) error { return clickhouse.SaveReports(ctx, conn, reps) })
}

// makeReports builds n reports spread over services and symptoms, and the
// count expected for each service+symptom.
func makeReports(prefix string, n int) ([]lapor.Report, map[testenv.ReportGroup]uint64) {
	services := []string{"gojek", "bca", "whatsapp", "tokopedia"}
	symptoms := []string{"login", "app", "payments"}
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]lapor.Report, n)
	for i := range out {
		out[i] = lapor.Report{
			ID:       fmt.Sprintf("%s-%06d", prefix, i),
			Service:  services[i%len(services)],
			Symptom:  symptoms[(i/len(services))%len(symptoms)],
			Time:     now.Add(-time.Duration(i%120) * time.Second),
			Country:  "ID",
			Reporter: fmt.Sprintf("who-%d", i%50),
			Platform: "web",
		}
	}
	return out, testenv.WantReports(out)
}

func addAll(t testing.TB, f *fixture, reps []lapor.Report) {
	t.Helper()
	const chunk = 2000
	for lo := 0; lo < len(reps); lo += chunk {
		p := f.rdb.Pipeline()
		for _, r := range reps[lo:min(lo+chunk, len(reps))] {
			v, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			p.XAdd(f.ctx, &goredis.XAddArgs{Stream: redis.Reports, Values: []any{redis.ReportField, v}})
		}
		if _, err := p.Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func mergeWant(ws ...map[testenv.ReportGroup]uint64) map[testenv.ReportGroup]uint64 {
	out := map[testenv.ReportGroup]uint64{}
	for _, w := range ws {
		for k, n := range w {
			out[k] += n
		}
	}
	return out
}

// running is a Consumer running in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, f *fixture, w Writer, cfg testConfig) *running {
	t.Helper()
	log := cfg.Log
	if log == nil {
		log = logging.Discard()
	}
	c, err := New(f.group(t, cfg.Consumer), w, cfg.Config, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the consumer and returns what Run returned.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if !ok {
			return nil
		}
		close(r.done)
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("consumer did not stop within 20s")
		return nil
	}
}

func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) xlen(t testing.TB) int64 {
	t.Helper()
	n, err := f.rdb.XLen(f.ctx, redis.Reports).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) pending(t testing.TB) int64 {
	t.Helper()
	p, err := f.rdb.XPending(f.ctx, redis.Reports, redis.ReportsGroup).Result()
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") {
			return 0
		}
		t.Fatal(err)
	}
	return p.Count
}

func (f *fixture) drained(t testing.TB) func() bool {
	return func() bool { return f.xlen(t) == 0 && f.pending(t) == 0 }
}

func (f *fixture) rawCount(t testing.TB) uint64 {
	t.Helper()
	return testenv.DistinctReports(f.ctx, t, f.conn)
}

// checkExact asserts ClickHouse counts every report exactly once, in the
// raw table and in the rollup, and that the stream holds nothing more.
func (f *fixture) checkExact(t testing.TB, want map[testenv.ReportGroup]uint64) {
	t.Helper()
	testenv.CheckReports(f.ctx, t, f.conn, want)
	if n := f.xlen(t); n != 0 {
		t.Errorf("XLEN = %d, want 0", n)
	}
	if n := f.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

// testConfig is a Consumer's Config and the name it reads the group as.
type testConfig struct {
	Config
	Consumer string
	Log      *slog.Logger // nil: logs are discarded
}

// group is the default report stream's group as consumer name.
func (f *fixture) group(t testing.TB, name string) *redis.ReportGroup {
	t.Helper()
	g, err := redis.NewReportGroup(f.rdb, redis.GroupConfig{Consumer: name})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fastConfig(name string) testConfig {
	return testConfig{Consumer: name, Config: Config{
		BatchSize:     1000,
		FlushInterval: 50 * time.Millisecond,
		ClaimInterval: 100 * time.Millisecond,
		ClaimIdle:     time.Hour,
		RetryMin:      20 * time.Millisecond,
		RetryMax:      200 * time.Millisecond,
		ShutdownGrace: 5 * time.Second,
	}}
}

func TestWritesEveryReportExactlyOnce(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		batchSize int
		flush     time.Duration
	}{
		// Several full batches and a partial one the timer flushes.
		{name: "size and time thresholds", n: 2500, batchSize: 1000, flush: 50 * time.Millisecond},
		// Only the timer ever flushes.
		{name: "time threshold only", n: 300, batchSize: 100000, flush: 100 * time.Millisecond},
		// Every report is its own batch.
		{name: "batch of one", n: 40, batchSize: 1, flush: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			reps, want := makeReports("r", tt.n)
			// Half before the consumer starts, half while it runs.
			addAll(t, f, reps[:tt.n/2])
			cfg := fastConfig("c1")
			cfg.BatchSize, cfg.FlushInterval = tt.batchSize, tt.flush
			r := start(t, f, f.store, cfg)
			addAll(t, f, reps[tt.n/2:])
			waitFor(t, "stream drained", 30*time.Second, f.drained(t))
			if err := r.stop(t); err != nil {
				t.Fatalf("Run: %v", err)
			}
			f.checkExact(t, want)
		})
	}
}

func TestClickHouseDownMidRun(t *testing.T) {
	testenv.Need(t, env)
	ch, err := testenv.StartClickHouse()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Stop)
	cfg := env.Config(t)
	cfg.ClickHouseAddr = ch.Addr
	f := setupWith(t, cfg)

	before, want1 := makeReports("before", 500)
	during, want2 := makeReports("during", 700)
	ccfg := fastConfig("c1")
	// A fixed batch size, so that what is held is known exactly.
	ccfg.BatchSize, ccfg.BatchMax = 200, 200
	// Storage is down longer than this: the consumer must keep its held
	// entries from looking abandoned and still write them once.
	ccfg.ClaimIdle = 300 * time.Millisecond
	r := start(t, f, f.store, ccfg)
	addAll(t, f, before)
	waitFor(t, "first reports written", 30*time.Second, f.drained(t))

	ch.Kill()
	addAll(t, f, during)
	// The consumer holds the batch it is writing and at most the one it
	// read meanwhile, and reads nothing more until storage takes them.
	waitFor(t, "a batch read and held", 10*time.Second, func() bool { return f.pending(t) > 0 })
	time.Sleep(time.Second)
	if n := f.xlen(t); n != int64(len(during)) {
		t.Errorf("XLEN with ClickHouse down = %d, want %d (nothing acked)", n, len(during))
	}
	if n := f.pending(t); n < 1 || n > 2*int64(ccfg.BatchSize) {
		t.Errorf("pending with ClickHouse down = %d, want at most two batches of %d", n, ccfg.BatchSize)
	}

	if err := ch.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reports written after ClickHouse is back", 60*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, mergeWant(want1, want2))
}

func TestDeadConsumerIsReclaimed(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 1500)
	addAll(t, f, reps)
	// Consumer A reads everything and dies without acking.
	if err := f.rdb.XGroupCreateMkStream(f.ctx, redis.Reports, redis.ReportsGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	res, err := f.rdb.XReadGroup(f.ctx, &goredis.XReadGroupArgs{
		Group: redis.ReportsGroup, Consumer: "A", Streams: []string{redis.Reports, ">"}, Count: 1000000, Block: -1,
	}).Result()
	if err != nil || len(res[0].Messages) != len(reps) {
		t.Fatalf("consumer A read %v, err %v", len(res), err)
	}
	started := time.Now()
	cfg := fastConfig("B")
	cfg.ClaimIdle = 500 * time.Millisecond
	r := start(t, f, f.store, cfg)
	waitFor(t, "abandoned reports reclaimed", 30*time.Second, f.drained(t))
	if took := time.Since(started); took < 400*time.Millisecond {
		t.Errorf("reclaimed after %s, before claim-idle", took)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, want)
}

// lostAck writes a batch and then reports failure, as if the worker died
// between ClickHouse taking the batch and Redis getting the ack.
type lostAck struct {
	w     Writer
	calls atomic.Int32
	lost  atomic.Int32
}

func (l *lostAck) Write(ctx context.Context, reps []lapor.Report) error {
	l.calls.Add(1)
	if err := l.w.Write(ctx, reps); err != nil {
		return err
	}
	if l.lost.Add(1) <= 2 {
		return errors.New("connection reset after insert")
	}
	return nil
}

func TestRetriedBatchIsNotCountedTwice(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 1200)
	addAll(t, f, reps)
	w := &lostAck{w: f.store}
	r := start(t, f, w, fastConfig("c1"))
	waitFor(t, "stream drained", 30*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if w.calls.Load() < 3 {
		t.Fatalf("writer called %d times, want the first batch sent three times", w.calls.Load())
	}
	f.checkExact(t, want)
}

func TestResumesOwnPendingAfterRestart(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 800)
	addAll(t, f, reps)
	// A consumer whose storage is down holds a batch and is shut down: its
	// grace runs out, so the batch is left pending, not lost.
	down := WriterFunc(func(context.Context, []lapor.Report) error { return errors.New("clickhouse down") })
	cfg := fastConfig("c1")
	cfg.BatchSize = 300
	cfg.ShutdownGrace = 200 * time.Millisecond
	r := start(t, f, down, cfg)
	waitFor(t, "a batch held", 10*time.Second, func() bool { return f.pending(t) == 300 })
	err := r.stop(t)
	if err == nil {
		t.Fatal("Run returned nil though its held batch could not be written")
	}
	if n := f.xlen(t); n != int64(len(reps)) {
		t.Fatalf("XLEN = %d, want %d", n, len(reps))
	}
	if n := f.pending(t); n != 300 {
		t.Fatalf("pending = %d, want 300", n)
	}
	// Restarted under the same name, with claiming effectively off, it
	// must find its own pending entries first.
	r = start(t, f, f.store, fastConfig("c1"))
	waitFor(t, "stream drained", 30*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, want)
}

func TestBadEntriesAreDeadLettered(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 30)
	bad := goodReport("bad-1")
	bad.Symptom = ""
	type badEntry struct {
		values []any
		reason string
	}
	bads := []badEntry{
		{values: []any{redis.ReportField, "not json"}, reason: "decode report"},
		{values: []any{redis.ReportField, encode(t, bad)}, reason: "symptom missing"},
		{values: []any{"something", "else"}, reason: `no "r" field`},
	}
	// Bad entries are spread among the good ones, inside the same batches.
	ids := map[string]badEntry{}
	for i, r := range reps {
		addAll(t, f, []lapor.Report{r})
		if i%10 == 5 {
			b := bads[i/10]
			id, err := f.rdb.XAdd(f.ctx, &goredis.XAddArgs{Stream: redis.Reports, Values: b.values}).Result()
			if err != nil {
				t.Fatal(err)
			}
			ids[id] = b
		}
	}
	cfg := fastConfig("c1")
	cfg.FlushInterval = 200 * time.Millisecond
	r := start(t, f, f.store, cfg)
	waitFor(t, "stream drained", 30*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, want)

	dead, err := f.rdb.XRange(f.ctx, redis.DeadLetter(redis.Reports), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != len(bads) {
		t.Fatalf("dead-letter stream has %d entries, want %d", len(dead), len(bads))
	}
	for _, d := range dead {
		id, _ := d.Values[redis.DeadIDField].(string)
		b, ok := ids[id]
		if !ok {
			t.Errorf("dead letter for unknown entry %q: %v", id, d.Values)
			continue
		}
		reason, _ := d.Values[redis.DeadReasonField].(string)
		if !strings.Contains(reason, b.reason) {
			t.Errorf("entry %s: reason %q, want it to contain %q", id, reason, b.reason)
		}
		raw, _ := d.Values[redis.DeadRawField].(string)
		if b.values[0] == redis.ReportField && raw != b.values[1] {
			t.Errorf("entry %s: raw %q, want %q", id, raw, b.values[1])
		}
	}
}

func TestShutdownFlushesHeldBatch(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 25)
	cfg := fastConfig("c1")
	// Neither threshold would ever flush these.
	cfg.BatchSize, cfg.FlushInterval = 1000, time.Hour
	r := start(t, f, f.store, cfg)
	addAll(t, f, reps)
	waitFor(t, "reports read and held", 10*time.Second, func() bool { return f.pending(t) == int64(len(reps)) })
	time.Sleep(100 * time.Millisecond)
	if got := f.rawCount(t); got != 0 {
		t.Fatalf("%d reports written before shutdown, want 0 (held)", got)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Run has returned: everything must already be written and acked.
	f.checkExact(t, want)
}

func TestRedisRestartWithAppendOnlyFile(t *testing.T) {
	testenv.Need(t, env)
	rs, err := testenv.StartRedis(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Stop)
	cfg := env.Config(t)
	cfg.RedisAddr = rs.Addr
	f := setupWith(t, cfg)

	before, want1 := makeReports("before", 600)
	after, want2 := makeReports("after", 400)
	ccfg := fastConfig("c1")
	ccfg.BatchSize = 250
	// A read that Redis carried out just before it died, whose reply was
	// lost, may be retried by go-redis on the new Redis without an error:
	// the entries it moved to this consumer's pending list are then known
	// only to Redis, and the claim pass takes them back once they have
	// been idle this long (ClaimIdle; its default in production is longer).
	ccfg.ClaimIdle = 2 * time.Second
	r := start(t, f, f.store, ccfg)
	addAll(t, f, before)
	waitFor(t, "first reports being written", 30*time.Second, func() bool { return f.rawCount(t) > 0 })
	// Restart Redis while the consumer runs: the group and its pending
	// entries come back from the append-only file.
	rs.Kill()
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	addAll(t, f, after)
	waitFor(t, "stream drained after Redis restart", 60*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, mergeWant(want1, want2))
}

// consumers lists the group's consumers by name, with their pending counts.
func (f *fixture) consumers(t testing.TB) map[string]int64 {
	t.Helper()
	list, err := f.rdb.XInfoConsumers(f.ctx, redis.Reports, redis.ReportsGroup).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range list {
		out[c.Name] = c.Pending
	}
	return out
}

// joinGroup makes name a consumer of the group holding n pending entries
// (none: the consumer is only created).
func (f *fixture) joinGroup(t testing.TB, name string, n int64) {
	t.Helper()
	if n == 0 {
		if err := f.rdb.XGroupCreateConsumer(f.ctx, redis.Reports, redis.ReportsGroup, name).Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	res, err := f.rdb.XReadGroup(f.ctx, &goredis.XReadGroupArgs{
		Group: redis.ReportsGroup, Consumer: name, Streams: []string{redis.Reports, ">"}, Count: n, Block: -1,
	}).Result()
	if err != nil || len(res) != 1 || int64(len(res[0].Messages)) != n {
		t.Fatalf("consumer %s read %v, err %v; want %d entries", name, res, err, n)
	}
}

// Workers that died leave their consumer in the group; the ones idle long
// with nothing pending are deleted, and no other.
func TestIdleConsumersAreRemoved(t *testing.T) {
	f := setup(t)
	reps, _ := makeReports("r", 20)
	addAll(t, f, reps)
	if err := f.rdb.XGroupCreateMkStream(f.ctx, redis.Reports, redis.ReportsGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig("self")
	cfg.PruneIdle = 500 * time.Millisecond
	tests := []struct {
		name    string
		pending int64
		stale   bool // idle longer than PruneIdle
		kept    bool
	}{
		{"dead-empty-1", 0, true, false},
		{"dead-empty-2", 0, true, false},
		{"dead-with-pending", 3, true, true},
		{"live-empty", 0, false, true},
		{"live-with-pending", 2, false, true},
		{"self", 0, true, true}, // this consumer, were it quiet that long
	}
	for _, stale := range []bool{true, false} {
		for _, tt := range tests {
			if tt.stale == stale {
				f.joinGroup(t, tt.name, tt.pending)
			}
		}
		if stale {
			time.Sleep(cfg.PruneIdle + 200*time.Millisecond)
		}
	}
	c, err := New(f.group(t, cfg.Consumer), f.store, cfg.Config, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := c.prune(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	left := f.consumers(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pending, ok := left[tt.name]
			if ok != tt.kept {
				t.Fatalf("in the group after pruning: %v, want %v (left: %v, deleted: %v)", ok, tt.kept, left, deleted)
			}
			if ok && pending != tt.pending {
				t.Errorf("pending %d, want %d", pending, tt.pending)
			}
		})
	}
	if len(deleted) != 2 {
		t.Errorf("deleted %v, want the two dead empty consumers", deleted)
	}
}

// A running worker claims a dead consumer's entries, writes them, and then
// deletes the consumer it took them from, at start and later alike.
func TestRunRemovesDeadConsumers(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 50)
	addAll(t, f, reps)
	if err := f.rdb.XGroupCreateMkStream(f.ctx, redis.Reports, redis.ReportsGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	f.joinGroup(t, "dead-with-pending", 30)
	f.joinGroup(t, "dead-empty", 0)
	cfg := fastConfig("B")
	cfg.ClaimIdle = 300 * time.Millisecond
	cfg.PruneIdle = 600 * time.Millisecond
	r := start(t, f, f.store, cfg)
	waitFor(t, "dead consumers removed", 30*time.Second, func() bool {
		left := f.consumers(t)
		_, self := left["B"]
		return len(left) == 1 && self
	})
	waitFor(t, "stream drained", 30*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, want)
}

// TestBeatsWhileItGoesRound checks the liveness hook: the loop beats while
// the stream is quiet and keeps beating while storage refuses a batch (a
// dependency down is no reason to restart the worker), and stops beating
// once Run has returned.
func TestBeatsWhileItGoesRound(t *testing.T) {
	f := setup(t)
	var beats atomic.Int64
	cfg := fastConfig("beat")
	cfg.Beat = func() { beats.Add(1) }
	refuse := WriterFunc(func(context.Context, []lapor.Report) error { return errors.New("storage down") })
	r := start(t, f, refuse, cfg)
	waitFor(t, "beats while quiet", 10*time.Second, func() bool { return beats.Load() >= 3 })
	reps, _ := makeReports("beat", 10)
	addAll(t, f, reps)
	waitFor(t, "a batch held", 10*time.Second, func() bool { return f.pending(t) > 0 })
	held := beats.Load()
	waitFor(t, "beats while storage refuses", 10*time.Second, func() bool { return beats.Load() >= held+3 })
	_ = r.stop(t) // the held batch cannot be written: Run says so
	after := beats.Load()
	time.Sleep(300 * time.Millisecond)
	if got := beats.Load(); got != after {
		t.Errorf("%d beats after Run returned", got-after)
	}
}

// gatedWriter records each batch's size and holds the batches from the
// gated-th on until open is closed.
type gatedWriter struct {
	w     Writer
	gated int
	open  chan struct{}
	mu    sync.Mutex
	sizes []int
}

func (g *gatedWriter) Write(ctx context.Context, reps []lapor.Report) error {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(reps))
	n := len(g.sizes)
	g.mu.Unlock()
	if n >= g.gated {
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.w.Write(ctx, reps)
}

func (g *gatedWriter) batches() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.sizes)
}

// TestReadsAheadAndGrowsBatchesWithBacklog checks the pipeline and the
// adaptive size: while a batch is being written the next one is read (and
// no more), batches double while the backlog lasts up to BatchMax, and the
// end of the backlog is written without waiting for FlushInterval.
func TestReadsAheadAndGrowsBatchesWithBacklog(t *testing.T) {
	f := setup(t)
	reps, want := makeReports("r", 3000)
	addAll(t, f, reps)
	w := &gatedWriter{w: f.store, gated: 2, open: make(chan struct{})}
	cfg := fastConfig("c1")
	cfg.BatchSize, cfg.BatchMax, cfg.FlushInterval = 100, 400, time.Hour
	r := start(t, f, w, cfg)
	// The first batch is written alone; the second (still 100: a first
	// flight must land before batches grow) is held at the gate while the
	// third, twice as large, is read, and nothing more.
	waitFor(t, "the third batch read while the second is written", 10*time.Second, func() bool { return f.pending(t) == 300 })
	time.Sleep(200 * time.Millisecond)
	if n := f.pending(t); n != 300 {
		t.Fatalf("pending while a batch is being written = %d, want 300 (that batch and the one read meanwhile)", n)
	}
	close(w.open)
	waitFor(t, "stream drained", 30*time.Second, f.drained(t))
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	f.checkExact(t, want)
	wantSizes := []int{100, 100, 200, 400, 400, 400, 400, 400, 400, 200}
	if got := w.batches(); !slices.Equal(got, wantSizes) {
		t.Errorf("batch sizes %v, want %v", got, wantSizes)
	}
}
