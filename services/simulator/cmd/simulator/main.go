// Command simulator posts realistic outage reports to a running ingest:
// every catalog service at a rate set by its popularity and its country's
// time of day, scheduled and random outages on top, each report from a
// distinct-looking person.
//
// "simulator backfill" instead writes days of the same traffic, with past
// outages, straight into ClickHouse's per-minute rollup, so that a fresh
// stack has a baseline to compare live traffic with.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/simulator/internal/outage"
	"github.com/lapor/lapor/services/simulator/internal/sender"
	"github.com/lapor/lapor/services/simulator/internal/simulation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(1)
	}
}

// summaryEvery is how often the running counters are logged.
const summaryEvery = 30 * time.Second

type settings struct {
	target        string
	rate          float64
	seed          int
	outages       []string
	randomOutages bool
	concurrency   int
	duration      time.Duration
	logLevel      string
	forwardSecret string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "backfill" {
		return runBackfill(ctx, args[1:], getenv, stdout, stderr)
	}
	var s settings
	l := config.New("simulator", getenv, stderr)
	l.String(&s.target, "target", "http://127.0.0.1:8081/api/v1/reports", "ingest endpoint that reports are POSTed to")
	l.Float(&s.rate, "rate", 10, "mean reports per second of all services together, averaged over a day")
	l.Int(&s.seed, "seed", 0, "random seed for a repeatable run; 0 takes one from the clock")
	l.List(&s.outages, "outages", "", "scheduled outages, service@start:duration:multiplier[:shape] with start +offset, now or RFC 3339 and shape step, spike or ramp, e.g. whatsapp@+2m:10m:20x,bca@+5m:15m:8x:spike")
	l.Bool(&s.randomOutages, "random-outages", true, "start an outage on a random service every 10 to 30 minutes")
	l.Int(&s.concurrency, "concurrency", 16, "requests in flight at most")
	l.Duration(&s.duration, "duration", 0, "how long to run; 0 runs until stopped")
	l.String(&s.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	l.Secret(&s.forwardSecret, "forward-secret", "secret shared with ingest (at least 16 bytes) that signs each simulated person's address; empty claims it in X-Forwarded-For, which ingest believes only from a trusted proxy")
	if help, err := parseFlags(l, args); help || err != nil {
		return err
	}
	log, err := logging.New(stderr, "simulator", s.logLevel)
	if err != nil {
		return fmt.Errorf("set up logging: %w", err)
	}
	if err := s.validate(); err != nil {
		return err
	}
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	now := time.Now()
	scheduled, err := outage.ParseList(s.outages, now, func(slug string) bool {
		_, ok := cat.Get(slug)
		return ok
	})
	if err != nil {
		return fmt.Errorf("parse outages: %w", err)
	}
	seed := uint64(s.seed)
	if seed == 0 {
		seed = uint64(now.UnixNano())
	}
	if s.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.duration)
		defer cancel()
	}

	var signer *forward.Signer
	if s.forwardSecret != "" {
		if signer, err = forward.New(s.forwardSecret); err != nil {
			return fmt.Errorf("set up forward signing: %w", err)
		}
	}
	send := sender.New(sender.Config{Target: s.target, Workers: s.concurrency, Timeout: 10 * time.Second, Forward: signer}, log)
	sim, err := simulation.New(cat, simulation.Config{
		Rate:          s.rate,
		Seed:          seed,
		Outages:       scheduled,
		RandomOutages: s.randomOutages,
	}, send, log)
	if err != nil {
		return fmt.Errorf("set up simulation: %w", err)
	}
	log.Info("simulator starting", "target", s.target, "rate", s.rate, "seed", seed, "services", cat.Len(),
		"scheduled_outages", len(scheduled), "random_outages", s.randomOutages, "concurrency", s.concurrency,
		"duration", s.duration.String(), "signed_addresses", signer != nil)

	var wg sync.WaitGroup
	wg.Go(func() { send.Run(ctx) })
	wg.Go(func() { send.LogSummary(ctx, summaryEvery) })
	err = sim.Run(ctx)
	wg.Wait()
	send.LogFinal()
	return err
}

// parseFlags parses args into l's flags; neither command takes positional
// arguments. help reports that -h printed the usage, so there is nothing to run.
func parseFlags(l *config.Loader, args []string) (help bool, err error) {
	if _, err := l.ParseCommand(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	return false, nil
}

func (s settings) validate() error {
	u, err := url.Parse(s.target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q is not an http(s) URL", s.target)
	}
	if !(s.rate > 0) || s.rate > 100000 {
		return fmt.Errorf("rate %v must be above 0 and at most 100000", s.rate)
	}
	if s.concurrency < 1 || s.concurrency > 4096 {
		return fmt.Errorf("concurrency %d must be between 1 and 4096", s.concurrency)
	}
	if s.duration < 0 {
		return fmt.Errorf("duration %v must not be negative", s.duration)
	}
	// Only the length: the secret itself never goes into an error.
	if s.forwardSecret != "" && len(s.forwardSecret) < forward.MinSecret {
		return fmt.Errorf("forward-secret must be at least %d bytes, got %d", forward.MinSecret, len(s.forwardSecret))
	}
	return nil
}
