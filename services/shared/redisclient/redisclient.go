// Package redisclient is the one place a Redis client is built.
package redisclient

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
)

// New connects to Redis and checks the connection with a PING. The first
// call in a process also sends go-redis's own log lines (a pool that
// cannot dial during an outage, say) through the process's slog logger,
// which otherwise go to stderr as plain text between the JSON lines.
func New(ctx context.Context, c config.Common) (*redis.Client, error) {
	installLogger.Do(func() { redis.SetLogger(slogPrinter{}) })
	hidden.add(c.RedisPassword)
	rdb := redis.NewClient(&redis.Options{
		Addr:         c.RedisAddr,
		Password:     c.RedisPassword,
		DB:           c.RedisDB,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  3 * time.Second,
		WriteTimeout: 3 * time.Second,
		// Blocking stream reads set their own, longer, timeouts.
		ContextTimeoutEnabled: true,
	})
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("ping redis at %s: %w", c.RedisAddr, err)
	}
	return rdb, nil
}

// installLogger installs slogPrinter once: go-redis has one logger per
// process.
var installLogger sync.Once

// slogPrinter is go-redis's logger (its internal.Logging): every line
// becomes one JSON warning through logging.Process. The message is
// go-redis's own text, which may name an address; the Redis passwords
// the clients were built with are cut out of it, should one ever appear.
type slogPrinter struct{}

// Printf logs one go-redis message.
func (slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	logging.Process().WarnContext(ctx, "redis client", "detail", hidden.redact(msg))
}

// hidden holds the passwords Redis clients were built with.
var hidden secrets

type secrets struct {
	mu   sync.Mutex
	list []string
}

func (s *secrets) add(secret string) {
	if secret == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.list {
		if have == secret {
			return
		}
	}
	s.list = append(s.list, secret)
}

func (s *secrets) redact(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.list {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	return msg
}
