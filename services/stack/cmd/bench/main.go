// Command bench is `make bench`: it builds Lapor's services, starts them
// with a private Redis and ClickHouse, and measures each against a
// reference in the same run (see package bench), printing the figures and
// their ratios. -short (or LAPOR_BENCH=short) is the CI run, a couple of
// minutes, which keeps the benchmarks working and asserts no timing.
// Ctrl-C, SIGTERM or SIGHUP stops every process it started.
//
//	bench [-short] [-only ingest,worker,read,freshness,rss,detector] [-bin DIR] …
//	bench reference -addr HOST:PORT [-static FILE]   (the reference server, run by bench itself)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/lapor/lapor/services/stack/bench"
	"github.com/lapor/lapor/services/stack/bench/reference"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "reference" {
		return serveReference(ctx, args[2:], stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		short                bool
		binDir, logDir, only string
		o                    bench.Config // zero: the mode's default
	)
	fs.BoolVar(&short, "short", getenv("LAPOR_BENCH") == "short", "the short CI run (also LAPOR_BENCH=short)")
	fs.StringVar(&binDir, "bin", "", "folder with built service binaries (empty: go build them into a temporary folder)")
	fs.StringVar(&logDir, "logs", "", "folder for the services' logs (empty: a temporary one, kept when a benchmark fails)")
	fs.StringVar(&only, "only", "", "comma-separated benchmarks to run, of "+strings.Join(bench.Parts, ","))
	fs.IntVar(&o.Conns, "conns", 0, "connections of the ingest benchmark (default 64)")
	fs.DurationVar(&o.IngestDuration, "ingest-duration", 0, "how long the ingest and its ceiling are each loaded (default 20s, short 4s)")
	fs.IntVar(&o.Backlog, "backlog", 0, "reports queued for the worker (default 1000000, short 100000)")
	fs.IntVar(&o.RawBatch, "raw-batch", 0, "rows per insert of the raw clickhouse-go reference (default 100000)")
	fs.IntVar(&o.ReadConns, "read-conns", 0, "connections of the cached reads (default 32)")
	fs.DurationVar(&o.ReadDuration, "read-duration", 0, "how long each read is measured (default 10s, short 3s)")
	fs.Float64Var(&o.FreshRate, "fresh-rate", 0, "reports a second of the freshness benchmark's steady load (default 2000, short 300)")
	fs.DurationVar(&o.FreshDuration, "fresh-duration", 0, "how long the steady load runs (default 60s, short 15s)")
	fs.IntVar(&o.DetectorRuns, "detector-runs", 0, "detector cycles timed (default 5, short 1)")
	if len(args) > 0 {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := bench.Full()
	if short {
		cfg = bench.Short()
	}
	override(&cfg, o)
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working folder: %w", err)
	}
	if cfg.Root, err = stack.Root(wd); err != nil {
		return err
	}
	if binDir != "" {
		if cfg.BinDir, err = filepath.Abs(binDir); err != nil {
			return fmt.Errorf("resolve %q: %w", binDir, err)
		}
	}
	cfg.LogDir = logDir
	if only != "" {
		cfg.Parts = strings.Split(only, ",")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary for the reference server: %w", err)
	}
	cfg.Reference = func(ctx context.Context, addr, manifest string) *exec.Cmd {
		args := []string{"reference", "-addr", addr}
		if manifest != "" {
			args = append(args, "-static", manifest)
		}
		return exec.CommandContext(ctx, self, args...)
	}
	mode := "full"
	if short {
		mode = "short"
	}
	fmt.Fprintf(stdout, "bench: %s run, %s, %d CPUs\n", mode, time.Now().UTC().Format(time.RFC3339), numCPU())
	began := time.Now()
	if err := bench.Run(ctx, cfg, stdout); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "\nbench: done in %s\n", time.Since(began).Round(time.Second))
	return nil
}

// override sets every field of o that is not zero on cfg.
func override(cfg *bench.Config, o bench.Config) {
	set := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	setD := func(dst *time.Duration, v time.Duration) {
		if v != 0 {
			*dst = v
		}
	}
	set(&cfg.Conns, o.Conns)
	set(&cfg.Backlog, o.Backlog)
	set(&cfg.RawBatch, o.RawBatch)
	set(&cfg.ReadConns, o.ReadConns)
	set(&cfg.DetectorRuns, o.DetectorRuns)
	setD(&cfg.IngestDuration, o.IngestDuration)
	setD(&cfg.ReadDuration, o.ReadDuration)
	setD(&cfg.FreshDuration, o.FreshDuration)
	if o.FreshRate != 0 {
		cfg.FreshRate = o.FreshRate
	}
}

// serveReference is the reference server's process (bench reference).
func serveReference(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench reference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	static := fs.String("static", "", "file of static answers (see reference.WriteManifest)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return reference.Serve(ctx, *addr, *static)
}

// numCPU is the CPUs this process may use.
func numCPU() int { return runtime.NumCPU() }
