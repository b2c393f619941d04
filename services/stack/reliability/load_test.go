package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
)

// person is one simulated reporter: where they report from and with what.
type person struct {
	ip, ua string
}

var personSeq atomic.Int64

// newPerson is someone no scenario has used yet, alone in an IPv4 /24 of
// their own, so that neither the per-network rate limit nor the network
// cap ever touches the load: only the attacks share networks.
func newPerson() person {
	n := personSeq.Add(1)
	return person{
		ip: fmt.Sprintf("%d.%d.%d.%d", 11+(n>>16)%40, (n>>8)&255, n&255, 1+n%250),
		ua: fmt.Sprintf("Mozilla/5.0 (reliability person %d)", n),
	}
}

// answer is what the ingest said to one report.
type answer struct {
	status     int
	id         string // the report's id, on 202
	retryAfter string
	err        error // no answer at all
}

// httpClient posts reports; its pool is large enough for the load's
// concurrency, so that no request waits for a connection.
var httpClient = &http.Client{
	Timeout:   15 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
}

// send posts one report to the ingest as p, the way a browser behind the
// trusted proxy would arrive.
func send(ctx context.Context, slug, symptom string, p person) answer {
	body, _ := json.Marshal(map[string]string{"service": slug, "symptom": symptom, "platform": "web"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, serviceURL("ingest")+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return answer{err: fmt.Errorf("make request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", p.ip)
	req.Header.Set("User-Agent", p.ua)
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{err: fmt.Errorf("post report: %w", err)}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode == http.StatusAccepted {
		var r struct {
			ID string `json:"id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.ID == "" {
			a.err = fmt.Errorf("202 without a report id: %v", err)
		}
		a.id = r.ID
	}
	io.Copy(io.Discard, resp.Body)
	return a
}

// tally adds up the answers of many reports.
type tally struct {
	mu       sync.Mutex
	sent     int
	statuses map[int]int
	failed   int      // no answer (connection refused, timeout)
	ids      []string // of the reports answered 202
	// unpaced counts 429 and 503 answers without Retry-After, which the
	// guarantees forbid.
	unpaced int
	// marks are the counts of 202s at moments a scenario names.
	marks map[string]int
}

func newTally() *tally { return &tally{statuses: map[int]int{}, marks: map[string]int{}} }

func (t *tally) add(a answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent++
	if a.err != nil && a.status == 0 {
		t.failed++
		return
	}
	t.statuses[a.status]++
	if a.status == http.StatusAccepted && a.id != "" {
		t.ids = append(t.ids, a.id)
	}
	if (a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable) && a.retryAfter == "" {
		t.unpaced++
	}
}

// accepted is how many reports were answered 202 so far.
func (t *tally) accepted() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ids)
}

// mark remembers how many 202s there were at a moment.
func (t *tally) mark(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.marks[name] = len(t.ids)
}

// statusNote lists the answers other than 202 for the table's notes.
func (t *tally) statusNote() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := ""
	for _, code := range []int{200, 429, 503} {
		if n := t.statuses[code]; n > 0 {
			s += fmt.Sprintf("%d×%d ", n, code)
		}
	}
	for code, n := range t.statuses {
		if code != 200 && code != 202 && code != 429 && code != 503 {
			s += fmt.Sprintf("%d×%d ", n, code)
		}
	}
	if t.failed > 0 {
		s += fmt.Sprintf("%d unanswered ", t.failed)
	}
	if s == "" {
		return "every report answered 202"
	}
	return "other answers: " + s[:len(s)-1]
}

// load sends reports about one service from new people at a steady rate
// until stopped.
type load struct {
	t      *tally
	cancel context.CancelFunc
	done   chan struct{}
}

// startLoad starts sending rate reports a second about slug, cycling
// through its symptoms.
func startLoad(ctx context.Context, slug string, symptoms []string, rate int) *load {
	ctx, cancel := context.WithCancel(ctx)
	l := &load{t: newTally(), cancel: cancel, done: make(chan struct{})}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				// The load's own context ends its requests only after
				// the ticker stopped: a report in flight gets its answer.
				l.t.add(send(context.WithoutCancel(ctx), slug, symptoms[n%len(symptoms)], newPerson()))
			}
		}()
	}
	go func() {
		defer close(l.done)
		defer wg.Wait()
		defer close(jobs)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case jobs <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	return l
}

// finish stops the load and returns its tally once every report sent has
// its answer.
func (l *load) finish() *tally {
	l.cancel()
	<-l.done
	return l.t
}

// sendAll has each of people report once about slug, conc at a time, and
// adds the answers to t.
func sendAll(ctx context.Context, slug, symptom string, people []person, conc int, t *tally) {
	var wg sync.WaitGroup
	next := make(chan person)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				t.add(send(ctx, slug, symptom, p))
			}
		}()
	}
	for _, p := range people {
		next <- p
	}
	close(next)
	wg.Wait()
}

// reportPersistently sends one report until the ingest answers it, waiting
// as Retry-After says: the way a patient client (and the alert
// scenarios, which need their bursts to land) copes with the other
// scenarios' outages.
func reportPersistently(ctx context.Context, slug, symptom string, p person) answer {
	for {
		a := send(ctx, slug, symptom, p)
		if a.err == nil && a.status != http.StatusServiceUnavailable && a.status != http.StatusTooManyRequests {
			return a
		}
		select {
		case <-ctx.Done():
			return answer{err: ctx.Err()}
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitDrained waits until the worker has written and deleted every report
// in the stream: nothing queued and nothing pending.
func waitDrained(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		n, err := rdb.XLen(ctx, redis.Reports).Result()
		if err == nil && n == 0 {
			p, perr := rdb.XPending(ctx, redis.Reports, redis.ReportsGroup).Result()
			if perr == nil && p.Count == 0 {
				return nil
			}
			if perr != nil {
				last = perr.Error()
			} else {
				last = fmt.Sprintf("%d reports pending", p.Count)
			}
		} else if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d reports in the stream", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("worker not drained within %s: %s", d, last)
}
