// Package redisclient is the one place a Redis client is built.
package redisclient

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/config"
)

// New connects to Redis and checks the connection with a PING.
func New(ctx context.Context, c config.Common) (*redis.Client, error) {
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
