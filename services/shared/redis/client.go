package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
)

// Open connects to Redis and checks the connection with a PING. Several
// comma-separated addresses in c.RedisAddr name the nodes of a Redis
// Cluster; a single address is asked whether it is one (INFO cluster), so
// that one node's address is enough to reach a cluster too. The first call
// in a process also sends go-redis's own log lines (a pool that cannot
// dial during an outage, say) through the process's slog logger, which
// otherwise go to stderr as plain text between the JSON lines.
func Open(ctx context.Context, c config.Common) (goredis.UniversalClient, error) {
	installLogger.Do(func() { goredis.SetLogger(slogPrinter{}) })
	hidden.add(c.RedisPassword)
	var addrs []string
	for a := range strings.SplitSeq(c.RedisAddr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("no Redis address")
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cluster := len(addrs) > 1
	if !cluster {
		one := goredis.NewClient(options(addrs[0], c))
		info, err := one.Info(pctx, "cluster").Result()
		if err != nil {
			one.Close()
			return nil, fmt.Errorf("ping redis at %s: %w", c.RedisAddr, err)
		}
		if !strings.Contains(info, "cluster_enabled:1") {
			return one, nil
		}
		one.Close()
		cluster = true
	}
	if c.RedisDB != 0 {
		return nil, fmt.Errorf("redis at %s is a cluster, which has only database 0, not %d", c.RedisAddr, c.RedisDB)
	}
	o := options("", c)
	rdb := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: addrs, Password: o.Password,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		ContextTimeoutEnabled: o.ContextTimeoutEnabled,
		// A slot moving between nodes answers ASK or TRYAGAIN for a
		// moment; a few more redirects ride that out.
		MaxRedirects: 8,
	})
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("ping redis cluster at %s: %w", c.RedisAddr, err)
	}
	return rdb, nil
}

// options are a single node's client options.
func options(addr string, c config.Common) *goredis.Options {
	return &goredis.Options{
		Addr:         addr,
		Password:     c.RedisPassword,
		DB:           c.RedisDB,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  3 * time.Second,
		WriteTimeout: 3 * time.Second,
		// Blocking stream reads set their own, longer, timeouts.
		ContextTimeoutEnabled: true,
	}
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
