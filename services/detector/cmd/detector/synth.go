package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lapor/lapor/services/detector/internal/synth"
)

// runSynth runs the synthetic outage suite against the detector's
// statistics and prints its tables: `detector synth [-suite main|alt]
// [-quick] [-seed n] [-services n]`. The targets it prints are
// informational; it fails only when it cannot run.
func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("detector synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suite := fs.String("suite", "main", "generator: main, or alt (a small held-out generator of different design)")
	seed := fs.Uint64("seed", 1, "seed the whole suite is generated from")
	services := fs.Int("services", 0, "number of services (0: the suite's own, main 200 or 50 with -quick, alt 40 or 16 with -quick)")
	quick := fs.Bool("quick", false, "small run for CI: main 50 services, 3 weeks of history, 4 days evaluated; alt 16 services")
	workers := fs.Int("workers", 0, "services scored at once (0: one per CPU)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if rest := fs.Args(); len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	s, err := synth.ParseSuite(*suite)
	if err != nil {
		return err
	}
	cfg := synth.ConfigFor(s, *quick)
	cfg.Seed = *seed
	if *services > 0 {
		cfg.Services = *services
	}
	if *workers > 0 {
		cfg.Workers = *workers
	}
	began := time.Now()
	res, err := synth.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("run synthetic suite: %w", err)
	}
	if err := res.Write(stdout); err != nil {
		return fmt.Errorf("print synthetic suite: %w", err)
	}
	fmt.Fprintf(stderr, "synthetic suite took %s\n", time.Since(began).Round(time.Millisecond))
	return nil
}
