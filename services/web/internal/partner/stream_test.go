package partner_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/web/client"
	"github.com/lapor/lapor/services/web/internal/contract"
	"github.com/lapor/lapor/services/web/internal/partner"
	"github.com/lapor/lapor/services/web/internal/server"
)

// newStreamFixture is newFixture with the event streams' limits set.
func newStreamFixture(t *testing.T, so partner.StreamOptions) *fixture {
	t.Helper()
	return newFixture(t, func(o *server.Options) { o.Partner.Streams = so })
}

// sseEvent is one event read off a stream.
type sseEvent struct{ ID, Kind, Data string }

// sseReader reads one open event stream in the background.
type sseReader struct {
	resp   *http.Response
	events chan sseEvent // closed when the stream ends
}

// openStream opens /v1/alerts/stream with key, resuming after
// lastEventID when it is not empty. It returns a reader when the stream
// opened, and only the response, its body read, when it did not.
func (f *fixture) openStream(ctx context.Context, hc *http.Client, key, lastEventID string) (*sseReader, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/v1/alerts/stream", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp, nil
	}
	r := &sseReader{resp: resp, events: make(chan sseEvent, 64)}
	go func() {
		defer close(r.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.ID != "" {
					r.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return r, resp, nil
}

func (r *sseReader) close() { r.resp.Body.Close() }

// until reads events until one has the id last, and returns their ids.
func (r *sseReader) until(last string, d time.Duration) ([]string, error) {
	var got []string
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				return got, fmt.Errorf("stream ended after %v", got)
			}
			got = append(got, ev.ID)
			if ev.ID == last {
				return got, nil
			}
		case <-timeout:
			return got, fmt.Errorf("no event %s within %s; got %v", last, d, got)
		}
	}
}

func TestManyStreamsLeaveTheRedisPoolToRequests(t *testing.T) {
	const keys, perKey = 20, 10 // 200 streams
	f := newStreamFixture(t, partner.StreamOptions{PerKey: perKey})
	f.publish(event(0))
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: keys * perKey}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: &contract.Transport{T: t, Base: tr}}

	streams := make([]*sseReader, keys*perKey)
	errs := make(chan error, len(streams))
	var wg sync.WaitGroup
	start := time.Now()
	for k := range keys {
		key := f.key("100000-M", partner.ScopeAlerts)
		for s := range perKey {
			wg.Go(func() {
				r, resp, err := f.openStream(ctx, hc, key, "")
				if err == nil && r == nil {
					err = fmt.Errorf("stream answered %d", resp.StatusCode)
				}
				if err != nil {
					errs <- err
					return
				}
				streams[k*perKey+s] = r
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range streams {
			r.close()
		}
	}()
	t.Logf("%d streams open after %v", len(streams), time.Since(start))

	// (a) Open streams hold no pool connection: only the hub's blocking
	// read does, so at most one or two are in use at any moment.
	maxInUse := uint32(0)
	for range 20 {
		st := f.rdb.PoolStats()
		maxInUse = max(maxInUse, st.TotalConns-st.IdleConns)
		time.Sleep(25 * time.Millisecond)
	}
	if maxInUse > 2 {
		t.Errorf("%d Redis connections in use with %d idle streams open, want at most 2", maxInUse, len(streams))
	}

	// (b) A partner's request is answered as if no stream were open.
	c := f.client(partner.ScopeAlerts)
	for range 3 {
		began := time.Now()
		page, err := c.Alerts(f.ctx, "", client.Filter{})
		if err != nil {
			t.Fatalf("poll with %d streams open: %v", len(streams), err)
		}
		t.Logf("poll with %d streams open answered %d events in %v (pool in use at most %d)", len(streams), len(page.Entries), time.Since(began), maxInUse)
	}

	// (c) Every stream gets each new event exactly once, its cursor as id.
	cursors := f.publish(event(1), event(2))
	for i, r := range streams {
		got, err := r.until(cursors[1], 10*time.Second)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if !slices.Equal(got, cursors) {
			t.Fatalf("stream %d got ids %v, want %v", i, got, cursors)
		}
	}
	// Nothing more follows: a repeat would show up now.
	time.Sleep(300 * time.Millisecond)
	for i, r := range streams {
		select {
		case ev, ok := <-r.events:
			if ok {
				t.Fatalf("stream %d got %s again", i, ev.ID)
			}
		default:
		}
	}
}

func TestStreamCatchesUpThenFollowsWithoutGapOrRepeat(t *testing.T) {
	f := newStreamFixture(t, partner.StreamOptions{})
	c := f.client(partner.ScopeAlerts)
	const before, during = 250, 60 // more than two pages behind
	var evs []lapor.AlertEvent
	for i := range before {
		evs = append(evs, event(i))
	}
	cursors := f.publish(evs...)
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()

	starts := []int{0, 99, 150, before - 1} // from far behind to up to date
	type result struct {
		start int
		got   []string
		err   error
	}
	results := make(chan result, len(starts))
	for _, s := range starts {
		from := cursors[s] // read here: cursors grows while the streams run
		go func() {
			var got []string
			err := c.Stream(ctx, from, client.Filter{}, func(e client.Entry) error {
				got = append(got, e.Cursor)
				if len(got) == before+during-1-s {
					return io.EOF // all there
				}
				return nil
			})
			if errors.Is(err, io.EOF) {
				err = nil
			}
			results <- result{s, got, err}
		}()
	}
	// Publish while the streams catch up and switch to the hub.
	for i := range during {
		cursors = append(cursors, f.publish(event(before+i))...)
		if i%10 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for range starts {
		r := <-results
		if r.err != nil {
			t.Errorf("stream from %d: %v", r.start, r.err)
		}
		if want := cursors[r.start+1:]; !slices.Equal(r.got, want) {
			t.Errorf("stream from %d got %d events, want the %d after it in order (first %v)", r.start, len(r.got), len(want), r.got[:min(3, len(r.got))])
		}
	}
}

func TestStreamLimits(t *testing.T) {
	f := newStreamFixture(t, partner.StreamOptions{PerKey: 2, Max: 3})
	keyA, keyB, keyC := f.key("1000-M", partner.ScopeAlerts), f.key("1000-M", partner.ScopeAlerts), f.key("1000-M", partner.ScopeAlerts)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	tests := []struct {
		name   string
		key    string
		status int
		code   string
	}{
		{"first of a key", keyA, http.StatusOK, ""},
		{"second of a key", keyA, http.StatusOK, ""},
		{"over the key's limit", keyA, http.StatusTooManyRequests, "too_many_streams"},
		{"another key", keyB, http.StatusOK, ""},
		{"over the server's limit", keyC, http.StatusServiceUnavailable, "unavailable"},
	}
	var open []*sseReader
	defer func() {
		for _, r := range open {
			r.close()
		}
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, resp, err := f.openStream(ctx, f.hc, tt.key, "")
			if err != nil {
				t.Fatal(err)
			}
			if r != nil {
				open = append(open, r)
				if tt.status != http.StatusOK {
					t.Fatalf("stream opened, want %d", tt.status)
				}
				return
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.Header.Get("Retry-After") == "" {
				t.Errorf("no Retry-After on %d", resp.StatusCode)
			}
			// openStream closed the body; the contract transport kept it.
			body, _ := io.ReadAll(resp.Body)
			if code := errorCode(t, body); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
		})
	}
	// A stream that ends gives its slot back.
	open[0].close()
	open = open[1:]
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, resp, err := f.openStream(ctx, f.hc, keyA, "")
		if err != nil {
			t.Fatal(err)
		}
		if r != nil {
			open = append(open, r)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key still refused (%d) after one of its streams ended", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Polling is not limited by the streams a key holds.
	if resp, body := f.get("/v1/alerts", keyA); resp.StatusCode != http.StatusOK {
		t.Errorf("poll with the key's streams all open: %d %s", resp.StatusCode, body)
	}
}

func TestCursorPastTheEndIsRefused(t *testing.T) {
	f := newStreamFixture(t, partner.StreamOptions{})
	key := f.key("1000-M", partner.ScopeAlerts)
	check := func(t *testing.T, path, header string, status int, code string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(f.ctx, http.MethodGet, f.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if header != "" {
			req.Header.Set("Last-Event-ID", header)
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != status {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
		}
		if status == http.StatusOK {
			return
		}
		body, _ := io.ReadAll(resp.Body)
		if got := errorCode(t, body); got != code {
			t.Errorf("code %q, want %q: %s", got, code, body)
		}
		if code == "invalid_cursor" && !strings.Contains(string(body), "cursor is past the end of the alert log") {
			t.Errorf("body %s does not say why", body)
		}
	}
	type row struct {
		name   string
		path   string
		header string
		status int
		code   string
	}
	run := func(t *testing.T, rows []row) {
		for _, tt := range rows {
			t.Run(tt.name, func(t *testing.T) { check(t, tt.path, tt.header, tt.status, tt.code) })
		}
	}

	t.Run("empty log", func(t *testing.T) {
		run(t, []row{
			{"poll from the beginning", "/v1/alerts?since=0", "", http.StatusOK, ""},
			{"poll from any cursor", "/v1/alerts?since=1-0", "", http.StatusBadRequest, "invalid_cursor"},
			{"stream from any cursor", "/v1/alerts/stream", "1700000000000-0", http.StatusBadRequest, "invalid_cursor"},
		})
	})

	cursors := f.publish(event(0), event(1))
	last := cursors[1]
	// Streams that open are closed by the shutdown at the end of the test.
	run(t, []row{
		{"poll from the newest", "/v1/alerts?since=" + last, "", http.StatusOK, ""},
		{"poll past the newest", "/v1/alerts?since=99999999999999-0", "", http.StatusBadRequest, "invalid_cursor"},
		{"poll one past the newest", "/v1/alerts?since=" + next(last), "", http.StatusBadRequest, "invalid_cursor"},
		{"stream from the newest", "/v1/alerts/stream", last, http.StatusOK, ""},
		{"stream past the newest", "/v1/alerts/stream", "99999999999999-0", http.StatusBadRequest, "invalid_cursor"},
		{"stream since past the newest", "/v1/alerts/stream?since=99999999999999-0", "", http.StatusBadRequest, "invalid_cursor"},
		// Once Redis refused it and the client was told to retry.
		{"poll past 64 bits", "/v1/alerts?since=18446744073709551616-0", "", http.StatusBadRequest, "invalid_parameter"},
	})
	c := f.client(partner.ScopeAlerts)
	if _, err := c.Alerts(f.ctx, "99999999999999-0", client.Filter{}); !client.IsCode(err, "invalid_cursor") {
		t.Errorf("client: %v, want invalid_cursor", err)
	}
}

// next is the cursor right after c.
func next(c string) string {
	var ms, seq uint64
	fmt.Sscanf(c, "%d-%d", &ms, &seq)
	return fmt.Sprintf("%d-%d", ms, seq+1)
}
