// Command devstack runs all of Lapor on this machine for development: a
// private Redis (append-only) and ClickHouse with their data under -data,
// the four services, and the traffic simulator, which first backfills
// -backfill-days of history so that the detector has a baseline. It stops
// everything on SIGINT (Ctrl-C), SIGTERM (kill, a process manager, and
// make, which passes SIGTERM on to the devstack that `make run` execs) or
// SIGHUP (a closing terminal), and when `make run`'s make alone is sent
// SIGINT or SIGHUP (stopWithMake); a second signal ends it at once, and the
// servers and services, which die with it, then go too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// stopSignals are those that stop the stack cleanly.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	go stopWithMake(ctx, stop)
	go func() {
		// Once stopping, a second signal kills devstack at once, for when
		// a clean stop hangs; every child has Pdeathsig, so none outlives it.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	l := config.New("devstack", getenv, stderr)
	var (
		binDir, dataDir, geoDB, simArgs string
		webPort, ingestPort, redisPort  int
		workerPort, detectorPort        int
		chPort, chHTTPPort              int
		simulate                        bool
		backfillDays                    int
	)
	l.String(&binDir, "bin", "bin", "folder with the built service binaries")
	l.String(&dataDir, "data", ".run", "folder for Redis and ClickHouse data and logs")
	l.String(&geoDB, "geoip-db", "", "MaxMind-format database files for the ingest (comma-separated)")
	l.Int(&webPort, "web-port", 8080, "web port")
	l.Int(&ingestPort, "ingest-port", 8081, "ingest port")
	l.Int(&workerPort, "worker-port", 8082, "worker health port")
	l.Int(&detectorPort, "detector-port", 8083, "detector health port")
	l.Int(&redisPort, "dev-redis-port", 16379, "port of the stack's own Redis")
	l.Int(&chPort, "dev-clickhouse-port", 19000, "native port of the stack's own ClickHouse")
	l.Int(&chHTTPPort, "dev-clickhouse-http-port", 18123, "HTTP port of the stack's own ClickHouse")
	l.Bool(&simulate, "simulate", true, "run the traffic simulator")
	l.String(&simArgs, "simulator-args", "", "extra simulator arguments, space-separated")
	l.Int(&backfillDays, "backfill-days", 15, "days of simulated history written before the simulator starts, for the detector's baseline; 0 writes none")
	if len(args) > 0 {
		args = args[1:]
	}
	if err := l.Parse(args); err != nil {
		return err
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("resolve data folder %q: %w", dataDir, err)
	}
	ingestEnv := []string{
		// Only the dev stack trusts loopback as a proxy, so the simulator
		// can speak for many people through X-Forwarded-For.
		"LAPOR_TRUSTED_PROXIES=127.0.0.0/8",
		"LAPOR_REPORTER_SECRET=dev-only-secret-not-for-production",
	}
	if geoDB != "" {
		ingestEnv = append(ingestEnv, "LAPOR_GEOIP_DB="+geoDB)
	}
	sim := strings.Fields(simArgs)
	if !simulate || backfillDays < 0 {
		backfillDays = 0
	}
	fmt.Fprintln(stdout, "devstack: starting Redis, ClickHouse, worker, detector, web, ingest …")
	s, err := stack.Start(ctx, stack.Options{
		BinDir:             binDir,
		DataDir:            dataDir,
		LogDir:             filepath.Join(dataDir, "logs"),
		RedisPort:          redisPort,
		ClickHousePort:     chPort,
		ClickHouseHTTPPort: chHTTPPort,
		Ports:              map[string]int{"web": webPort, "ingest": ingestPort, "worker": workerPort, "detector": detectorPort},
		Env: map[string][]string{
			"ingest": ingestEnv,
			"web":    {"LAPOR_TRUSTED_PROXIES=127.0.0.0/8"},
		},
		Simulator:     simulate,
		SimulatorArgs: sim,
		BackfillDays:  backfillDays,
		Out:           stdout,
	})
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while starting: Start has stopped what it started,
			// and the error only says it was interrupted.
			fmt.Fprintln(stdout, "devstack: stopped while starting")
			return nil
		}
		return fmt.Errorf("start the stack: %w", err)
	}
	fmt.Fprintf(stdout, "\nLapor is running at %s\n  API: %s/api/v1/services\n  logs: %s\n  Ctrl-C (or SIGTERM, SIGHUP) stops everything.\n",
		s.URL("web"), s.URL("web"), filepath.Join(dataDir, "logs"))
	<-ctx.Done()
	fmt.Fprintln(stdout, "devstack: stopping …")
	if err := s.Stop(); err != nil {
		return fmt.Errorf("stop the stack: %w", err)
	}
	fmt.Fprintln(stdout, "devstack: stopped")
	return nil
}
