package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lapor/lapor/services/stack/bench/load"
)

// ingest measures POST /api/v1/reports on the real ingest, every report
// from a new person, then the same requests on a bare gin handler that
// decodes the JSON and answers 202: the ceiling of this machine, the load
// generator included.
func (r *runner) ingest(ctx context.Context) error {
	ingestAddr := r.stack.Procs["ingest"].Addr
	lapor, err := r.ingestLoad(ctx, ingestAddr)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "ingest (Lapor, %d connections):      %s\n", r.cfg.Conns, lapor.Summary())
	if err := checkStatuses(lapor, http.StatusAccepted, http.StatusTooManyRequests, http.StatusServiceUnavailable); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}

	addr, stop, err := r.reference(ctx, "")
	if err != nil {
		return err
	}
	ceiling, err := r.ingestLoad(ctx, addr)
	stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "ingest (bare gin, %d connections):   %s\n", r.cfg.Conns, ceiling.Summary())
	if err := checkStatuses(ceiling, http.StatusAccepted); err != nil {
		return fmt.Errorf("ceiling: %w", err)
	}
	rt := ratio(accepted(lapor), accepted(ceiling))
	fmt.Fprintf(r.out, "ingest/ceiling ratio: %s\n", rt)
	r.summary = append(r.summary,
		row{fmt.Sprintf("ingest, %d connections, distinct reporters", r.cfg.Conns), "≥ 0.5 of bare gin, p99 ≤ 10 ms",
			fmt.Sprintf("%s req/s, p99 %s", thousands(accepted(lapor)), load.Ms(lapor.Quantile(0.99))),
			fmt.Sprintf("bare gin: %s req/s, p99 %s", thousands(accepted(ceiling)), load.Ms(ceiling.Quantile(0.99))), rt})
	return nil
}

// ingestLoad warms up for a second, then sends reports to addr for the
// configured time.
func (r *runner) ingestLoad(ctx context.Context, addr string) (load.Result, error) {
	cfg := load.Config{
		Addr:     addr,
		Conns:    r.cfg.Conns,
		Duration: time.Second,
		Request:  reportRequest(addr, r.services, r.people, r.signer),
	}
	if _, err := load.Run(ctx, cfg); err != nil {
		return load.Result{}, fmt.Errorf("warm up %s: %w", addr, err)
	}
	cfg.Duration = r.cfg.IngestDuration
	res, err := load.Run(ctx, cfg)
	if err != nil {
		return res, fmt.Errorf("load %s: %w", addr, err)
	}
	return res, nil
}

// accepted is the 202 answers a second.
func accepted(res load.Result) float64 {
	if res.Elapsed <= 0 {
		return 0
	}
	return float64(res.Statuses[http.StatusAccepted]) / res.Elapsed.Seconds()
}

// checkStatuses fails when res has no answer of the first status, or an
// answer of none of them, or requests that got no answer at all.
func checkStatuses(res load.Result, want ...int) error {
	if res.Statuses[want[0]] == 0 {
		return fmt.Errorf("%w: no %d among %s", errUnexpected, want[0], res.StatusLine())
	}
	var bad []string
	for code, n := range res.Statuses {
		ok := false
		for _, w := range want {
			ok = ok || code == w
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%d×%d", n, code))
		}
	}
	if len(bad) > 0 || res.Failures > 0 {
		return fmt.Errorf("%w: %s among %s", errUnexpected, strings.Join(bad, " "), res.StatusLine())
	}
	return nil
}
