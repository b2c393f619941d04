package read_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/read"
)

// clock is a settable clock for the caches.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1000, 0)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// config is a cache fresh for 2s, served stale for 2s more while it
// refreshes, and for 10s past its TTL while loads fail.
func config(clk *clock) read.CacheConfig {
	return read.CacheConfig{Now: clk.Now, TTL: 2 * time.Second, StaleWhileRevalidate: 2 * time.Second, StaleIfError: 10 * time.Second}
}

var errStore = errors.New("store down")

// A value is fresh for its TTL; stale, it is served while one load
// replaces it; too old, callers wait; while loads fail, the old value is
// served until StaleIfError, then the error.
func TestCacheWindows(t *testing.T) {
	clk := newClock()
	c := read.NewCache[int](config(clk))
	var loads, n int
	failing := false
	load := func(context.Context) (int, error) {
		loads++
		if failing {
			return 0, errStore
		}
		n++
		return n, nil
	}
	steps := []struct {
		name    string
		advance time.Duration
		fail    bool
		want    int
		wantErr error
		loads   int // loads once the step's background load, if any, ends
	}{
		{"cold: waits for the load", 0, false, 1, nil, 1},
		{"fresh", time.Second, false, 1, nil, 1},
		{"stale: served, refreshed behind", time.Second, false, 1, nil, 2},
		{"the refreshed value", time.Second, false, 2, nil, 2},
		{"past the stale window: waits", 4 * time.Second, false, 3, nil, 3},
		{"stale, refresh fails: still served", 2 * time.Second, true, 3, nil, 4},
		{"right after a failure: served, no new load", 0, true, 3, nil, 4},
		{"past the stale window, load fails: stale if error", 3 * time.Second, true, 3, nil, 5},
		{"failed a moment ago: served without a load", 500 * time.Millisecond, true, 3, nil, 5},
		{"past stale-if-error: the error", 7 * time.Second, true, 0, errStore, 6},
		{"the store is back", 0, false, 4, nil, 7},
	}
	for _, s := range steps {
		clk.advance(s.advance)
		failing = s.fail
		got, err := c.Get(context.Background(), load)
		c.Settle()
		if got != s.want || !errors.Is(err, s.wantErr) || loads != s.loads {
			t.Errorf("%s: Get = %d, %v after %d loads; want %d, %v after %d", s.name, got, err, loads, s.want, s.wantErr, s.loads)
		}
	}
}

// With no TTL nothing is kept: every call loads.
func TestCacheWithoutTTLLoadsEveryTime(t *testing.T) {
	c := read.NewCache[int](read.CacheConfig{Now: time.Now})
	var loads int
	for want := 1; want <= 3; want++ {
		got, err := c.Get(context.Background(), func(context.Context) (int, error) { loads++; return loads, nil })
		if err != nil || got != want {
			t.Errorf("Get = %d, %v; want %d", got, err, want)
		}
	}
}

// gate is a load that blocks until released, counting its calls.
type gate struct {
	calls   atomic.Int32
	started chan struct{} // receives once per call
	release chan struct{}
	val     int
}

func newGate(val int) *gate {
	return &gate{started: make(chan struct{}, 100), release: make(chan struct{}), val: val}
}

func (g *gate) load(ctx context.Context) (int, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.release:
		return g.val, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// getAll calls get from n goroutines at once and returns what they got.
func getAll(t *testing.T, n int, get func() (int, error)) []int {
	t.Helper()
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := get()
			if err != nil {
				t.Error(err)
			}
			out[i] = v
		})
	}
	wg.Wait()
	return out
}

// While a stale value is refreshed, every caller gets it at once: none
// waits on the refresh, and one refresh runs however many ask.
func TestCacheServesStaleAtOnceWhileOneRefreshRuns(t *testing.T) {
	clk := newClock()
	c := read.NewCache[int](config(clk))
	if _, err := c.Get(context.Background(), func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	clk.advance(3 * time.Second) // stale
	g := newGate(2)
	for i, v := range getAll(t, 50, func() (int, error) { return c.Get(context.Background(), g.load) }) {
		if v != 1 {
			t.Errorf("caller %d got %d while the refresh runs, want the stale 1", i, v)
		}
	}
	<-g.started
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	close(g.release)
	c.Settle()
	if v, _ := c.Get(context.Background(), g.load); v != 2 {
		t.Errorf("after the refresh got %d, want 2", v)
	}
}

// Callers that find nothing cached share one load, per key.
func TestConcurrentMissesShareOneLoad(t *testing.T) {
	for _, callers := range []int{1, 2, 32, 200} {
		clk := newClock()
		cs := read.NewCaches[int](config(clk))
		g := newGate(42)
		go func() { <-g.started; time.Sleep(20 * time.Millisecond); close(g.release) }()
		for i, v := range getAll(t, callers, func() (int, error) { return cs.Get(context.Background(), "k", g.load) }) {
			if v != 42 {
				t.Errorf("%d callers: caller %d got %d, want 42", callers, i, v)
			}
		}
		if n := g.calls.Load(); n != 1 {
			t.Errorf("%d callers: %d loads, want 1", callers, n)
		}
	}
}

// A caller waiting on a load can give up; the load goes on for the others,
// as it runs under the cache's context, not the caller's.
func TestCacheWaiterHonoursContextAndLoadOutlivesIt(t *testing.T) {
	c := read.NewCache[int](config(newClock()))
	g := newGate(7)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, g.load); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	close(g.release)
	if v, err := c.Get(context.Background(), g.load); v != 7 || err != nil {
		t.Errorf("Get = %d, %v; want the first caller's load, 7", v, err)
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d loads, want 1", n)
	}
}

// Loads end with the cache's context (the server's).
func TestCacheLoadsEndWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config(newClock())
	cfg.Ctx = ctx
	c := read.NewCache[int](cfg)
	g := newGate(1)
	done := make(chan error, 1)
	go func() { _, err := c.Get(context.Background(), g.load); done <- err }()
	<-g.started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the load canceled with the cache's context", err)
	}
}

// A panicking load fails its callers instead of the process.
func TestCacheLoadPanicIsAnError(t *testing.T) {
	c := read.NewCache[int](config(newClock()))
	if _, err := c.Get(context.Background(), func(context.Context) (int, error) { panic("boom") }); err == nil {
		t.Error("no error from a panicking load")
	}
}

// Caches holds at most MaxKeys keys, dropping the least recently used.
func TestCachesKeepOneValuePerKeyAndStayBounded(t *testing.T) {
	cfg := config(newClock())
	cfg.MaxKeys = 2
	c := read.NewCaches[string](cfg)
	ctx := context.Background()
	loads := map[string]int{}
	get := func(key string) string {
		v, err := c.Get(ctx, key, func(context.Context) (string, error) { loads[key]++; return key, nil })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	steps := []struct {
		key   string
		loads int // loads of key after the step
	}{
		{"a", 1}, {"b", 1}, {"a", 1}, {"b", 1},
		{"c", 1}, // a third key drops the least recently used, a …
		{"b", 1}, // … not b
		{"a", 2}, // a is loaded again, dropping c
		{"b", 1},
		{"c", 2},
	}
	for i, s := range steps {
		if v := get(s.key); v != s.key {
			t.Errorf("step %d: Get(%s) = %s", i, s.key, v)
		}
		if loads[s.key] != s.loads {
			t.Errorf("step %d: %s loaded %d times, want %d", i, s.key, loads[s.key], s.loads)
		}
	}
}

// An answer is encoded once per load and view: the same bytes for every
// request until the value is read again, exactly json.Marshal's, and its
// gzip decodes to them.
func TestBodyEncodedOncePerLoadAndView(t *testing.T) {
	clk := newClock()
	c := read.NewCache[[]int](config(clk))
	n := 0
	load := func(context.Context) ([]int, error) {
		n++
		xs := make([]int, 300) // big enough to be gzipped
		xs[0] = n
		return xs, nil
	}
	renders := map[string]int{}
	body := func(view string) *read.Body {
		t.Helper()
		b, err := c.Body(context.Background(), view, load, func(xs []int) (any, error) {
			renders[view]++
			return map[string]any{"view": view, "xs": xs}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := body("a")
	steps := []struct {
		name    string
		advance time.Duration
		view    string
		renders int
		same    bool // the same Body as first
	}{
		{"same view", 0, "a", 1, true},
		{"another view", 0, "b", 1, false},
		{"stale: the old body", 3 * time.Second, "a", 1, true},
		{"reloaded: encoded again", 0, "a", 2, false},
	}
	for _, s := range steps {
		clk.advance(s.advance)
		b := body(s.view)
		c.Settle()
		if renders[s.view] != s.renders || (b == first) != s.same {
			t.Errorf("%s: %d renders of %s, same body %v; want %d, %v", s.name, renders[s.view], s.view, b == first, s.renders, s.same)
		}
	}
	want, _ := json.Marshal(map[string]any{"view": "a", "xs": append([]int{1}, make([]int, 299)...)})
	if !bytes.Equal(first.JSON, want) {
		t.Errorf("JSON %s, want json.Marshal's %s", first.JSON, want)
	}
	gz := first.Gzip()
	if gz == nil || len(gz) >= len(first.JSON) {
		t.Fatalf("gzip of %d bytes for %d of JSON", len(gz), len(first.JSON))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, first.JSON) {
		t.Errorf("gzip decodes to %.80s, %v; want the JSON", got, err)
	}
	if again, _ := read.Encode(map[string]any{"view": "a", "xs": append([]int{1}, make([]int, 299)...)}); again.ETag != first.ETag {
		t.Errorf("ETag %s for the same bytes, want %s", again.ETag, first.ETag)
	}
	if small, _ := read.Encode(1); small.Gzip() != nil {
		t.Error("a tiny body was gzipped")
	}
}
