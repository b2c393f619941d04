package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/worker/internal/consume"
)

// settings is the worker's configuration.
type settings struct {
	common         config.Common
	httpAddr       string
	migrateOnStart bool
	consume        consume.Config
	group          redis.GroupConfig // Stream is set per stream
	deadLetterMax  int
}

func defaultConsumer() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// load reads flags and environment. It also reports whether the migrate
// subcommand was given, before or after the flags.
func load(args []string, getenv func(string) string, stderr io.Writer) (settings, bool, error) {
	var s settings
	l := config.New("worker", getenv, stderr)
	l.BindCommon(&s.common)
	l.String(&s.httpAddr, "http-addr", "127.0.0.1:8082", "address for /healthz and /readyz")
	l.Bool(&s.migrateOnStart, "migrate-on-start", false, "apply ClickHouse migrations before consuming")
	c := &s.consume
	l.String(&s.group.Consumer, "consumer", defaultConsumer(), "this worker's consumer name in the group (unique per process)")
	l.Int(&c.BatchSize, "batch-size", 5000, "reports per ClickHouse insert while the stream is quiet, and the smallest adaptive batch")
	l.Int(&c.BatchMax, "batch-max", 100000, "largest batch, which batches double toward while a backlog lasts (at most two are held; below batch-size: batch-size)")
	l.Duration(&c.FlushInterval, "flush-interval", 500*time.Millisecond, "longest a report waits for its batch")
	l.Duration(&c.ClaimInterval, "claim-interval", 15*time.Second, "how often to claim reports abandoned by dead workers")
	l.Duration(&c.ClaimIdle, "claim-idle", 30*time.Second, "how long a report is pending before it counts as abandoned")
	l.Duration(&c.RetryMax, "retry-max", 5*time.Second, "longest wait between retries while ClickHouse or Redis is down")
	l.Duration(&c.ShutdownGrace, "shutdown-grace", 10*time.Second, "how long the final flush may take on shutdown")
	l.Int(&s.deadLetterMax, "dead-letter-max", 100000, "approximate cap on the dead-letter stream's length")
	cmd, err := l.ParseCommand(args, "migrate")
	if err != nil {
		return s, false, err
	}
	migrateOnly := cmd == "migrate"
	switch {
	case s.group.Consumer == "":
		return s, false, errors.New("consumer must not be empty")
	case c.BatchSize < 1:
		return s, false, fmt.Errorf("batch-size must be at least 1, got %d", c.BatchSize)
	case c.BatchMax < 1:
		return s, false, fmt.Errorf("batch-max must be at least 1, got %d", c.BatchMax)
	case c.FlushInterval <= 0 || c.ClaimInterval <= 0 || c.ClaimIdle <= 0 || c.RetryMax <= 0 || c.ShutdownGrace <= 0:
		return s, false, errors.New("flush-interval, claim-interval, claim-idle, retry-max and shutdown-grace must be positive")
	case s.deadLetterMax < 1:
		return s, false, fmt.Errorf("dead-letter-max must be at least 1, got %d", s.deadLetterMax)
	}
	s.group.DeadLetterMax = int64(s.deadLetterMax)
	return s, migrateOnly, nil
}

// run is the whole worker; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, migrateOnly, err := load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := logging.New(stderr, "worker", s.common.LogLevel)
	if err != nil {
		return err
	}
	conn, err := clickhouse.Open(ctx, s.common)
	if err != nil {
		return err
	}
	defer conn.Close()
	if migrateOnly || s.migrateOnStart {
		applied, err := clickhouse.Migrate(ctx, conn, log)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		if migrateOnly {
			fmt.Fprintf(stdout, "applied %d migrations\n", len(applied))
			return nil
		}
	}
	rdb, err := redis.Open(ctx, s.common)
	if err != nil {
		return err
	}
	defer rdb.Close()

	streams, err := redis.ReportStreams(s.common.ReportShards)
	if err != nil {
		return err
	}
	out := consume.WriterFunc(func(ctx context.Context, reps []lapor.Report) error {
		return clickhouse.SaveReports(ctx, conn, reps)
	})
	// One consumer per report stream: a stream's entries, its dead
	// letters and its group live in one Redis Cluster slot, and every
	// worker reads every stream, so the shards share the workers.
	var consumers []*consume.Consumer
	var beats []*httpapi.Heartbeat
	for _, st := range streams {
		gcfg := s.group
		gcfg.Stream = st
		group, err := redis.NewReportGroup(rdb, gcfg)
		if err != nil {
			return err
		}
		cfg := s.consume
		hb := httpapi.NewHeartbeat()
		cfg.Beat = hb.Beat
		beats = append(beats, hb)
		c, err := consume.New(group, out, cfg, log.With("consumer", gcfg.Consumer, "stream", st))
		if err != nil {
			return err
		}
		consumers = append(consumers, c)
	}
	// A consumer's loop goes round at least every second, or every
	// retry-max while storage is down; a write that hangs past stallAfter
	// means the process is stuck, and a restart hands its entries on.
	stallAfter := max(2*time.Minute, 4*s.consume.RetryMax)
	handler, err := routes(log, func(ctx context.Context) error {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		if err := conn.Ping(ctx); err != nil {
			return fmt.Errorf("ping clickhouse: %w", err)
		}
		return nil
	}, func() error {
		for i, hb := range beats {
			if err := hb.Check(stallAfter); err != nil {
				return fmt.Errorf("consumer of %s: %w", streams[i], err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.httpAddr, err)
	}

	log.Info("worker started", "consumer", s.group.Consumer, "streams", len(streams), "batch_size", s.consume.BatchSize,
		"batch_max", max(s.consume.BatchMax, s.consume.BatchSize),
		"flush_interval", s.consume.FlushInterval.String())
	err = httpapi.ServeAlongside(ctx, ln, handler, log, func(ctx context.Context) error {
		errs := make([]error, len(consumers))
		var wg sync.WaitGroup
		for i, c := range consumers {
			wg.Go(func() {
				if err := c.Run(ctx); err != nil {
					errs[i] = fmt.Errorf("consume reports of %s: %w", streams[i], err)
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		return err
	}
	log.Info("worker stopped")
	return nil
}
