// Package ingest is the HTTP service that takes outage reports: it
// validates them, rate-limits clients, counts each reporter (one host) once
// per service and window and each network at most NetCap times, and
// appends reports to the Redis stream.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/ingest/internal/batch"
	"github.com/lapor/lapor/services/ingest/internal/geo"
	"github.com/lapor/lapor/services/ingest/internal/ratelimit"
	"github.com/lapor/lapor/services/ingest/internal/reporter"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/rate"
	"github.com/lapor/lapor/services/shared/redis"
)

// Retry-After values for refusals that are not rate limits.
const (
	retryUnavailable = 2 * time.Second
	retryOverloaded  = 5 * time.Second
)

// Deps is what the server needs. Log, Redis, Catalog and Reporter are
// required; the rest have defaults.
type Deps struct {
	Log      *slog.Logger
	Redis    goredis.UniversalClient
	Catalog  *catalog.Catalog
	Reporter *reporter.Keyer
	// Geo locates clients; nil means no location.
	Geo geo.Locator
	// TrustedProxies may set the client address with X-Forwarded-For;
	// none by default.
	TrustedProxies []string
	// Forward verifies the client address Lapor's web signs; nil means
	// signed addresses are not believed.
	Forward *forward.Signer
	// RateIP and RateNet are limiter rates ("60-M") per client and per
	// network block; empty means the defaults.
	RateIP, RateNet string
	// DedupeWindow is how long a reporter counts once per service
	// (default 15m).
	DedupeWindow time.Duration
	// Streams are the report streams, one per shard (default the one
	// redis.Reports); a service's reports go to redis.ShardOf's.
	Streams []string
	// MaxBacklog is the length at which a report stream refuses reports
	// (default 1,000,000); the backlog of n shards may reach n times it.
	MaxBacklog int64
	// NetCap is how many reporters one network (IPv4 /24, IPv6 /48) counts
	// per service and dedupe window (default DefaultNetCap).
	NetCap int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Batch tunes how concurrent requests are gathered into one Redis
	// pipeline; zero fields take package batch's defaults.
	Batch batch.Options
}

// Defaults for Deps fields left empty.
const (
	DefaultRateIP       = "60-M"
	DefaultRateNet      = "1200-M"
	DefaultDedupeWindow = 15 * time.Minute
	DefaultMaxBacklog   = 1_000_000
	// DefaultNetCap: with the 15-minute window, 20 is 1.3 reporters a
	// minute from any one network. A real office, campus or carrier NAT
	// pool still shows (a carrier's 8 /24s count up to 160 a window), while
	// one /24 or /48 weighs at most 20, not the 1,200 a minute its rate
	// limit lets through. 20 is still more than a small service's usual few
	// a window: that one network cannot carry an incident alone is for the
	// detector to check, by asking for reporters from several networks.
	DefaultNetCap = 20
)

// submitter charges a request's rate limits and appends its report if they
// allow: batch.Batcher over redis.Appender.Ingest, so that the requests
// that arrive together share one round trip to Redis per step.
type submitter interface {
	Do(ctx context.Context, req redis.IngestRequest) (redis.IngestResult, error)
}

type server struct {
	log     *slog.Logger
	rdb     goredis.UniversalClient
	cat     *catalog.Catalog
	keyer   *reporter.Keyer
	forward *forward.Signer
	geo     geo.Locator
	limits  *ratelimit.Limits
	submit  submitter
	now     func() time.Time
}

// NewServer returns the ingest HTTP handler.
//
// Each report request costs Redis two script calls, the rate limits' and
// the append's, and the requests that arrive together are sent together:
// the limits of a batch in one pipeline, then the appends of those allowed
// in another (see package batch for when a batch goes, and
// redis.Appender.Ingest). The limit keys of a request share their
// network's hash slot and the append's keys their stream's, so this holds
// on a Redis Cluster too, whose client splits each pipeline per node. A
// report is answered 202 only once its append's reply is in.
func NewServer(d Deps) (http.Handler, error) {
	switch {
	case d.Log == nil:
		return nil, errors.New("ingest: Log is required")
	case d.Redis == nil:
		return nil, errors.New("ingest: Redis is required")
	case d.Catalog == nil:
		return nil, errors.New("ingest: Catalog is required")
	case d.Reporter == nil:
		return nil, errors.New("ingest: Reporter is required")
	}
	if d.Geo == nil {
		d.Geo = geo.None{}
	}
	if d.RateIP == "" {
		d.RateIP = DefaultRateIP
	}
	if d.RateNet == "" {
		d.RateNet = DefaultRateNet
	}
	if d.DedupeWindow == 0 {
		d.DedupeWindow = DefaultDedupeWindow
	}
	if d.MaxBacklog == 0 {
		d.MaxBacklog = DefaultMaxBacklog
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	ipRate, err := rate.Parse(d.RateIP)
	if err != nil {
		return nil, fmt.Errorf("per-address rate limit: %w", err)
	}
	netRate, err := rate.Parse(d.RateNet)
	if err != nil {
		return nil, fmt.Errorf("per-network rate limit: %w", err)
	}
	if d.NetCap == 0 {
		d.NetCap = DefaultNetCap
	}
	if len(d.Streams) == 0 {
		d.Streams = []string{redis.Reports}
	}
	app, err := redis.NewAppender(d.Redis, redis.AppenderConfig{
		Streams:    d.Streams,
		Field:      redis.ReportField,
		MaxBacklog: d.MaxBacklog,
		Window:     d.DedupeWindow,
		NetCap:     int64(d.NetCap),
	})
	if err != nil {
		return nil, err
	}
	run := func(ctx context.Context, reqs []redis.IngestRequest, out []batch.Result[redis.IngestResult]) {
		res := make([]redis.IngestResult, len(reqs))
		app.Ingest(ctx, reqs, res)
		for i := range res {
			out[i].Val = res[i]
		}
	}
	s := &server{
		log:     d.Log,
		rdb:     d.Redis,
		cat:     d.Catalog,
		keyer:   d.Reporter,
		forward: d.Forward,
		geo:     d.Geo,
		limits:  ratelimit.New(ipRate, netRate, d.Reporter, d.Log),
		submit:  batch.New(run, d.Batch),
		now:     d.Now,
	}
	r, err := httpapi.NewEngine(d.Log, d.TrustedProxies)
	if err != nil {
		return nil, err
	}
	addRoutes(r, s)
	return r, nil
}
