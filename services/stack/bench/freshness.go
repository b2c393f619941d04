package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/stack/bench/load"
)

// freshness runs a steady load of reports into the ingest, with the
// worker, detector and web running, and times sampled reports from their
// 202 to the moment the web's series API (the URL a service page polls)
// counts them, and, to tell where the time goes, to the moment ClickHouse
// holds them. The sampled reports are about a service no other report of
// the run names, so a total for that service says which have arrived.
func (r *runner) freshness(ctx context.Context) error {
	ingest := r.stack.Procs["ingest"].Addr
	seriesURL := r.stack.URL("web") + "/api/v1/services/" + r.sample.Slug + "/series"
	client := &http.Client{Timeout: 10 * time.Second}
	conn, err := r.stack.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to ClickHouse: %w", err)
	}
	defer conn.Close()
	web := &arrivals{what: "the series API", total: func(ctx context.Context) (uint64, error) { return seriesTotal(ctx, client, seriesURL) }}
	stored := &arrivals{what: "ClickHouse", total: func(ctx context.Context) (uint64, error) { return serviceReports(ctx, conn, r.sample.Slug) }}
	trackers := []*arrivals{web, stored}
	for _, t := range trackers {
		if t.base, err = t.total(ctx); err != nil {
			return err
		}
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	var (
		wg        sync.WaitGroup
		sent, acc uint64
		sendErr   error
	)
	wg.Add(1)
	go func() { // the sampler
		defer wg.Done()
		tick := time.NewTicker(r.cfg.FreshSample)
		defer tick.Stop()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
			}
			status, err := r.postSample(loadCtx, client, ingest)
			now := time.Now()
			if loadCtx.Err() != nil {
				return // cut short by the load's end
			}
			sent++
			switch {
			case err != nil:
				sendErr = err
			case status == http.StatusAccepted:
				acc++
				for _, t := range trackers {
					t.add(acc, now)
				}
			}
		}
	}()
	polls := make([]chan error, len(trackers))
	for i, t := range trackers {
		polls[i] = make(chan error, 1)
		go func() { polls[i] <- t.poll(readCtx, loadCtx.Done()) }()
	}

	res, err := load.Run(ctx, load.Config{
		Addr: ingest, Conns: 16, Duration: r.cfg.FreshDuration, Rate: r.cfg.FreshRate,
		Request: reportRequest(ingest, r.services, r.people, r.signer),
	})
	stopLoad()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("steady load: %w", err)
	}
	fmt.Fprintf(r.out, "steady load (%.0f reports/s offered, 16 connections): %s\n", r.cfg.FreshRate, res.Summary())
	if err := checkStatuses(res, http.StatusAccepted, http.StatusTooManyRequests, http.StatusServiceUnavailable); err != nil {
		return fmt.Errorf("steady load: %w", err)
	}
	if sendErr != nil {
		return fmt.Errorf("post a sampled report: %w", sendErr)
	}
	if acc == 0 {
		return fmt.Errorf("none of %d sampled reports was answered 202", sent)
	}
	limit := time.After(time.Minute)
	for i, t := range trackers {
		select {
		case err := <-polls[i]:
			if err != nil {
				return fmt.Errorf("read %s: %w", t.what, err)
			}
		case <-limit:
			return fmt.Errorf("%d sampled reports answered 202 not in %s a minute after the load ended", t.left(), t.what)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p50, p99 := web.quantile(0.5), web.quantile(0.99)
	fmt.Fprintf(r.out, "freshness, 202 → in the series API (%d sampled reports): p50 %.2f s, p99 %.2f s, max %.2f s\n",
		acc, p50.Seconds(), p99.Seconds(), web.quantile(1).Seconds())
	fmt.Fprintf(r.out, "freshness, 202 → in ClickHouse: p50 %.2f s, p99 %.2f s, max %.2f s\n",
		stored.quantile(0.5).Seconds(), stored.quantile(0.99).Seconds(), stored.quantile(1).Seconds())
	r.summary = append(r.summary, row{fmt.Sprintf("freshness, 202 → series API, at %s reports/s", thousands(r.cfg.FreshRate)), "p99 ≤ 10 s",
		fmt.Sprintf("p50 %.2f s, p99 %.2f s", p50.Seconds(), p99.Seconds()),
		fmt.Sprintf("in ClickHouse: p50 %.2f s, p99 %.2f s", stored.quantile(0.5).Seconds(), stored.quantile(0.99).Seconds()), "–"})
	return nil
}

// arrivals times sampled reports from their 202 until a total that
// counts them reaches them: the k-th sampled report has arrived once the
// total is k above its value before the first.
type arrivals struct {
	what  string
	total func(context.Context) (uint64, error)
	base  uint64

	mu      sync.Mutex
	pending []sample
	delays  []time.Duration
}

// sample is one sampled report: the k-th answered 202, at accepted.
type sample struct {
	k        uint64
	accepted time.Time
}

func (a *arrivals) add(k uint64, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = append(a.pending, sample{k, at})
}

// left is how many sampled reports have not arrived.
func (a *arrivals) left() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending)
}

// poll reads the total every 100 ms until loadDone is closed and every
// sampled report has arrived, or ctx ends. A reader refused for half a
// minute on end is an error; one refusal is not, a busy server may
// refuse one.
func (a *arrivals) poll(ctx context.Context, loadDone <-chan struct{}) error {
	lastOK := time.Now()
	for {
		total, err := a.total(ctx)
		now := time.Now()
		switch {
		case err != nil && (ctx.Err() != nil || now.Sub(lastOK) > 30*time.Second):
			return err
		case err == nil:
			lastOK = now
			a.mu.Lock()
			for len(a.pending) > 0 && total-a.base >= a.pending[0].k {
				a.delays = append(a.delays, now.Sub(a.pending[0].accepted))
				a.pending = a.pending[1:]
			}
			left := len(a.pending)
			a.mu.Unlock()
			select {
			case <-loadDone:
				if left == 0 {
					return nil
				}
			default:
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// quantile is the q quantile of the delays so far.
func (a *arrivals) quantile(q float64) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := slices.Clone(a.delays)
	slices.Sort(d)
	return load.Quantile(d, q)
}

// postSample sends one report about the sampled service from a new
// person and returns the status.
func (r *runner) postSample(ctx context.Context, client *http.Client, ingest string) (int, error) {
	raw := appendReport(nil, ingest, &r.sample, r.sample.Indicators[0], r.people.next(), r.signer)
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ingest+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("make request: %w", err)
	}
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		k, v, _ := bytes.Cut(line, []byte(": "))
		if string(k) != "Host" && string(k) != "Content-Length" {
			req.Header.Set(string(k), string(v))
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post report: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// seriesTotal is the sum of the reports of a series, as the web answers it.
func seriesTotal(ctx context.Context, client *http.Client, u string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("make request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	var s struct {
		Points []struct {
			Reports uint64 `json:"reports"`
		} `json:"points"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return 0, fmt.Errorf("decode the series: %w", err)
	}
	var total uint64
	for _, p := range s.Points {
		total += p.Reports
	}
	return total, nil
}

// serviceReports is how many reports about service ClickHouse holds.
func serviceReports(ctx context.Context, conn driver.Conn, service string) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports WHERE service = ?", service).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the reports of %s: %w", service, err)
	}
	return n, nil
}
