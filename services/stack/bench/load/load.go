// Package load is the benchmarks' HTTP load generator: a fixed number of
// keep-alive connections, each sending one request at a time (a closed
// loop) or taking its turn from a steady pace (an open loop), with every
// request's bytes made by the caller, so that each report can come from a
// different person. It speaks HTTP/1.1 on raw connections rather than
// through net/http's client, which would cost the generator more CPU than
// the servers it measures on a two-core machine.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request appends request number i, whole (request line, headers and
// body), to buf and returns it.
type Request func(i int64, buf []byte) []byte

// Config is one run of the generator.
type Config struct {
	// Addr is the server's host:port.
	Addr string
	// Conns is the number of connections, each with one request in flight.
	Conns int
	// Duration is how long requests are started for.
	Duration time.Duration
	// Rate, when above zero, paces requests at this many a second in all
	// (an open loop, for a steady load); zero sends as fast as answers come.
	Rate float64
	// Request makes each request.
	Request Request
	// OnAnswer, when set, is called with each answer's number, status and
	// body, from the connection's goroutine.
	OnAnswer func(i int64, status int, body []byte, at time.Time)
	// Timeout bounds each request (10 s when zero).
	Timeout time.Duration
}

// Result is what a run measured.
type Result struct {
	Requests  int64         // answered
	Elapsed   time.Duration // from the first request to the last answer
	Statuses  map[int]int64 // answers by status
	Failures  int64         // requests without an answer
	FirstErr  error         // the first failure, for the report
	latencies []time.Duration
}

// PerSecond is the answered requests a second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Quantile is the latency under which a share q of the answers came.
func (r Result) Quantile(q float64) time.Duration { return Quantile(r.latencies, q) }

// Quantile is the q quantile of sorted durations (nearest rank).
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// StatusLine lists the answers by status, "202×1234 429×3", and the
// failures.
func (r Result) StatusLine() string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, r.Statuses[c]))
	}
	if r.Failures > 0 {
		parts = append(parts, fmt.Sprintf("%d failed (first: %v)", r.Failures, r.FirstErr))
	}
	if len(parts) == 0 {
		return "no answers"
	}
	return strings.Join(parts, " ")
}

// Summary is one line: rate, latencies and statuses.
func (r Result) Summary() string {
	return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, %s", r.PerSecond(),
		Ms(r.Quantile(0.5)), Ms(r.Quantile(0.99)), r.StatusLine())
}

// Ms formats d in milliseconds with two decimals at most.
func Ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// Run sends requests until cfg.Duration has passed or ctx ends, and
// returns what it measured once every request started has its answer.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Conns < 1 || cfg.Request == nil || cfg.Duration <= 0 {
		return Result{}, errors.New("load: conns, duration and request are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		next  atomic.Int64
		turns chan struct{}
		wg    sync.WaitGroup
		start = time.Now()
	)
	if cfg.Rate > 0 {
		turns = make(chan struct{}, cfg.Conns)
		go pace(ctx, cfg.Rate, turns)
	}
	workers := make([]*worker, cfg.Conns)
	for w := range workers {
		workers[w] = &worker{cfg: cfg, statuses: map[int]int64{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			workers[w].loop(ctx, &next, turns)
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Statuses: map[int]int64{}}
	for _, w := range workers {
		res.Requests += w.answered
		res.Failures += w.failures
		if res.FirstErr == nil {
			res.FirstErr = w.firstErr
		}
		for c, n := range w.statuses {
			res.Statuses[c] += n
		}
		res.latencies = append(res.latencies, w.latencies...)
	}
	slices.Sort(res.latencies)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return res, err
	}
	return res, nil
}

// pace puts a turn on turns at rate a second until ctx ends; a turn no
// connection is free to take waits, so a slow server meets the backlog
// of turns once it catches up, as a steady stream of people would queue.
func pace(ctx context.Context, rate float64, turns chan<- struct{}) {
	defer close(turns)
	start := time.Now()
	for sent := int64(0); ; {
		due := int64(time.Since(start).Seconds() * rate)
		for ; sent < due; sent++ {
			select {
			case turns <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// worker is one connection's loop.
type worker struct {
	cfg       Config
	conn      net.Conn
	br        *bufio.Reader
	buf       []byte
	body      []byte
	answered  int64
	failures  int64
	firstErr  error
	statuses  map[int]int64
	latencies []time.Duration
}

func (w *worker) loop(ctx context.Context, next *atomic.Int64, turns <-chan struct{}) {
	defer w.close()
	for {
		if turns != nil {
			if _, ok := <-turns; !ok {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		i := next.Add(1) - 1
		began := time.Now()
		status, err := w.do(i)
		if err != nil {
			w.failures++
			if w.firstErr == nil {
				w.firstErr = err
			}
			w.close()
			// A refused connection is retried after a pause, not in a
			// tight loop.
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		now := time.Now()
		w.answered++
		w.statuses[status]++
		w.latencies = append(w.latencies, now.Sub(began))
		if w.cfg.OnAnswer != nil {
			w.cfg.OnAnswer(i, status, w.body, now)
		}
	}
}

// do sends request i and reads its answer, dialling first when needed.
func (w *worker) do(i int64) (int, error) {
	if w.conn == nil {
		c, err := net.DialTimeout("tcp", w.cfg.Addr, w.cfg.Timeout)
		if err != nil {
			return 0, fmt.Errorf("dial %s: %w", w.cfg.Addr, err)
		}
		w.conn, w.br = c, bufio.NewReaderSize(c, 32<<10)
	}
	_ = w.conn.SetDeadline(time.Now().Add(w.cfg.Timeout))
	w.buf = w.cfg.Request(i, w.buf[:0])
	if _, err := w.conn.Write(w.buf); err != nil {
		return 0, fmt.Errorf("send request: %w", err)
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return 0, fmt.Errorf("read answer: %w", err)
	}
	w.body, err = readAll(resp.Body, w.body[:0])
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("read body: %w", err)
	}
	if resp.Close {
		w.close()
	}
	return resp.StatusCode, nil
}

func (w *worker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn, w.br = nil, nil
	}
}

// readAll reads r to its end into buf.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
