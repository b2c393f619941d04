package read

import (
	"context"
	"sync"
	"time"
)

// Cache holds one value for a short time, so that many pages polling at
// once cost one load. It is safe for concurrent use; while a load runs,
// other callers wait for it instead of starting their own.
type Cache[T any] struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	val     T
	at      time.Time
	has     bool
	loading chan struct{} // closed when the running load ends; nil when none runs
}

// NewCache returns a cache whose values live for ttl by the given clock.
func NewCache[T any](ttl time.Duration, now func() time.Time) *Cache[T] {
	return &Cache[T]{ttl: ttl, now: now}
}

// Get returns the cached value, or calls load when it is missing or stale.
// A failed load is not cached.
func (c *Cache[T]) Get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		c.mu.Lock()
		if c.has && c.now().Sub(c.at) < c.ttl {
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		if c.loading != nil {
			wait := c.loading
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return zero, ctx.Err()
			}
		}
		done := make(chan struct{})
		c.loading = done
		c.mu.Unlock()

		v, err := load(ctx)

		c.mu.Lock()
		c.loading = nil
		if err == nil {
			c.val, c.at, c.has = v, c.now(), true
		}
		c.mu.Unlock()
		close(done)
		if err != nil {
			return zero, err
		}
		return v, nil
	}
}

// Caches keeps a Cache per key, for answers that depend on their query.
// It holds at most max keys: a new key beyond them starts the set afresh,
// so that odd queries cannot grow it without bound.
type Caches[T any] struct {
	ttl time.Duration
	now func() time.Time
	max int

	mu sync.Mutex
	m  map[string]*Cache[T]
}

// NewCaches returns per-key caches whose values live for ttl.
func NewCaches[T any](ttl time.Duration, now func() time.Time, max int) *Caches[T] {
	return &Caches[T]{ttl: ttl, now: now, max: max, m: map[string]*Cache[T]{}}
}

// Get is Cache.Get for the cache of key.
func (c *Caches[T]) Get(ctx context.Context, key string, load func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	one, ok := c.m[key]
	if !ok {
		if len(c.m) >= c.max {
			c.m = map[string]*Cache[T]{}
		}
		one = NewCache[T](c.ttl, c.now)
		c.m[key] = one
	}
	c.mu.Unlock()
	return one.Get(ctx, load)
}
