// Package sender delivers simulated reports to the ingest API with a
// bounded pool of workers, backs off when ingest says it is overloaded,
// and counts what happened to every report.
package sender

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/sleep"
)

// Request is one report as one person sends it.
type Request struct {
	Service   string
	Body      []byte
	IP        string
	UserAgent string
	Language  string
}

// Config tunes a Sender.
type Config struct {
	// Target is the ingest reports endpoint.
	Target string
	// Workers bounds the requests in flight.
	Workers int
	// Queue is how many reports may wait for a worker; more are dropped.
	Queue int
	// Timeout bounds one request from dial to the end of the response.
	Timeout time.Duration
	// MaxBackoff caps how long a Retry-After may pause sending.
	MaxBackoff time.Duration
	// Forward, when set, signs each person's address with the secret
	// ingest shares with the web, as the web does for the people it
	// forwards, instead of claiming it in X-Forwarded-For: ingest then
	// believes it without trusting the simulator's network. Nil sends
	// X-Forwarded-For, for an ingest that trusts the simulator by range.
	Forward *forward.Signer
}

// Sender posts reports to ingest.
type Sender struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	queue  chan Request
	// pauseUntil (Unix nanoseconds) is when ingest, having answered 503
	// with Retry-After, said it will take reports again.
	pauseUntil atomic.Int64

	mu    sync.Mutex
	stats Stats
	// blocked holds, per /24 network, when a 429 (a per-client or
	// per-network limit) said that network may report again.
	blocked map[netip.Prefix]time.Time
}

// Stats counts what happened to the reports handed to a Sender.
type Stats struct {
	// Sent is requests that got an HTTP response.
	Sent int64 `json:"sent"`
	// Accepted is 202 answers: a new report counted.
	Accepted int64 `json:"accepted"`
	// Duplicates is 200 answers: the person had already reported.
	Duplicates int64 `json:"duplicates"`
	// Rejected counts every other status by code.
	Rejected map[int]int64 `json:"rejected"`
	// Errors is requests that got no response.
	Errors int64 `json:"errors"`
	// Skipped is reports dropped before sending: while backing off, or
	// because every worker was busy and the queue full.
	Skipped int64 `json:"skipped"`
}

// New returns a Sender; call Run to start its workers.
func New(cfg Config, log *slog.Logger) *Sender {
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Queue <= 0 {
		cfg.Queue = cfg.Workers * 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	transport := &http.Transport{
		// Straight to ingest: a proxy from the environment would also
		// rewrite the X-Forwarded-For the simulation depends on.
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   3 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          cfg.Workers * 2,
		MaxIdleConnsPerHost:   cfg.Workers * 2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ForceAttemptHTTP2:     true,
	}
	return &Sender{
		cfg:     cfg,
		client:  &http.Client{Transport: transport, Timeout: cfg.Timeout},
		log:     log,
		queue:   make(chan Request, cfg.Queue),
		stats:   Stats{Rejected: map[int]int64{}},
		blocked: map[netip.Prefix]time.Time{},
	}
}

// Submit queues a report without blocking. It returns false, and counts
// the report as skipped, while ingest has asked us to back off (all of us
// after a 503, the report's network after a 429) or when the queue is full.
func (s *Sender) Submit(r Request) bool {
	now := time.Now()
	if now.UnixNano() < s.pauseUntil.Load() || s.isBlocked(r.IP, now) {
		s.count(func(st *Stats) { st.Skipped++ })
		return false
	}
	select {
	case s.queue <- r:
		return true
	default:
		s.count(func(st *Stats) { st.Skipped++ })
		return false
	}
}

// Run sends queued reports until ctx ends. Reports still queued then are
// dropped and counted as skipped: they are simulated, and the run is over.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.work(ctx) })
	}
	wg.Wait()
	for {
		select {
		case <-s.queue:
			s.count(func(st *Stats) { st.Skipped++ })
		default:
			return
		}
	}
}

func (s *Sender) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.queue:
			if !s.waitBackoff(ctx) {
				s.count(func(st *Stats) { st.Skipped++ })
				return
			}
			s.send(ctx, r)
		}
	}
}

// waitBackoff sleeps out a pause ingest asked for; false if ctx ended.
func (s *Sender) waitBackoff(ctx context.Context) bool {
	d := time.Duration(s.pauseUntil.Load() - time.Now().UnixNano())
	if d <= 0 {
		return true
	}
	return sleep.For(ctx, d) == nil
}

func (s *Sender) send(ctx context.Context, r Request) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Target, bytes.NewReader(r.Body))
	if err != nil {
		s.log.Error("build report request", "err", err)
		s.count(func(st *Stats) { st.Errors++ })
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", r.UserAgent)
	if s.cfg.Forward != nil {
		addr, err := netip.ParseAddr(r.IP)
		if err != nil {
			// Every persona has an address; one that does not parse is
			// a simulator bug, and unsigned it would count against the
			// simulator itself. The address is synthetic but stays out
			// of the log like any client's.
			s.log.Error("sign report address", "slug", r.Service, "err", "not an IP address")
			s.count(func(st *Stats) { st.Errors++ })
			return
		}
		s.cfg.Forward.Set(req.Header, addr)
	} else {
		req.Header.Set("X-Forwarded-For", r.IP)
	}
	if r.Language != "" {
		req.Header.Set("Accept-Language", r.Language)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down, not ingest's fault: the report was never
			// answered, so it counts as skipped.
			s.count(func(st *Stats) { st.Skipped++ })
			return
		}
		s.count(func(st *Stats) { st.Errors++ })
		s.log.Debug("send report", "slug", r.Service, "err", err)
		return
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusAccepted:
		s.count(func(st *Stats) { st.Sent++; st.Accepted++ })
	case http.StatusOK:
		s.count(func(st *Stats) { st.Sent++; st.Duplicates++ })
	default:
		var n int64
		s.count(func(st *Stats) { st.Sent++; st.Rejected[resp.StatusCode]++; n = st.Rejected[resp.StatusCode] })
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable:
			s.backOff(resp.Header.Get("Retry-After"))
		case resp.StatusCode == http.StatusTooManyRequests:
			s.block(r.IP, resp.Header.Get("Retry-After"))
		case n == 1 || n%1000 == 0:
			// Show what ingest objects to, sparingly: a contract mismatch
			// would otherwise flood the log.
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			s.log.Warn("report rejected", "slug", r.Service, "status", resp.StatusCode, "count", n, "body", string(body))
		}
	}
	// Drain so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
}

// pause is how long a Retry-After header asks us to wait, within bounds.
func (s *Sender) pause(header string) time.Duration {
	d := RetryAfter(header, time.Now())
	if d <= 0 {
		d = time.Second
	}
	return min(d, s.cfg.MaxBackoff)
}

// backOff pauses all sending: ingest as a whole is overloaded.
func (s *Sender) backOff(header string) {
	d := s.pause(header)
	until := time.Now().Add(d).UnixNano()
	for {
		cur := s.pauseUntil.Load()
		if cur >= until {
			return
		}
		if s.pauseUntil.CompareAndSwap(cur, until) {
			s.log.Info("ingest unavailable, pausing", "pause", d.String())
			return
		}
	}
}

// netOf is the /24 that ingest's per-network limit counts an address in.
func netOf(ip string) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := 24
	if !a.Is4() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// block stops reports from ip's network until Retry-After has passed: a
// 429 is about that client or network, not about ingest as a whole.
func (s *Sender) block(ip, header string) {
	p, ok := netOf(ip)
	if !ok {
		return
	}
	now := time.Now()
	until := now.Add(s.pause(header))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.blocked) > 10000 {
		for k, t := range s.blocked {
			if now.After(t) {
				delete(s.blocked, k)
			}
		}
	}
	if until.After(s.blocked[p]) {
		s.blocked[p] = until
	}
}

func (s *Sender) isBlocked(ip string, now time.Time) bool {
	p, ok := netOf(ip)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until, found := s.blocked[p]
	return found && now.Before(until)
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date; 0
// if it is missing or malformed.
func RetryAfter(header string, now time.Time) time.Duration {
	if header == "" {
		return 0
	}
	if secs, err := strconv.Atoi(header); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(header); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

func (s *Sender) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Rejected = make(map[int]int64, len(s.stats.Rejected))
	for k, v := range s.stats.Rejected {
		st.Rejected[k] = v
	}
	return st
}

// LogSummary logs the counters every interval until ctx ends, then once
// more.
func (s *Sender) LogSummary(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last Stats
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st := s.Stats()
			s.log.Info("simulator summary",
				"sent", st.Sent, "accepted", st.Accepted, "duplicates", st.Duplicates,
				"rejected", rejectedAttr(st.Rejected), "errors", st.Errors, "skipped", st.Skipped,
				"sent_per_s", fmt.Sprintf("%.1f", float64(st.Sent-last.Sent)/every.Seconds()))
			last = st
		}
	}
}

// LogFinal logs the counters once, at the end of a run.
func (s *Sender) LogFinal() {
	st := s.Stats()
	s.log.Info("simulator finished",
		"sent", st.Sent, "accepted", st.Accepted, "duplicates", st.Duplicates,
		"rejected", rejectedAttr(st.Rejected), "errors", st.Errors, "skipped", st.Skipped)
}

// rejectedAttr renders the per-status counts with string keys, which JSON
// logs need.
func rejectedAttr(m map[int]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[strconv.Itoa(k)] = v
	}
	return out
}
