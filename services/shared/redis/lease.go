package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/sleep"
)

// Lease is one replica's claim on a named lease, which lets one of several
// replicas act at a time. A lease is a Redis key holding its holder's
// random value, set with SET NX PX and renewed every third of its TTL
// while the holder lives; a holder that dies leaves it to expire, and the
// others, trying every third of the TTL, take it over within about a TTL.
//
// A lease alone cannot stop a holder that was paused (a GC pause, a
// stalled network) from acting after its lease expired and another took
// it: writes that must come from the holder only should check the lease
// in the same atomic step, as a Redis script that compares Key's value
// with Holder (a fence; see Fence).
type Lease struct {
	rdb    goredis.UniversalClient
	key    string
	holder string
	ttl    time.Duration
	log    *slog.Logger
	margin time.Duration
}

// StopBefore has Run end lead's context margin earlier when the lease
// cannot be renewed: for a holder whose work, once stopped, still takes up
// to margin to wind down (a request in flight), which must be over before
// the lease can expire and another replica take it. It must be less than
// two thirds of the TTL.
func (l *Lease) StopBefore(margin time.Duration) error {
	if margin < 0 || margin >= l.ttl-l.ttl/3 {
		return fmt.Errorf("lease %s: margin %s must be under two thirds of the TTL %s", l.key, margin, l.ttl)
	}
	l.margin = margin
	return nil
}

// NewLease returns a claim on the lease kept at key, with a holder value of its
// own. It holds nothing until TryAcquire or Run takes the lease.
func NewLease(rdb goredis.UniversalClient, key string, ttl time.Duration, log *slog.Logger) (*Lease, error) {
	if rdb == nil || key == "" || log == nil {
		return nil, errors.New("lease: redis, key and logger are required")
	}
	if ttl < 3*time.Millisecond {
		// Redis counts in milliseconds, and renewing every third of it
		// must still be a positive interval.
		return nil, fmt.Errorf("lease %s: ttl %s is too short", key, ttl)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("lease %s: make holder value: %w", key, err)
	}
	return &Lease{rdb: rdb, key: key, holder: hex.EncodeToString(b[:]), ttl: ttl, log: log}, nil
}

// Key is the Redis key of the lease.
func (l *Lease) Key() string { return l.key }

// Holder is the value the key holds while this claim has the lease.
func (l *Lease) Holder() string { return l.holder }

// TTL is how long the lease outlives its last renewal.
func (l *Lease) TTL() time.Duration { return l.ttl }

// The scripts act on the key only while it is free or holds this
// holder's value, so no replica ever extends or drops another's lease.
var (
	acquireScript = goredis.NewScript(`local v = redis.call("GET", KEYS[1])
if v == ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) return 1 end
if v then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`)
	renewScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	releaseScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1]) end return 0`)
)

// TryAcquire takes the lease if it is free, or renews it if this claim
// already holds it, and says whether it holds it now.
func (l *Lease) TryAcquire(ctx context.Context) (bool, error) {
	n, err := acquireScript.Run(ctx, l.rdb, []string{l.key}, l.holder, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", l.key, err)
	}
	return n == 1, nil
}

// Renew extends the lease by its TTL if this claim still holds it, and
// says whether it does.
func (l *Lease) Renew(ctx context.Context) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.holder, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", l.key, err)
	}
	return n == 1, nil
}

// Release gives the lease up if this claim holds it, so another replica
// can take it at once instead of after the TTL.
func (l *Lease) Release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", l.key, err)
	}
	return nil
}

// Run takes the lease whenever it is free and, each time, calls lead with
// a context that ends when the lease is lost or ctx ends; once lead
// returns it releases the lease and, unless ctx has ended, waits to take
// it again. idle, when not nil, is called each time an attempt finds the
// lease held by another (or Redis unreachable), so a caller can tell it
// is standing by. Run returns once ctx has ended and lead has returned.
func (l *Lease) Run(ctx context.Context, lead func(context.Context), idle func()) {
	for {
		if !l.wait(ctx, idle) {
			return
		}
		l.log.Info("took the lease", "lease", l.key)
		l.hold(ctx, lead)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := l.Release(rctx); err != nil {
			l.log.Warn("release the lease; the others wait for it to expire", "lease", l.key, "err", err)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("lost the lease", "lease", l.key)
	}
}

// wait tries to take the lease every third of its TTL; false when ctx
// ended first.
func (l *Lease) wait(ctx context.Context, idle func()) bool {
	for {
		ok, err := l.TryAcquire(ctx)
		if ctx.Err() != nil {
			return false
		}
		if ok {
			return true
		}
		if err != nil {
			l.log.Warn("take the lease", "lease", l.key, "err", err)
		}
		if idle != nil {
			idle()
		}
		if sleep.For(ctx, l.ttl/3) != nil {
			return false
		}
	}
}

// hold runs lead while renewing the lease every third of its TTL. lead's
// context ends when the lease is found to be another's, or when it could
// not be renewed for two thirds of its TTL (less the StopBefore margin):
// by then it may expire, and whoever takes it next must not find this
// holder still acting.
func (l *Lease) hold(ctx context.Context, lead func(context.Context)) {
	lctx, lost := context.WithCancel(ctx)
	defer lost()
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	renewed := time.Now()
	for {
		select {
		case <-done:
			return
		case <-time.After(l.ttl / 3):
		}
		ok, err := l.Renew(lctx)
		switch {
		case ok:
			renewed = time.Now()
			continue
		case err == nil:
			lost() // another replica holds it now
		case lctx.Err() != nil:
		default:
			l.log.Warn("renew the lease", "lease", l.key, "err", err)
			if time.Since(renewed) < l.ttl-l.ttl/3-l.margin {
				continue
			}
			lost()
		}
		<-done
		return
	}
}
