package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/lapor/lapor/services/ingest/internal/geo"
	"github.com/lapor/lapor/services/ingest/internal/ingest"
	"github.com/lapor/lapor/services/ingest/internal/reporter"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
)

// shutdownGrace is how long in-flight requests get to finish on shutdown.
const shutdownGrace = 10 * time.Second

// settings is the service's configuration.
type settings struct {
	Common         config.Common
	HTTPAddr       string
	TrustedProxies []string
	ReporterSecret string
	DedupeWindow   time.Duration
	MaxBacklog     int
	NetCap         int
	ForwardSecret  string
	RateIP         string
	RateNet        string
	GeoIPDB        []string
}

// loadConfig reads flags and LAPOR_* environment variables.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	var c settings
	l := config.New("ingest", getenv, stderr)
	l.BindLogLevel(&c.Common)
	l.BindRedis(&c.Common)
	l.String(&c.HTTPAddr, "http-addr", "127.0.0.1:8081", "HTTP listen address")
	l.List(&c.TrustedProxies, "trusted-proxies", "", "proxies (IPs or CIDRs) whose X-Forwarded-For is believed; none by default")
	l.Secret(&c.ReporterSecret, "reporter-secret", "secret for reporter keys; must be the same on every ingest instance (random if empty)")
	l.Duration(&c.DedupeWindow, "dedupe-window", ingest.DefaultDedupeWindow, "a reporter is counted once per service within this window")
	l.Int(&c.MaxBacklog, "max-backlog", ingest.DefaultMaxBacklog, "refuse reports with 503 when this many are waiting in the stream")
	l.Int(&c.NetCap, "net-cap", ingest.DefaultNetCap, "reporters one network (IPv4 /24, IPv6 /48) counts at most per service and dedupe window")
	l.Secret(&c.ForwardSecret, "forward-secret", "secret the web signs client addresses with; must match the web's (signed addresses not believed if empty)")
	l.String(&c.RateIP, "rate-limit-ip", ingest.DefaultRateIP, `reports allowed per client address (IPv6: per /64), as "<count>-<S|M|H|D>"`)
	l.String(&c.RateNet, "rate-limit-net", ingest.DefaultRateNet, `reports allowed per network (IPv4 /24, IPv6 /48), as "<count>-<S|M|H|D>"`)
	l.List(&c.GeoIPDB, "geoip-db", "", "MaxMind-format databases (City, and optionally ASN/ISP); empty for no location")
	if _, err := l.ParseCommand(args); err != nil {
		return settings{}, err
	}
	if c.DedupeWindow < time.Second {
		return settings{}, fmt.Errorf("dedupe-window %s: must be at least 1s", c.DedupeWindow)
	}
	if c.MaxBacklog < 1 {
		return settings{}, fmt.Errorf("max-backlog %d: must be at least 1", c.MaxBacklog)
	}
	if c.NetCap < 1 {
		return settings{}, fmt.Errorf("net-cap %d: must be at least 1", c.NetCap)
	}
	if c.ForwardSecret != "" && len(c.ForwardSecret) < forward.MinSecret {
		// The secret itself stays out of the message.
		return settings{}, fmt.Errorf("forward-secret: must be at least %d bytes, got %d", forward.MinSecret, len(c.ForwardSecret))
	}
	return c, nil
}

// run runs the ingest service until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, err := logging.New(stderr, "ingest", cfg.Common.LogLevel)
	if err != nil {
		return err
	}

	secret := []byte(cfg.ReporterSecret)
	if len(secret) == 0 {
		if secret, err = reporter.RandomSecret(); err != nil {
			return err
		}
		log.Warn("reporter-secret not set: using a random one, so dedupe resets on every restart and instances do not share reporter keys")
	}
	keyer, err := reporter.New(secret)
	if err != nil {
		return err
	}

	var signer *forward.Signer
	if cfg.ForwardSecret != "" {
		if signer, err = forward.New(cfg.ForwardSecret); err != nil {
			return fmt.Errorf("forward-secret: %w", err)
		}
	} else {
		log.Info("forward-secret not set: client addresses signed by the web are not believed")
	}

	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}

	var locator geo.Locator = geo.None{}
	if len(cfg.GeoIPDB) > 0 {
		db, err := geo.Open(cfg.GeoIPDB...)
		if err != nil {
			return err
		}
		defer db.Close()
		locator = db
	} else {
		log.Info("geoip-db not set: reports carry no location")
	}

	streams, err := redis.ReportStreams(cfg.Common.ReportShards)
	if err != nil {
		return err
	}
	rdb, err := redis.Open(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer rdb.Close()

	h, err := ingest.NewServer(ingest.Deps{
		Log:            log,
		Redis:          rdb,
		Streams:        streams,
		Catalog:        cat,
		Reporter:       keyer,
		Geo:            locator,
		TrustedProxies: cfg.TrustedProxies,
		Forward:        signer,
		RateIP:         cfg.RateIP,
		RateNet:        cfg.RateNet,
		DedupeWindow:   cfg.DedupeWindow,
		MaxBacklog:     int64(cfg.MaxBacklog),
		NetCap:         cfg.NetCap,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if err := httpapi.Serve(ctx, ln, h, log, shutdownGrace); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
