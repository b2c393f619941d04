package read

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheReusesValueWithinTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewCache[int](2*time.Second, func() time.Time { return now })
	var loads int
	load := func(context.Context) (int, error) { loads++; return loads, nil }
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{0, 1},
		{time.Second, 1},
		{999 * time.Millisecond, 1},
		{time.Millisecond, 2}, // 2s after the first load: stale
		{time.Second, 2},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		got, err := c.Get(ctx, load)
		if err != nil || got != s.want {
			t.Errorf("step %d: Get = %d, %v; want %d", i, got, err, s.want)
		}
	}
}

func TestCacheDoesNotKeepErrors(t *testing.T) {
	c := NewCache[string](time.Minute, time.Now)
	boom := errors.New("boom")
	if _, err := c.Get(context.Background(), func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	got, err := c.Get(context.Background(), func(context.Context) (string, error) { return "ok", nil })
	if err != nil || got != "ok" {
		t.Errorf("Get after a failure = %q, %v; want a fresh load", got, err)
	}
}

// Callers arriving while a load runs share it.
func TestCacheConcurrentCallersShareOneLoad(t *testing.T) {
	c := NewCache[int](time.Minute, time.Now)
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 42, nil
	}
	const callers = 50
	var wg sync.WaitGroup
	results := make(chan int, callers)
	for range callers {
		wg.Go(func() {
			v, err := c.Get(context.Background(), load)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	time.Sleep(50 * time.Millisecond) // let every caller reach Get
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 42 {
			t.Errorf("got %d, want 42", v)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads, want 1", n)
	}
}

// A caller waiting on someone else's load can give up.
func TestCacheWaiterHonoursContext(t *testing.T) {
	c := NewCache[int](time.Minute, time.Now)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	go c.Get(context.Background(), func(context.Context) (int, error) { close(started); <-release; return 1, nil })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, func(context.Context) (int, error) { return 2, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

func TestCachesKeepOneValuePerKeyAndStayBounded(t *testing.T) {
	c := NewCaches[string](time.Minute, time.Now, 2)
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
		{"c", 1}, // a third key starts the set afresh …
		{"a", 2}, // … so a is loaded again
		{"c", 1},
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
