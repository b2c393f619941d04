package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

const key = "test:lease"

func claim(t *testing.T, rdb *goredis.Client, ttl time.Duration) *redis.Lease {
	t.Helper()
	l, err := redis.NewLease(rdb, key, ttl, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOneHolderAtATime(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	rdb := env.RedisClient(t)
	a, b := claim(t, rdb, time.Minute), claim(t, rdb, time.Minute)
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
		// holder is who the key names afterwards: a, b or nobody.
		holder *redis.Lease
	}{
		{"a takes the free lease", func() (bool, error) { return a.TryAcquire(ctx) }, true, a},
		{"b cannot take it", func() (bool, error) { return b.TryAcquire(ctx) }, false, a},
		{"a takes it again", func() (bool, error) { return a.TryAcquire(ctx) }, true, a},
		{"b cannot renew it", func() (bool, error) { return b.Renew(ctx) }, false, a},
		{"a renews it", func() (bool, error) { return a.Renew(ctx) }, true, a},
		{"b cannot release it", func() (bool, error) { return true, b.Release(ctx) }, true, a},
		{"a releases it", func() (bool, error) { return true, a.Release(ctx) }, true, nil},
		{"a cannot renew what it released", func() (bool, error) { return a.Renew(ctx) }, false, nil},
		{"b takes it", func() (bool, error) { return b.TryAcquire(ctx) }, true, b},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := st.do()
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want {
				t.Fatalf("= %v, want %v", got, st.want)
			}
			want := ""
			if st.holder != nil {
				want = st.holder.Holder()
			}
			if v := rdb.Get(ctx, key).Val(); v != want {
				t.Fatalf("the key holds %q, want %q", v, want)
			}
		})
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("the lease lives %s, want at most its TTL", ttl)
	}
}

// TestRunHandsOver runs two claims: one leads at a time, the other
// takes over when the leader stops, and a leader whose lease is taken
// from it is told by its context ending.
func TestRunHandsOver(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	rdb := env.RedisClient(t)
	const ttl = 300 * time.Millisecond

	var leading, overlap atomic.Int32
	var mu sync.Mutex
	var terms []string // who led, in order
	type runner struct {
		l      *redis.Lease
		cancel context.CancelFunc
		done   chan struct{}
		idle   atomic.Int32
	}
	start := func(name string) *runner {
		r := &runner{l: claim(t, rdb, ttl), done: make(chan struct{})}
		var rctx context.Context
		rctx, r.cancel = context.WithCancel(ctx)
		go func() {
			defer close(r.done)
			r.l.Run(rctx, func(lctx context.Context) {
				if leading.Add(1) > 1 {
					overlap.Add(1)
				}
				mu.Lock()
				terms = append(terms, name)
				mu.Unlock()
				<-lctx.Done()
				leading.Add(-1)
			}, func() { r.idle.Add(1) })
		}()
		return r
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 10s for %s", what)
			}
		}
	}
	led := func(n int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return len(terms) >= n }
	}

	a, b := start("a"), start("b")
	waitFor("a leader", led(1))
	waitFor("the other to stand by", func() bool { return a.idle.Load() > 0 || b.idle.Load() > 0 })
	mu.Lock()
	first, second := a, b
	if terms[0] == "b" {
		first, second = b, a
	}
	mu.Unlock()

	first.cancel() // stops: releases the lease
	<-first.done
	waitFor("the other to take over", led(2))
	if v := rdb.Get(ctx, key).Val(); v != second.l.Holder() {
		t.Fatalf("the key holds %q, want the second leader's %q", v, second.l.Holder())
	}

	// Another takes the lease from under the leader (as after a pause
	// longer than its TTL): the leader's context ends.
	if err := rdb.Set(ctx, key, "someone else", 5*ttl).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor("the leader to notice", func() bool { return leading.Load() == 0 })
	// Once the other's lease expires, the second claim leads again.
	waitFor("a new term", led(3))
	second.cancel()
	<-second.done
	if v := rdb.Exists(ctx, key).Val(); v != 0 {
		t.Errorf("the lease is still held after its holder stopped")
	}
	if overlap.Load() > 0 {
		t.Errorf("two claims led at once")
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	tests := []struct {
		name string
		key  string
		ttl  time.Duration
	}{
		{"no key", "", time.Second},
		{"no ttl", key, 0},
		{"ttl too short to renew in thirds", key, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := redis.NewLease(rdb, tt.key, tt.ttl, logging.Discard()); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}
