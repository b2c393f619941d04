package redis

import (
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"
)

// Ingest's rate limits: a client (host) and its network each get a
// fixed-window budget, counted as ulule/limiter's Redis store counts
// (INCR, and PEXPIRE of one period on the first hit of a window) and
// answered as it answers (limiter.Context), but both in one script per
// request, so that the ingest can send the limits of a whole batch of
// requests in one pipeline (Appender.Ingest).
//
// The two keys of a request share a hash slot, the network's: the host key
// carries the network key's name as its hash tag. This is the one change
// from the limiter's key layout ("<prefix>:<key>"); it needs no migration,
// as a limit key lives for one period: the first period after an upgrade
// merely starts every budget afresh.

// limitScript charges one request to a host's and then its network's
// budget and answers {host count, host ttl ms} when the host is over its
// limit (its network is then not charged, so that one noisy host cannot
// use up its neighbours' budget), else {host count, host ttl ms, network
// count, network ttl ms}. A key found without expiry, which the limiter's
// own script would keep forever, gets its period again.
//
// KEYS[1] host key, KEYS[2] network key. ARGV[1] host period ms, ARGV[2]
// host limit, ARGV[3] network period ms.
var limitScript = goredis.NewScript(`
local function hit(key, period)
  local n = redis.call('INCR', key)
  if n == 1 then
    redis.call('PEXPIRE', key, period)
    return n, tonumber(period)
  end
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('PEXPIRE', key, period)
    ttl = tonumber(period)
  end
  return n, ttl
end
local hn, ht = hit(KEYS[1], ARGV[1])
if hn > tonumber(ARGV[2]) then
  return {hn, ht}
end
local nn, nt = hit(KEYS[2], ARGV[3])
return {hn, ht, nn, nt}
`)

// NetworkLimitKey is the key counting the requests of the network named
// network (a limiter key such as "net:<hash>") under prefix.
func NetworkLimitKey(prefix, network string) string {
	return prefix + ":{" + network + "}"
}

// HostLimitKey is the key counting the requests of the host named host (a
// limiter key such as "ip:<hash>") under prefix, in the hash slot of its
// network's key.
func HostLimitKey(prefix, network, host string) string {
	return NetworkLimitKey(prefix, network) + ":" + host
}

// LimitCheck is one request's charge to its host's and network's budgets.
type LimitCheck struct {
	Prefix  string // key prefix, such as RateLimitPrefix
	Host    string // the host's limiter key
	Network string // the host's network's limiter key
	// HostRate and NetworkRate are the budgets.
	HostRate, NetworkRate limiter.Rate
}

// LimitResult is what a LimitCheck found, as ulule/limiter reports it.
type LimitResult struct {
	Host limiter.Context
	// Network is the network's budget; zero when the host was over its
	// own, which leaves the network uncharged.
	Network limiter.Context
}

// Reached reports whether the request is over a limit.
func (r LimitResult) Reached() bool { return r.Host.Reached || r.Network.Reached }

// Binding is the limit to tell the client about: the one refusing it,
// else whichever has less left.
func (r LimitResult) Binding() limiter.Context {
	if r.Host.Reached || r.Network.Limit == 0 {
		return r.Host
	}
	if r.Network.Reached || r.Network.Remaining < r.Host.Remaining {
		return r.Network
	}
	return r.Host
}

// keys and args of limitScript for c.
func (c LimitCheck) keys() []string {
	return []string{HostLimitKey(c.Prefix, c.Network, c.Host), NetworkLimitKey(c.Prefix, c.Network)}
}

func (c LimitCheck) args() []any {
	return []any{c.HostRate.Period.Milliseconds(), c.HostRate.Limit, c.NetworkRate.Period.Milliseconds()}
}

// parseLimit reads limitScript's reply at now.
func (c LimitCheck) parse(now time.Time, reply any) (LimitResult, error) {
	v, ok := reply.([]any)
	if !ok || (len(v) != 2 && len(v) != 4) {
		return LimitResult{}, fmt.Errorf("rate limit: unexpected reply %v", reply)
	}
	n := make([]int64, len(v))
	for i, x := range v {
		if n[i], ok = x.(int64); !ok {
			return LimitResult{}, fmt.Errorf("rate limit: unexpected reply %v", reply)
		}
	}
	r := LimitResult{Host: limitContext(now, c.HostRate, n[0], n[1])}
	if len(n) == 4 {
		r.Network = limitContext(now, c.NetworkRate, n[2], n[3])
	}
	return r, nil
}

// limitContext is ulule/limiter's answer for count and ttl (ms): the
// window ends ttl from now, or a period from now when ttl is unknown.
func limitContext(now time.Time, rate limiter.Rate, count, ttl int64) limiter.Context {
	expiration := now.Add(rate.Period)
	if ttl > 0 {
		expiration = now.Add(time.Duration(ttl) * time.Millisecond)
	}
	return common.GetContextFromState(now, rate, expiration, count)
}
