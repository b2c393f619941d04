package partner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/web/client"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// event is the i-th test event; services, levels and countries vary so
// that filters have something to choose.
func event(i int) lapor.AlertEvent {
	svcs := []string{"whatsapp", "gojek", "instagram"}
	levels := []lapor.Level{lapor.LevelPossible, lapor.LevelDetected}
	countries := [][]string{{"ID"}, {"US", "GB"}, nil}
	kinds := []lapor.AlertKind{lapor.AlertOpened, lapor.AlertEscalated, lapor.AlertUpdated, lapor.AlertResolved}
	return lapor.AlertEvent{
		ID: fmt.Sprintf("ev-%03d", i), Kind: kinds[i%4], IncidentID: fmt.Sprintf("inc-%d", i/4),
		Service: svcs[i%3], Level: levels[i%2], At: time.Unix(1700000000+int64(i)*60, 0).UTC(),
		Count: uint32(10 + i), Baseline: 2.5, Countries: countries[i%3],
	}
}

func ids(es []client.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Event.ID
	}
	return out
}

// poll pages through the alerts after since until it has want events or
// the deadline passes.
func poll(ctx context.Context, c *client.Client, since string, f client.Filter, want int) ([]client.Entry, error) {
	var got []client.Entry
	seen := map[string]bool{}
	for len(got) < want {
		page, err := c.Alerts(ctx, since, f)
		if err != nil {
			return got, err
		}
		for _, e := range page.Entries {
			if seen[e.Cursor] {
				return got, fmt.Errorf("event %s at %s came twice", e.Event.ID, e.Cursor)
			}
			seen[e.Cursor] = true
		}
		got = append(got, page.Entries...)
		since = page.NextCursor
		if !page.HasMore {
			select {
			case <-ctx.Done():
				return got, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return got, nil
}

func TestPollerAndStreamSeeTheSameSequence(t *testing.T) {
	f := newFixture(t)
	c := client.New(f.srv.URL, f.key("100000-M", partner.ScopeAlerts), &client.Options{HTTPClient: f.hc, PageSize: 3})
	start := f.publish(event(0))[0]

	filters := []struct {
		name string
		f    client.Filter
	}{
		{"no filter", client.Filter{}},
		{"service", client.Filter{Services: []string{"whatsapp", "gojek"}}},
		{"level and country", client.Filter{Levels: []string{"detected"}, Countries: []string{"us"}}},
	}
	const n = 40
	var want [][]string
	for _, fl := range filters {
		var w []string
		for i := 1; i <= n; i++ {
			if fl.f.Match(event(i)) {
				w = append(w, event(i).ID)
			}
		}
		want = append(want, w)
	}

	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	type result struct {
		name string
		got  []string
		err  error
	}
	results := make(chan result, 2*len(filters))
	for k, fl := range filters {
		go func() {
			var got []client.Entry
			err := c.Stream(ctx, start, fl.f, func(e client.Entry) error {
				got = append(got, e)
				if len(got) == len(want[k]) {
					return io.EOF // all there
				}
				return nil
			})
			if errors.Is(err, io.EOF) {
				err = nil
			}
			results <- result{"stream/" + fl.name, ids(got), err}
		}()
		go func() {
			got, err := poll(ctx, c, start, fl.f, len(want[k]))
			results <- result{"poll/" + fl.name, ids(got), err}
		}()
	}
	// Publish while both read, in small bursts.
	for i := 1; i <= n; i++ {
		f.publish(event(i))
		if i%7 == 0 {
			time.Sleep(30 * time.Millisecond)
		}
	}
	for range 2 * len(filters) {
		r := <-results
		k := slices.IndexFunc(filters, func(fl struct {
			name string
			f    client.Filter
		}) bool {
			return strings.HasSuffix(r.name, "/"+fl.name)
		})
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
		}
		if !slices.Equal(r.got, want[k]) {
			t.Errorf("%s saw %v, want %v", r.name, r.got, want[k])
		}
	}

	// A filtered page that matched nothing still moves the cursor on.
	last, _ := f.alerts.Last(f.ctx)
	page, err := c.Alerts(f.ctx, start, client.Filter{Services: []string{"netflix"}})
	if err != nil || len(page.Entries) != 0 || page.NextCursor == start || page.NextCursor == "" || !page.HasMore {
		t.Errorf("filtered page = %+v, %v", page, err)
	}
	page, err = c.Alerts(f.ctx, last, client.Filter{})
	if err != nil || len(page.Entries) != 0 || page.NextCursor != last || page.HasMore {
		t.Errorf("page after the last event = %+v, %v", page, err)
	}
}

func TestStreamResumesAfterLastEventID(t *testing.T) {
	f := newFixture(t)
	c := f.client(partner.ScopeAlerts)
	cursors := f.publish(event(0), event(1), event(2), event(3), event(4))
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()

	var first []client.Entry
	stop := errors.New("stop")
	err := c.Stream(ctx, cursors[0], client.Filter{}, func(e client.Entry) error {
		first = append(first, e)
		if len(first) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(ids(first), []string{"ev-001", "ev-002"}) || first[1].Cursor != cursors[2] {
		t.Fatalf("first connection: %v, %v", ids(first), err)
	}
	var rest []client.Entry
	err = c.Stream(ctx, first[1].Cursor, client.Filter{}, func(e client.Entry) error {
		rest = append(rest, e)
		if len(rest) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(ids(rest), []string{"ev-003", "ev-004"}) {
		t.Fatalf("resumed connection: %v, %v", ids(rest), err)
	}
	if rest[0].Event.Kind != lapor.AlertResolved || rest[0].Event.Service != "whatsapp" {
		t.Errorf("event decoded as %+v", rest[0].Event)
	}
}

func TestStreamWithoutCursorStartsWithTheNextEvent(t *testing.T) {
	f := newFixture(t)
	c := f.client(partner.ScopeAlerts)
	f.publish(event(0), event(1))
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	got := make(chan string, 1)
	go func() {
		_ = c.Stream(ctx, "", client.Filter{}, func(e client.Entry) error {
			got <- e.Event.ID
			return io.EOF
		})
	}()
	time.Sleep(300 * time.Millisecond) // the stream is open by now
	f.publish(event(2))
	select {
	case id := <-got:
		if id != "ev-002" {
			t.Errorf("first streamed event %s, want ev-002", id)
		}
	case <-ctx.Done():
		t.Fatal("no event streamed")
	}
}

func TestStreamSendsHeartbeatsAndEndsOnShutdown(t *testing.T) {
	f := newFixture(t)
	key := f.key("100-M", partner.ScopeAlerts)
	req, _ := http.NewRequestWithContext(f.ctx, http.MethodGet, f.srv.URL+"/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-RateLimit-Remaining") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	time.AfterFunc(3*readTimeout, f.shutdown)
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(resp.Body)
		done <- b
	}()
	select {
	case b := <-done:
		// Heartbeats every 200ms until the shutdown: the stream outlived
		// the read timeout and ended only then.
		if n := strings.Count(string(b), ": heartbeat\n\n"); n < 5 {
			t.Errorf("%d heartbeats in %q, want at least 5", n, b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end on shutdown")
	}
}

func TestAlertsCursorErrors(t *testing.T) {
	f := newFixture(t)
	key := f.key("1000-M", partner.ScopeAlerts)
	cursors := f.publish(event(0), event(1), event(2), event(3), event(4))
	if err := f.rdb.XTrimMaxLen(f.ctx, redis.Alerts, 2).Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		header string // Last-Event-ID
		status int
		code   string
	}{
		{"expired cursor", "/v1/alerts?since=" + cursors[0], "", http.StatusGone, "cursor_expired"},
		{"expired stream resume", "/v1/alerts/stream", cursors[0], http.StatusGone, "cursor_expired"},
		{"malformed cursor", "/v1/alerts?since=abc", "", http.StatusBadRequest, "invalid_parameter"},
		{"malformed stream resume", "/v1/alerts/stream", "x-1", http.StatusBadRequest, "invalid_parameter"},
		{"bad level", "/v1/alerts?level=bad", "", http.StatusBadRequest, "invalid_parameter"},
		{"unknown service", "/v1/alerts?service=nope", "", http.StatusBadRequest, "invalid_parameter"},
		{"bad country", "/v1/alerts?country=usa", "", http.StatusBadRequest, "invalid_parameter"},
		{"bad limit", "/v1/alerts?limit=0", "", http.StatusBadRequest, "invalid_parameter"},
		{"kept cursor", "/v1/alerts?since=" + cursors[3], "", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(f.ctx, http.MethodGet, f.srv.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			if tt.header != "" {
				req.Header.Set("Last-Event-ID", tt.header)
			}
			resp, err := f.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" && errorCode(t, body) != tt.code {
				t.Errorf("body %s, want %s", body, tt.code)
			}
		})
	}
	c := f.client(partner.ScopeAlerts)
	if _, err := c.Alerts(f.ctx, cursors[0], client.Filter{}); !client.IsCode(err, "cursor_expired") {
		t.Errorf("client: %v, want cursor_expired", err)
	}
}
