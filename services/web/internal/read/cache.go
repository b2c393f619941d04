package read

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the caches' windows.
const (
	// DefaultStaleIfError is how long after its TTL a value is still
	// served while loads fail (ClickHouse is down or slow): readers keep
	// the last answer for a minute before they are told 503.
	DefaultStaleIfError = time.Minute
	// DefaultLoadTimeout bounds one load, which no single caller owns.
	DefaultLoadTimeout = 30 * time.Second
	// RetryPause is how long after a failed load a stale value is served
	// without trying again, so that a dead store costs one attempt per
	// key and pause, not one per request.
	RetryPause = time.Second
	// maxBodies bounds the encoded answers kept per cached value (one per
	// view: a filter, a series' end); further views are encoded per
	// request.
	maxBodies = 64
)

// CacheConfig is how a Cache keeps its values. A value is fresh for TTL;
// for StaleWhileRevalidate after that it is still served at once while one
// load in the background replaces it (no caller waits on a refresh); past
// that, callers wait for a load. A failed load keeps the old value served
// for StaleIfError after its TTL, then its error is answered. These are
// the windows of HTTP's stale-while-revalidate and stale-if-error (RFC
// 5861), so a value a reader gets is at most TTL+StaleWhileRevalidate old
// while the store answers, and TTL+StaleIfError old when it does not.
type CacheConfig struct {
	// Ctx bounds every load: loads run under it, not under the request
	// that started them (many callers share one load), so they end with
	// the server. context.Background when nil.
	Ctx context.Context
	// Log records failed background loads; nothing when nil.
	Log *slog.Logger
	// Now is the clock (required).
	Now func() time.Time
	// TTL is how long a value is fresh; zero or less caches nothing
	// (every call loads, under the caller's context).
	TTL                  time.Duration
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration
	// LoadTimeout bounds one load; DefaultLoadTimeout when zero.
	LoadTimeout time.Duration
	// MaxKeys bounds a Caches: past it, the least recently used key goes.
	MaxKeys int
}

// entry is one loaded value and the answers encoded from it.
type entry[T any] struct {
	val T
	at  time.Time

	mu     sync.Mutex
	bodies map[string]*view
}

// view is one encoding of an entry's value, made once.
type view struct {
	once sync.Once
	body *Body
	err  error
}

// body returns the entry's encoded answer named key, encoding render's
// result the first time it is asked for (once per load, not per request).
func (e *entry[T]) body(key string, render func(T) (any, error)) (*Body, error) {
	e.mu.Lock()
	v, ok := e.bodies[key]
	if !ok {
		v = &view{}
		if e.bodies == nil {
			e.bodies = map[string]*view{}
		}
		if len(e.bodies) < maxBodies {
			e.bodies[key] = v
		}
	}
	e.mu.Unlock()
	v.once.Do(func() {
		var x any
		if x, v.err = render(e.val); v.err == nil {
			v.body, v.err = Encode(x)
		}
	})
	return v.body, v.err
}

// flight is a running load, which every caller that needs it waits for.
type flight[T any] struct {
	done chan struct{} // closed when the load ends
	e    *entry[T]     // its value, when err is nil
	err  error
}

// Cache holds one value for a short time, so that many pages polling at
// once cost one load, and refreshes it without making readers wait (see
// CacheConfig). It is safe for concurrent use; however many callers find
// the value missing or stale, one load runs at a time.
type Cache[T any] struct {
	cfg CacheConfig

	mu       sync.Mutex
	cur      *entry[T]  // nil until a load succeeds
	loading  *flight[T] // nil when no load runs
	failedAt time.Time  // when the last load failed; zero after a success
}

// NewCache returns a cache that keeps its values as cfg says.
func NewCache[T any](cfg CacheConfig) *Cache[T] {
	if cfg.Ctx == nil {
		cfg.Ctx = context.Background()
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = DefaultLoadTimeout
	}
	return &Cache[T]{cfg: cfg}
}

// Get returns the cached value, loading it with load when it is missing
// or too old (see CacheConfig). A failed load is not cached.
func (c *Cache[T]) Get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	e, err := c.entry(ctx, load)
	if err != nil {
		var zero T
		return zero, err
	}
	return e.val, nil
}

// Body is Get, encoded: the JSON of render's answer for the cached value,
// made once per load for each view (a name for what render makes of the
// value: a filter, a range's end), not on every request.
func (c *Cache[T]) Body(ctx context.Context, view string, load func(context.Context) (T, error), render func(T) (any, error)) (*Body, error) {
	e, err := c.entry(ctx, load)
	if err != nil {
		return nil, err
	}
	return e.body(view, render)
}

// entry returns the entry to answer from, starting a load when the value
// is stale and waiting for one when it is missing or too old.
func (c *Cache[T]) entry(ctx context.Context, load func(context.Context) (T, error)) (*entry[T], error) {
	if c.cfg.TTL <= 0 {
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return &entry[T]{val: v, at: c.cfg.Now()}, nil
	}
	c.mu.Lock()
	now := c.cfg.Now()
	e := c.cur
	var age time.Duration
	if e != nil {
		age = now.Sub(e.at)
		if age < c.cfg.TTL {
			c.mu.Unlock()
			return e, nil
		}
	}
	retrying := !c.failedAt.IsZero() && now.Sub(c.failedAt) < RetryPause
	switch {
	case e != nil && age < c.cfg.TTL+c.cfg.StaleWhileRevalidate:
		// Stale: served at once, while one load replaces it.
		if c.loading == nil && !retrying {
			c.start(load)
		}
		c.mu.Unlock()
		return e, nil
	case e != nil && retrying && age < c.cfg.TTL+c.cfg.StaleIfError:
		// The store failed a moment ago: keep answering from the old
		// value rather than queueing every caller on another attempt.
		c.mu.Unlock()
		return e, nil
	}
	f := c.loading
	if f == nil {
		f = c.start(load)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err == nil {
		return f.e, nil
	}
	if e != nil && c.cfg.Now().Sub(e.at) < c.cfg.TTL+c.cfg.StaleIfError {
		return e, nil
	}
	return nil, f.err
}

// start runs load in the background, under the cache's context rather
// than a caller's, as every waiting caller shares it. c.mu is held.
func (c *Cache[T]) start(load func(context.Context) (T, error)) *flight[T] {
	f := &flight[T]{done: make(chan struct{})}
	c.loading = f
	go func() {
		ctx, cancel := context.WithTimeout(c.cfg.Ctx, c.cfg.LoadTimeout)
		defer cancel()
		v, err := safeLoad(ctx, load)
		c.mu.Lock()
		c.loading = nil
		if err != nil {
			f.err = err
			c.failedAt = c.cfg.Now()
			if c.cur != nil && c.cfg.Log != nil {
				c.cfg.Log.Warn("refresh a cached answer; serving the previous one", "age", c.cfg.Now().Sub(c.cur.at).String(), "err", err)
			}
		} else {
			f.e = &entry[T]{val: v, at: c.cfg.Now()}
			c.cur, c.failedAt = f.e, time.Time{}
		}
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

// safeLoad calls load, turning a panic into an error: a load runs on its
// own goroutine, where a panic would end the process rather than the
// request.
func safeLoad[T any](ctx context.Context, load func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("load panicked: %v", p)
		}
	}()
	return load(ctx)
}

// Caches keeps a Cache per key, for answers that depend on their query.
// It holds at most cfg.MaxKeys keys, dropping the least recently used,
// so that odd queries cannot grow it without bound.
type Caches[T any] struct {
	cfg CacheConfig

	mu    sync.Mutex
	m     map[string]*list.Element // of *keyed[T]
	order *list.List               // most recently used first
}

// keyed is one key's cache in Caches' order.
type keyed[T any] struct {
	key   string
	cache *Cache[T]
}

// NewCaches returns per-key caches that keep their values as cfg says.
func NewCaches[T any](cfg CacheConfig) *Caches[T] {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = MaxCacheKeys
	}
	return &Caches[T]{cfg: cfg, m: map[string]*list.Element{}, order: list.New()}
}

// of returns key's cache, making it (and dropping the least recently used
// beyond the bound) when it has none.
func (c *Caches[T]) of(key string) *Cache[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*keyed[T]).cache
	}
	for len(c.m) >= c.cfg.MaxKeys {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.m, last.Value.(*keyed[T]).key)
	}
	one := NewCache[T](c.cfg)
	c.m[key] = c.order.PushFront(&keyed[T]{key: key, cache: one})
	return one
}

// Get is Cache.Get for the cache of key.
func (c *Caches[T]) Get(ctx context.Context, key string, load func(context.Context) (T, error)) (T, error) {
	return c.of(key).Get(ctx, load)
}

// Body is Cache.Body for the cache of key.
func (c *Caches[T]) Body(ctx context.Context, key, view string, load func(context.Context) (T, error), render func(T) (any, error)) (*Body, error) {
	return c.of(key).Body(ctx, view, load, render)
}
