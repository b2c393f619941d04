package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
)

// rawDatabase is where the reference inserts: a database of its own with
// the same schema, so the worker's tables are left as they are.
const rawDatabase = "lapor_bench_raw"

// worker queues Backlog reports with the worker stopped, starts it, and
// times it until every report is written and acknowledged; then inserts
// the same reports with clickhouse-go alone, in batches of RawBatch, into
// a fresh database with the same tables (the rollup's view included).
func (r *runner) worker(ctx context.Context) error {
	rdb, err := r.redis(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()
	streams, err := redis.ReportStreams(1)
	if err != nil {
		return err
	}
	stream := streams[0]
	// What earlier benchmarks queued is written first.
	if err := waitEmpty(ctx, rdb, stream, 3*time.Minute); err != nil {
		return fmt.Errorf("before queueing: %w", err)
	}
	conn, err := r.stack.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to ClickHouse: %w", err)
	}
	defer conn.Close()
	before, err := distinctReports(ctx, conn)
	if err != nil {
		return err
	}

	if err := r.stack.Procs["worker"].Stop(30 * time.Second); err != nil {
		return fmt.Errorf("stop the worker: %w", err)
	}
	r.say("queueing %d reports with the worker stopped", r.cfg.Backlog)
	began := time.Now()
	base := time.Now().UTC().Add(-24 * time.Hour)
	pipe := rdb.Pipeline()
	for i := range r.cfg.Backlog {
		rep := r.benchReport(i, base)
		v, err := rep.Encode()
		if err != nil {
			return err
		}
		pipe.XAdd(ctx, &goredis.XAddArgs{Stream: stream, Values: []string{redis.ReportField, v}})
		if pipe.Len() == 5000 || i == r.cfg.Backlog-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("queue reports: %w", err)
			}
		}
	}
	r.say("queued in %s", time.Since(began).Round(100*time.Millisecond))

	began = time.Now()
	if err := r.stack.StartService(ctx, "worker"); err != nil {
		return fmt.Errorf("start the worker: %w", err)
	}
	if err := waitEmpty(ctx, rdb, stream, max(3*time.Minute, time.Duration(r.cfg.Backlog/2000)*time.Second)); err != nil {
		return fmt.Errorf("catching up: %w", err)
	}
	took := time.Since(began)
	dead, err := rdb.XLen(ctx, redis.DeadLetter(stream)).Result()
	if err != nil {
		return fmt.Errorf("dead letters: %w", err)
	}
	if dead > 0 {
		return fmt.Errorf("the worker dead-lettered %d of the queued reports (see %s)", dead, r.cfg.LogDir)
	}
	if err := waitCount(ctx, conn, before+uint64(r.cfg.Backlog), 30*time.Second); err != nil {
		return err
	}
	workerRate := float64(r.cfg.Backlog) / took.Seconds()
	fmt.Fprintf(r.out, "worker: %d queued reports written and acknowledged in %s (the worker's start included)\n", r.cfg.Backlog, took.Round(time.Millisecond))

	rawRate, err := r.rawInsert(ctx, base)
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	rt := ratio(workerRate, rawRate)
	fmt.Fprintf(r.out, "raw clickhouse-go: %d reports in batches of %d at %.0f rows/s (insert time only)\n", r.cfg.Backlog, r.cfg.RawBatch, rawRate)
	fmt.Fprintf(r.out, "worker rows/s: %.0f (ratio to raw insert at batch %d: %s)\n", workerRate, r.cfg.RawBatch, rt)
	r.summary = append(r.summary, row{fmt.Sprintf("worker, %s queued reports → ClickHouse", thousands(float64(r.cfg.Backlog))), "≥ 150,000 rows/s",
		fmt.Sprintf("%s rows/s", thousands(workerRate)), fmt.Sprintf("clickhouse-go, batches of %s: %s rows/s", thousands(float64(r.cfg.RawBatch)), thousands(rawRate)), rt})
	return nil
}

// benchReport is queued report i: the services in turn, spread over the
// day before base+24h, each from a reporter of its own, twenty to a
// network.
func (r *runner) benchReport(i int, base time.Time) lapor.Report {
	svc := &r.services[i%len(r.services)]
	h := fnv.New128a()
	h.Write(strconv.AppendInt(nil, int64(i), 10))
	key := hex.EncodeToString(h.Sum(nil))
	country := "ID"
	if len(svc.Countries) > 0 && svc.Countries[0] != "" {
		country = svc.Countries[i%len(svc.Countries)]
	}
	return lapor.Report{
		ID:       "bench-" + strconv.Itoa(i),
		Service:  svc.Slug,
		Symptom:  svc.Indicators[(i/len(r.services))%len(svc.Indicators)],
		Time:     base.Add(time.Duration(i) * (24 * time.Hour) / time.Duration(r.cfg.Backlog)).Truncate(time.Second),
		Country:  country,
		Platform: "web",
		Reporter: key,
		Network:  key[:16] + strconv.Itoa(i/20),
	}
}

// rawInsert writes the queued reports again, straight through
// clickhouse.SaveReports (clickhouse-go's PrepareBatch, column appends and
// Send) with no stream in between, into a fresh database with the same
// schema, and returns rows a second of the inserts alone.
func (r *runner) rawInsert(ctx context.Context, base time.Time) (float64, error) {
	c := config.Common{ClickHouseAddr: r.stack.ClickHouse.Addr, ClickHouseDB: rawDatabase, ClickHouseUser: "default"}
	conn, err := clickhouse.Open(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", rawDatabase, err)
	}
	defer conn.Close()
	defer func() { _ = conn.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+rawDatabase) }()
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		return 0, fmt.Errorf("migrate %s: %w", rawDatabase, err)
	}
	var spent time.Duration
	for from := 0; from < r.cfg.Backlog; from += r.cfg.RawBatch {
		to := min(from+r.cfg.RawBatch, r.cfg.Backlog)
		reps := make([]lapor.Report, 0, to-from)
		for i := from; i < to; i++ {
			reps = append(reps, r.benchReport(i, base))
		}
		began := time.Now()
		if err := clickhouse.SaveReports(ctx, conn, reps); err != nil {
			return 0, err
		}
		spent += time.Since(began)
	}
	n, err := distinctReports(ctx, conn)
	if err != nil {
		return 0, err
	}
	if n != uint64(r.cfg.Backlog) {
		return 0, fmt.Errorf("%s holds %d reports, want %d", rawDatabase, n, r.cfg.Backlog)
	}
	return float64(r.cfg.Backlog) / spent.Seconds(), nil
}

// distinctReports counts the reports in conn's database, each once.
func distinctReports(ctx context.Context, conn driver.Conn) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports").Scan(&n); err != nil {
		return 0, fmt.Errorf("count reports: %w", err)
	}
	return n, nil
}

// waitCount waits until ClickHouse holds want distinct reports.
func waitCount(ctx context.Context, conn driver.Conn, want uint64, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		n, err := distinctReports(ctx, conn)
		if err != nil {
			return err
		}
		if n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ClickHouse holds %d reports after %s, want %d", n, d, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitEmpty waits until stream holds nothing: the worker deletes each
// entry once ClickHouse has it, so an empty stream is a backlog written.
func waitEmpty(ctx context.Context, rdb *goredis.Client, stream string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		n, err := rdb.XLen(ctx, stream).Result()
		if err != nil {
			return fmt.Errorf("length of %s: %w", stream, err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still holds %d reports after %s", stream, n, d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
