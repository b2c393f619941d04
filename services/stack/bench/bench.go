// Package bench is `make bench`: Lapor's services measured side by side
// with a reference in the same run, on this machine. It builds the real
// service binaries, starts them as processes against a private Redis and
// ClickHouse (the dev stack's code, services/stack/internal/stack), and
// measures, in order:
//
//   - ingest: reports from distinct people over 64 keep-alive connections,
//     against a bare gin handler decoding the same JSON (Ingest);
//   - worker: catching up a backlog of queued reports, against raw
//     clickhouse-go batches of 100,000 into the same tables (Worker);
//   - read API: the services list and a series, cached and uncached,
//     against gin serving the same bytes (Read);
//   - freshness: from a report's 202 to the series API counting it, under a
//     steady load (Freshness);
//   - the peak RSS of every process (RSS);
//   - a detector cycle over 10,000 services, the detector's own benchmark
//     (DetectorCycle).
//
// Nothing here asserts a timing: a run fails only when something does not
// work (a service that does not start, a count that never arrives, an
// answer no benchmark should get).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// Parts are the benchmarks, in the order they run.
var Parts = []string{"ingest", "worker", "read", "freshness", "rss", "detector"}

// Config says what to measure and for how long.
type Config struct {
	// Root is the repository root (the folder holding go.work).
	Root string
	// BinDir holds built service binaries; empty builds them into a
	// temporary folder first.
	BinDir string
	// LogDir keeps the services' logs; empty uses a temporary folder,
	// removed at the end unless a benchmark failed.
	LogDir string
	// Parts names the benchmarks to run (all of Parts when empty).
	Parts []string
	// Reference starts the reference server on addr, serving the static
	// answers saved at manifest ("" for none), as a child process.
	Reference func(ctx context.Context, addr, manifest string) *exec.Cmd

	Conns          int           // connections of the ingest benchmark
	IngestDuration time.Duration // each of the ingest and its ceiling
	Backlog        int           // reports queued for the worker
	RawBatch       int           // rows per raw insert of the reference
	ReadConns      int           // connections of the cached reads
	UncachedConns  int           // connections of the uncached reads
	ReadDuration   time.Duration // each read measurement
	FreshRate      float64       // reports a second of the steady load
	FreshDuration  time.Duration // how long the steady load runs
	FreshSample    time.Duration // time between two timed reports
	DetectorRuns   int           // cycles the detector's benchmark times
	BuildRetries   int           // builds tried before giving up
	BuildWait      time.Duration // wait between two builds
}

// Full is `make bench`.
func Full() Config {
	return Config{
		Conns: 64, IngestDuration: 20 * time.Second,
		Backlog: 1_000_000, RawBatch: 100_000,
		ReadConns: 32, UncachedConns: 4, ReadDuration: 10 * time.Second,
		FreshRate: 2000, FreshDuration: 60 * time.Second, FreshSample: 500 * time.Millisecond,
		DetectorRuns: 5, BuildRetries: 10, BuildWait: 30 * time.Second,
	}
}

// Short is the CI run, which only keeps the benchmarks working.
func Short() Config {
	return Config{
		Conns: 64, IngestDuration: 4 * time.Second,
		Backlog: 100_000, RawBatch: 100_000,
		ReadConns: 32, UncachedConns: 4, ReadDuration: 3 * time.Second,
		FreshRate: 300, FreshDuration: 15 * time.Second, FreshSample: 500 * time.Millisecond,
		DetectorRuns: 1, BuildRetries: 3, BuildWait: 20 * time.Second,
	}
}

// runner holds what the benchmarks share.
type runner struct {
	cfg      Config
	out      io.Writer
	stack    *stack.Stack
	services []lapor.Service // those the loads report about
	sample   lapor.Service   // reported only by the freshness sampler
	signer   *forward.Signer
	people   *people
	tmp      string
	summary  []row
}

// row is one line of the closing table: what was measured, the issue's
// target for it, Lapor's figure, the reference's in the same run, and
// their ratio.
type row struct{ what, target, lapor, reference, ratio string }

// forwardSecret is the secret the bench shares with its ingest to speak
// for many people, as the web does.
const forwardSecret = "lapor-bench-forward-secret-0123456789"

// Run runs the benchmarks cfg names and prints their figures to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (err error) {
	for _, p := range cfg.Parts {
		if !slices.Contains(Parts, p) {
			return fmt.Errorf("unknown benchmark %q (have %s)", p, strings.Join(Parts, ", "))
		}
	}
	if len(cfg.Parts) == 0 {
		cfg.Parts = Parts
	}
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	all := cat.All()
	signer, err := forward.New(forwardSecret)
	if err != nil {
		return fmt.Errorf("forward signer: %w", err)
	}
	tmp, err := os.MkdirTemp("", "lapor-bench-")
	if err != nil {
		return fmt.Errorf("make temp folder: %w", err)
	}
	defer func() {
		if err == nil {
			os.RemoveAll(tmp)
		} else {
			fmt.Fprintf(out, "bench: logs kept in %s\n", tmp)
		}
	}()
	r := &runner{cfg: cfg, out: out, services: all[:len(all)-1], sample: all[len(all)-1], signer: signer, people: &people{}, tmp: tmp}
	if cfg.LogDir == "" {
		r.cfg.LogDir = filepath.Join(tmp, "logs")
	}
	if r.needStack() {
		if err := r.startStack(ctx); err != nil {
			return err
		}
		defer func() {
			if r.stack == nil {
				return // stopped before the detector's benchmark
			}
			r.say("stopping the services, Redis and ClickHouse")
			if stopErr := r.stack.Stop(); stopErr != nil && err == nil && ctx.Err() == nil {
				err = fmt.Errorf("stop the stack: %w", stopErr)
			}
		}()
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"ingest", r.ingest},
		{"worker", r.worker},
		{"read", r.read},
		{"freshness", r.freshness},
		{"rss", r.measureRSS},
		{"detector", r.detector},
	}
	for _, s := range steps {
		if !slices.Contains(r.cfg.Parts, s.name) {
			continue
		}
		if s.name == "detector" && r.stack != nil {
			// The detector's benchmark brings its own servers: the stack
			// goes first, so they do not share the CPU.
			r.say("stopping the services, Redis and ClickHouse")
			stopErr := r.stack.Stop()
			r.stack = nil
			if stopErr != nil {
				return fmt.Errorf("stop the stack: %w", stopErr)
			}
		}
		fmt.Fprintf(out, "\n== %s\n", s.name)
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.printSummary()
	return nil
}

// needStack reports whether a benchmark needs the services running.
func (r *runner) needStack() bool {
	return slices.ContainsFunc(r.cfg.Parts, func(p string) bool { return p != "detector" })
}

// say prints a progress line.
func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.out, "bench: "+format+"\n", args...)
}

// startStack builds the services, if no binaries were given, and starts
// them with a private Redis and ClickHouse.
func (r *runner) startStack(ctx context.Context) error {
	if r.cfg.BinDir == "" {
		r.cfg.BinDir = filepath.Join(r.tmp, "bin")
		if err := r.build(ctx); err != nil {
			return err
		}
	}
	r.say("starting Redis, ClickHouse, worker, detector, ingest, web (logs in %s)", r.cfg.LogDir)
	s, err := stack.Start(ctx, stack.Options{
		BinDir: r.cfg.BinDir,
		LogDir: r.cfg.LogDir,
		Env: map[string][]string{
			"ingest": {"LAPOR_FORWARD_SECRET=" + forwardSecret, "LAPOR_REPORTER_SECRET=lapor-bench-reporter-secret"},
			"web":    {"LAPOR_FORWARD_SECRET=" + forwardSecret},
		},
	})
	if err != nil {
		if s != nil {
			s.Stop()
		}
		return fmt.Errorf("start the stack: %w", err)
	}
	r.stack = s
	// Compose's setting (docker-compose.yml): append-only, fsync once a
	// second. The tests' servers fsync every write.
	rdb, err := r.redis(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := rdb.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		return fmt.Errorf("set Redis appendfsync: %w", err)
	}
	return nil
}

// build compiles the four services, waiting and trying again while the
// tree does not build (others may be in the middle of a change).
func (r *runner) build(ctx context.Context) error {
	names := []string{"ingest", "worker", "detector", "web"}
	for try := 1; ; try++ {
		r.say("building %s into %s", strings.Join(names, ", "), r.cfg.BinDir)
		began := time.Now()
		err := stack.Build(ctx, r.cfg.Root, r.cfg.BinDir, names...)
		if err == nil {
			r.say("built in %s", time.Since(began).Round(100*time.Millisecond))
			return nil
		}
		if try >= max(1, r.cfg.BuildRetries) || ctx.Err() != nil {
			return fmt.Errorf("build the services: %w", err)
		}
		r.say("build failed (try %d of %d), trying again in %s: %v", try, r.cfg.BuildRetries, r.cfg.BuildWait, firstLines(err.Error(), 6))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.cfg.BuildWait):
		}
	}
}

// firstLines is the start of a long message.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// reference runs the reference server as a child process until the
// returned stop is called, once it answers.
func (r *runner) reference(ctx context.Context, manifest string) (addr string, stop func(), err error) {
	port, err := testenv.FreePort()
	if err != nil {
		return "", nil, err
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	cmd := r.cfg.Reference(ctx, addr, manifest)
	logf, err := os.Create(filepath.Join(r.cfg.LogDir, "reference.log"))
	if err != nil {
		return "", nil, fmt.Errorf("create reference log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		logf.Close()
		return "", nil, fmt.Errorf("start reference: %w", err)
	}
	// done closes when the reference has exited, with exitErr set.
	var exitErr error
	done := make(chan struct{})
	go func() { exitErr = cmd.Wait(); logf.Close(); close(done) }()
	exited := func() (bool, error) {
		select {
		case <-done:
			return true, exitErr
		default:
			return false, nil
		}
	}
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	if err := stack.WaitOK(ctx, "http://"+addr+"/healthz", exited, 15*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("reference not answering: %w", err)
	}
	return addr, stop, nil
}

// thousands formats n rounded, with thousands separated by commas.
func thousands(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ratio is a/b with two decimals, or "n/a".
func ratio(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// errUnexpected marks answers that no benchmark should get.
var errUnexpected = errors.New("unexpected answers")

// printSummary prints the figures as a Markdown table, for the README.
func (r *runner) printSummary() {
	if len(r.summary) == 0 {
		return
	}
	fmt.Fprintf(r.out, "\n== summary\n\n| measure | target | Lapor | reference in the same run | ratio |\n| --- | --- | --- | --- | --- |\n")
	for _, s := range r.summary {
		fmt.Fprintf(r.out, "| %s | %s | %s | %s | %s |\n", s.what, s.target, s.lapor, s.reference, s.ratio)
	}
}
