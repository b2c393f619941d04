package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/lapor/lapor/services/stack/bench/load"
	"github.com/lapor/lapor/services/stack/bench/reference"
)

// read measures the read API on the real web once data is there: the
// services list and one service's series, the same URL again and again
// (cached) and the series over a range that changes with every request
// (uncached), then gin serving the bytes the web gave for each URL.
func (r *runner) read(ctx context.Context) error {
	web := r.stack.Procs["web"].Addr
	slug := r.services[0].Slug
	paths := []string{"/api/v1/services", "/api/v1/services/" + slug + "/series"}
	var static []reference.Static
	for _, p := range paths {
		s, err := capture(ctx, "http://"+web+p)
		if err != nil {
			return err
		}
		s.Path = p
		static = append(static, s)
		r.say("%s: %d bytes (%s)", p, len(s.Body), orIdentity(s.ContentEncoding))
	}

	cached := make([]load.Result, len(paths))
	for i, p := range paths {
		res, err := r.readLoad(ctx, web, r.cfg.ReadConns, fixed(p))
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "GET %s cached (Lapor, %d connections): %s\n", p, r.cfg.ReadConns, res.Summary())
		if err := checkStatuses(res, http.StatusOK, http.StatusServiceUnavailable); err != nil {
			return fmt.Errorf("GET %s: %w", p, err)
		}
		cached[i] = res
	}
	t0 := time.Now().UTC().Truncate(time.Minute)
	uncachedPath := func(i int64) string {
		return paths[1] + "?to=" + url.QueryEscape(t0.Add(-time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	uncached, err := r.readLoad(ctx, web, r.cfg.UncachedConns, uncachedPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "GET %s?to=… uncached, a new range each request (Lapor, %d connections): %s\n", paths[1], r.cfg.UncachedConns, uncached.Summary())
	if err := checkStatuses(uncached, http.StatusOK, http.StatusServiceUnavailable); err != nil {
		return fmt.Errorf("GET %s uncached: %w", paths[1], err)
	}

	manifest := filepath.Join(r.tmp, "static.json")
	if err := reference.WriteManifest(manifest, static); err != nil {
		return err
	}
	addr, stop, err := r.reference(ctx, manifest)
	if err != nil {
		return err
	}
	defer stop()
	var worst time.Duration
	for i, p := range paths {
		ref, err := r.readLoad(ctx, addr, r.cfg.ReadConns, fixed(p))
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "GET %s (static gin, %d connections): %s\n", p, r.cfg.ReadConns, ref.Summary())
		if err := checkStatuses(ref, http.StatusOK); err != nil {
			return fmt.Errorf("static %s: %w", p, err)
		}
		rt := ratio(ok(cached[i]), ok(ref))
		fmt.Fprintf(r.out, "GET %s cached/static ratio: %s\n", p, rt)
		r.summary = append(r.summary, row{fmt.Sprintf("`GET %s` cached, %d connections", displayPath(p), r.cfg.ReadConns), "p99 ≤ 20 ms",
			fmt.Sprintf("%s req/s, p99 %s", thousands(ok(cached[i])), load.Ms(cached[i].Quantile(0.99))),
			fmt.Sprintf("static gin: %s req/s, p99 %s", thousands(ok(ref)), load.Ms(ref.Quantile(0.99))), rt})
		if i == 1 {
			urt := ratio(ok(uncached), ok(ref))
			fmt.Fprintf(r.out, "GET %s uncached/static ratio: %s\n", p, urt)
			r.summary = append(r.summary, row{fmt.Sprintf("series uncached (a new `to` each request), %d connections", r.cfg.UncachedConns), "fast enough not to matter",
				fmt.Sprintf("%s req/s, p50 %s, p99 %s", thousands(ok(uncached)), load.Ms(uncached.Quantile(0.5)), load.Ms(uncached.Quantile(0.99))),
				fmt.Sprintf("static gin: %s req/s", thousands(ok(ref))), urt})
		}
		worst = max(worst, cached[i].Quantile(0.99))
	}
	fmt.Fprintf(r.out, "read p99 cached: %d ms\n", int(math.Ceil(float64(worst)/float64(time.Millisecond))))
	fmt.Fprintf(r.out, "read p99 uncached: %d ms\n", int(math.Ceil(float64(uncached.Quantile(0.99))/float64(time.Millisecond))))
	return nil
}

// displayPath shortens a series path for the table.
func displayPath(p string) string {
	if m, _ := filepath.Match("/api/v1/services/*/series", p); m {
		return "/api/v1/services/{slug}/series"
	}
	return p
}

// readLoad warms up for a second, then sends GET requests to addr.
func (r *runner) readLoad(ctx context.Context, addr string, conns int, path func(int64) string) (load.Result, error) {
	cfg := load.Config{Addr: addr, Conns: conns, Duration: time.Second, Request: getRequest(addr, path)}
	if _, err := load.Run(ctx, cfg); err != nil {
		return load.Result{}, fmt.Errorf("warm up %s: %w", addr, err)
	}
	cfg.Duration = r.cfg.ReadDuration
	res, err := load.Run(ctx, cfg)
	if err != nil {
		return res, fmt.Errorf("load %s: %w", addr, err)
	}
	return res, nil
}

// fixed is the same path for every request.
func fixed(p string) func(int64) string { return func(int64) string { return p } }

// ok is the 200 answers a second.
func ok(res load.Result) float64 {
	if res.Elapsed <= 0 {
		return 0
	}
	return float64(res.Statuses[http.StatusOK]) / res.Elapsed.Seconds()
}

// capture is the web's answer to u as a browser taking gzip gets it.
func capture(ctx context.Context, u string) (reference.Static, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return reference.Static{}, fmt.Errorf("make request: %w", err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		return reference.Static{}, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reference.Static{}, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return reference.Static{}, fmt.Errorf("GET %s: status %d: %.300s", u, resp.StatusCode, body)
	}
	return reference.Static{ContentType: resp.Header.Get("Content-Type"), ContentEncoding: resp.Header.Get("Content-Encoding"), Body: body}, nil
}

func orIdentity(enc string) string {
	if enc == "" {
		return "identity"
	}
	return enc
}
