// Command detector compares every service's recent distinct reporters with
// its baseline each bucket, opens, updates and resolves incidents, and
// publishes alert events.
//
// Usage:
//
//	detector [flags]          run detection cycles and serve /healthz, /readyz;
//	                          replicas may run side by side: the holder of a
//	                          Redis lease (-lease-ttl) detects, the others stand by
//	detector migrate [flags]  apply ClickHouse migrations and exit
//	detector replay [flags]   judge the stored history the detector never saw
//	                          (a backfill, an import) before starting it: writes
//	                          each bucket's judgement and the incidents that ended
//	detector score --in IN.csv --out OUT.csv
//	                          score a timestamp,value series offline, causally
//	detector eval [-nab DIR] [-quick] [-explain CORPUS] [-loo-detail CORPUS]
//	                          NAB scores of the detector's statistics
//	detector synth [-suite main|alt] [-seed N] [-quick]
//	                          the synthetic outage suite's recall, delay, false incidents
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/detector/internal/detect"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "detector:", err)
		os.Exit(1)
	}
}

// settings are the detector's flags.
type settings struct {
	common         config.Common
	httpAddr       string
	bucket         time.Duration
	interval       time.Duration
	floor          float64
	minReporters   int
	resolveAfter   time.Duration
	freezeFor      time.Duration
	recentWindow   time.Duration
	minRecent      int
	leaseTTL       time.Duration
	migrateOnStart bool
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// A leading word is a subcommand; flags may follow it.
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	// The offline tools need no stores: they have their own flags.
	switch cmd {
	case "score":
		return scoreCmd(args, getenv, stdout, stderr)
	case "eval":
		return evalCmd(args, getenv, stdout, stderr)
	case "synth":
		return runSynth(ctx, args, stdout, stderr)
	}
	l := config.New("detector", getenv, stderr)
	var s settings
	l.BindCommon(&s.common)
	l.String(&s.httpAddr, "http-addr", "127.0.0.1:8083", "address for /healthz and /readyz")
	l.Duration(&s.bucket, "bucket", time.Minute, "length of a counting bucket, whole minutes")
	l.Duration(&s.interval, "interval", 0, "time between detection cycles (0: one bucket)")
	l.Float(&s.floor, "floor", 3, "expected distinct reporters per bucket of a service with no history yet")
	l.Int(&s.minReporters, "min-reporters", 5, "fewest distinct reporters, summed over the span judged (1 to 60 buckets), that can open an incident")
	l.Duration(&s.resolveAfter, "resolve-after", 3*time.Minute, "how long the count must stay quiet before an incident is resolved (rounded up to whole buckets, at least one)")
	l.Duration(&s.freezeFor, "freeze-for", 12*time.Hour, "how long an incident's baseline stays at its level before the incident; after it, a count that stays up is the new normal (0: for as long as the incident lasts)")
	l.Duration(&s.recentWindow, "recent-window", time.Hour, "span of the recent level that is the baseline of services with under two weeks of history")
	l.Int(&s.minRecent, "min-recent", 10, "fewest buckets of recent history that make a recent level (with fewer, the floor applies)")
	l.Duration(&s.leaseTTL, "lease-ttl", detect.DefaultLeaseTTL, "how long the detector lease outlives a replica that stops renewing it: replicas may run side by side, only the holder detects and publishes, and another takes over within about this after it dies")
	l.Bool(&s.migrateOnStart, "migrate-on-start", false, "apply ClickHouse migrations before starting")
	if _, err := l.ParseCommand(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := logging.New(stderr, "detector", s.common.LogLevel)
	if err != nil {
		return err
	}
	switch cmd {
	case "":
		return serve(ctx, s, log)
	case "migrate":
		return clickhouse.MigrateCommand(ctx, s.common, log, stdout)
	case "replay":
		return replay(ctx, s, log, stdout)
	default:
		return fmt.Errorf("unknown command %q (want migrate, replay, score, eval, synth or none)", cmd)
	}
}

// replay runs detect.Replay over the history before now, with the
// detector's settings, and says what it wrote.
func replay(ctx context.Context, s settings, log *slog.Logger, stdout io.Writer) error {
	cfg := detectConfig(s)
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := openClickHouse(ctx, s, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	began := time.Now()
	res, err := detect.Replay(ctx, clickhouse.NewDetectorStore(conn), cfg, began)
	if err != nil {
		return fmt.Errorf("replay history: %w", err)
	}
	fmt.Fprintf(stdout, "replayed %d services: %d buckets judged, %d past incidents written, %d still open left to the detector, %d left out in the history's first %s (%s)\n",
		res.Services, res.Buckets, res.Incidents, res.Open, res.WarmUp, cfg.WarmUp(), time.Since(began).Round(100*time.Millisecond))
	return nil
}

// openClickHouse connects, and applies the migrations first when
// -migrate-on-start asks for it.
func openClickHouse(ctx context.Context, s settings, log *slog.Logger) (driver.Conn, error) {
	conn, err := clickhouse.Open(ctx, s.common)
	if err != nil {
		return nil, err
	}
	if s.migrateOnStart {
		if _, err := clickhouse.Migrate(ctx, conn, log); err != nil {
			conn.Close()
			return nil, fmt.Errorf("apply migrations: %w", err)
		}
	}
	return conn, nil
}

func detectConfig(s settings) detect.Config {
	cfg := detect.DefaultConfig()
	cfg.Bucket = s.bucket
	cfg.Interval = s.interval
	if cfg.Interval == 0 {
		cfg.Interval = s.bucket
	}
	cfg.Params.Floor = s.floor
	cfg.Params.MinReporters = float64(s.minReporters)
	cfg.Params.ResolveAfter = s.resolveAfter
	cfg.Params.FreezeFor = s.freezeFor
	cfg.RecentWindow = s.recentWindow
	cfg.Params.MinRecent = s.minRecent
	cfg.LeaseTTL = s.leaseTTL
	return cfg
}

func serve(ctx context.Context, s settings, log *slog.Logger) error {
	cfg := detectConfig(s)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	conn, err := openClickHouse(ctx, s, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	if cfg.Streams, err = redis.ReportStreams(s.common.ReportShards); err != nil {
		return err
	}
	rdb, err := redis.Open(ctx, s.common)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := redis.NewDetectorState(rdb).MoveOldKeys(ctx); err != nil {
		return err
	}
	beat := httpapi.NewHeartbeat()
	cfg.Beat = beat.Beat
	det, err := detect.New(clickhouse.NewDetectorStore(conn), rdb, log, cfg)
	if err != nil {
		return err
	}
	// Run goes round every interval while leading and every third of the
	// lease's TTL standing by; each step of a cycle is bounded (30 s).
	stallAfter := 3*cfg.Interval + 2*time.Minute
	h, err := routes(log, det.Ready, func() error { return beat.Check(stallAfter) })
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.httpAddr, err)
	}

	log.Info("detector started", "bucket", cfg.Bucket.String(), "interval", cfg.Interval.String(), "lease_ttl", cfg.LeaseTTL.String())
	err = httpapi.ServeAlongside(ctx, ln, h, log, det.Run)
	log.Info("detector stopped")
	return err
}
