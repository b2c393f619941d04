package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/simulator/internal/backfill"
	"github.com/lapor/lapor/services/simulator/internal/history"
)

// maxBackfillDays bounds -days: the rollup is kept for weeks, not years,
// and a bigger request is more likely a typo than a wish.
const maxBackfillDays = 90

// runBackfill is the backfill subcommand: it writes days of synthetic
// history, ending at the start of the current minute, into the rollup.
func runBackfill(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		common      config.Common
		days, seed  int
		rate        float64
		force       bool
		endAt       string
		outageEvery time.Duration
	)
	l := config.New("simulator backfill", getenv, stderr)
	l.BindLogLevel(&common)
	l.BindClickHouse(&common)
	l.Int(&days, "days", 14, "days of per-minute history to write")
	l.Float(&rate, "rate", 10, "mean reports per second of all services together, averaged over a day; match the live simulator's -rate")
	l.Int(&seed, "seed", 0, "random seed for a repeatable history; 0 takes one from the clock")
	l.Bool(&force, "force", false, "write history even when reports_minute already holds some")
	l.String(&endAt, "end", "", "RFC 3339 time the history ends at (default now); the start of its minute is excluded")
	l.Duration(&outageEvery, "outage-every", history.DefaultOutageEvery, "mean time between past outages on random services; 0 writes none")
	if help, err := parseFlags(l, args); help || err != nil {
		return err
	}
	log, err := logging.New(stderr, "simulator", common.LogLevel)
	if err != nil {
		return fmt.Errorf("set up logging: %w", err)
	}
	switch {
	case days < 1 || days > maxBackfillDays:
		return fmt.Errorf("days %d must be between 1 and %d", days, maxBackfillDays)
	case !(rate > 0) || rate > 100000:
		return fmt.Errorf("rate %v must be above 0 and at most 100000", rate)
	case outageEvery < 0 || (outageEvery > 0 && outageEvery < time.Hour):
		return fmt.Errorf("outage-every %v must be 0 or at least an hour", outageEvery)
	}
	began := time.Now()
	end := began
	if endAt != "" {
		if end, err = time.Parse(time.RFC3339, endAt); err != nil {
			return fmt.Errorf("end %q is not an RFC 3339 time", endAt)
		}
	}
	if outageEvery == 0 {
		outageEvery = -1 // history.Config reads 0 as the default
	}
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}

	conn, err := clickhouse.Open(ctx, common)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := clickhouse.Migrate(ctx, conn, log); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	plan, err := backfill.Plan(ctx, conn, end, force)
	if err != nil {
		return err
	}
	if plan.Skip {
		log.Info("history already present, nothing written", "rows_a_day_old", plan.Existing)
		fmt.Fprintf(stdout, "backfill: reports_minute already holds %d rows a day old or older; nothing written (-force writes anyway)\n", plan.Existing)
		return nil
	}
	if !plan.End.Equal(end.Truncate(time.Minute)) {
		log.Info("history ends where the rollup's rows begin", "end", plan.End)
	}
	end = plan.End
	s := uint64(seed)
	if s == 0 {
		s = uint64(began.UnixNano())
	}
	gen, err := history.New(cat, history.Config{
		Rate:        rate,
		Seed:        s,
		Start:       end.Add(-time.Duration(days) * 24 * time.Hour),
		End:         end,
		OutageEvery: outageEvery,
	})
	if err != nil {
		return fmt.Errorf("plan history: %w", err)
	}
	for _, o := range gen.Outages() {
		log.Debug("past outage", "slug", o.Service, "start", o.Start, "duration", o.Duration.String(),
			"multiplier", o.Multiplier, "shape", o.Shape.String(), "symptom", o.Symptom, "country", o.Country)
	}
	log.Info("backfill starting", "days", days, "rate", rate, "seed", s, "start", gen.Start(), "end", gen.End(),
		"outages", len(gen.Outages()), "force", force)
	res, err := backfill.Run(ctx, conn, gen, backfill.Options{}, log)
	took := time.Since(began).Round(time.Millisecond)
	if err != nil {
		if res.Reports > 0 {
			// The next run would take the partial history for a whole one.
			return fmt.Errorf("%w (%d of the reports were written: clear reports_minute, or rerun with -force to add a whole history on top)", err, res.Reports)
		}
		return err
	}
	log.Info("backfill done", "rows", res.Rows, "reports", res.Reports, "outages", res.Outages, "took", took.String())
	fmt.Fprintf(stdout, "backfill: %d days to %s: %d reports in %d rows, %d past outages, in %s\n",
		days, res.End.UTC().Format(time.RFC3339), res.Reports, res.Rows, res.Outages, took)
	return nil
}
