package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/web/internal/partner"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/server"
	"github.com/lapor/lapor/services/web/internal/webhook"
)

// Config is the web service's configuration.
type Config struct {
	Common         config.Common
	HTTPAddr       string
	IngestURL      string
	TrustedProxies []string
	// ForwardSecret signs the client address handed to ingest; empty
	// sends only X-Forwarded-For.
	ForwardSecret  string
	MigrateOnStart bool
	CacheTTL       time.Duration
	PublicURL      string
	Webhook        webhook.Config
	// StreamsPerKey and MaxStreams bound the partner event streams one
	// web process holds open, per API key and in all.
	StreamsPerKey int
	MaxStreams    int
	Migrate       bool // the migrate subcommand: apply migrations and exit
}

// ParseConfig reads flags (args without the program name) and LAPOR_*
// environment variables. "migrate" as the first or last argument selects
// the migrate subcommand.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	l := config.New("web", getenv, stderr)
	l.BindCommon(&c.Common)
	l.String(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "address to serve HTTP on")
	l.String(&c.IngestURL, "ingest-url", "http://127.0.0.1:8081", "base URL of the ingest service that POST /api/v1/reports is forwarded to")
	l.List(&c.TrustedProxies, "trusted-proxies", "", "proxies (IPs or CIDRs) whose X-Forwarded-For is believed")
	l.Secret(&c.ForwardSecret, "forward-secret", "secret shared with ingest that signs the client address of forwarded reports, at least 16 bytes; empty sends only X-Forwarded-For")
	l.Bool(&c.MigrateOnStart, "migrate-on-start", false, "apply ClickHouse migrations before serving")
	l.Duration(&c.CacheTTL, "status-cache-ttl", read.DefaultStatusTTL, "how long the services' status is reused between ClickHouse queries")
	l.String(&c.PublicURL, "public-url", "", "scheme and host that pages' absolute links (og:image, og:url) and feeds use, e.g. https://lapor.example; empty leaves og:url and og:image out and makes feed links relative")
	l.Int(&c.StreamsPerKey, "stream-limit-per-key", partner.DefaultStreamsPerKey, "partner event streams one API key may hold open on this process (0 takes the default)")
	l.Int(&c.MaxStreams, "stream-limit", partner.DefaultMaxStreams, "partner event streams this process holds open in all (0 takes the default)")
	c.Webhook.Bind(l)
	cmd, err := l.ParseCommand(args, "migrate")
	if err != nil {
		return c, err
	}
	c.Migrate = cmd == "migrate"
	// A short secret would make signatures guessable. The message gives
	// its length only, never the secret.
	if c.ForwardSecret != "" && len(c.ForwardSecret) < forward.MinSecret {
		return c, fmt.Errorf("forward-secret must be at least %d bytes, got %d", forward.MinSecret, len(c.ForwardSecret))
	}
	return c, nil
}

// run runs the web service: args are the command line without the program
// name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "keys" {
		return runKeys(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "comments" {
		return runComments(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := ParseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // usage has been printed
	}
	if err != nil {
		return err
	}
	log, err := logging.New(stderr, "web", cfg.Common.LogLevel)
	if err != nil {
		return fmt.Errorf("set up logging: %w", err)
	}
	if cfg.Migrate {
		return clickhouse.MigrateCommand(ctx, cfg.Common, log, stdout)
	}
	ingest, err := url.Parse(cfg.IngestURL)
	if err != nil || ingest.Scheme == "" || ingest.Host == "" {
		return fmt.Errorf("ingest-url %q must be an absolute http(s) URL", cfg.IngestURL)
	}
	if cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url %q must be an absolute http(s) URL", cfg.PublicURL)
		}
	}
	var signer *forward.Signer
	if cfg.ForwardSecret != "" {
		if signer, err = forward.New(cfg.ForwardSecret); err != nil {
			return fmt.Errorf("set up forward signing: %w", err)
		}
	}
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	conn, err := clickhouse.Open(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer conn.Close()

	if cfg.MigrateOnStart {
		applied, err := clickhouse.Migrate(ctx, conn, log)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		log.Info("migrations up to date", "applied", len(applied))
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
	limits, err := redisstore.NewStoreWithOptions(rdb, limiter.StoreOptions{Prefix: redis.PartnerLimitPrefix})
	if err != nil {
		return fmt.Errorf("set up partner quotas: %w", err)
	}
	partnerOpts := &partner.Options{
		Alerts:   redis.NewAlertLog(rdb),
		Auth:     partner.NewAuth(partner.NewKeys(clickhouse.NewKeyStore(conn)), limits, log, partner.DefaultCacheTTL),
		Shutdown: ctx, // also stops the event streams' hub
		Streams:  partner.StreamOptions{PerKey: cfg.StreamsPerKey, Max: cfg.MaxStreams},
	}

	hooks := clickhouse.NewWebhookStore(conn)
	hooksAPI, err := webhook.NewAPI(webhook.APIOptions{Log: log, Store: hooks, Alerts: partnerOpts.Alerts, Catalog: cat, AllowPrivate: cfg.Webhook.AllowPrivate})
	if err != nil {
		return fmt.Errorf("set up webhook API: %w", err)
	}
	h, err := server.NewHandler(ctx, server.Options{
		Log: log, Store: clickhouse.NewPageStore(conn), Catalog: cat, IngestURL: ingest,
		TrustedProxies: cfg.TrustedProxies, CacheTTL: cfg.CacheTTL, PublicURL: cfg.PublicURL,
		Partner: partnerOpts, Webhooks: hooksAPI, Forward: signer, Backlog: redis.NewBacklog(rdb, streams),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if !cfg.Webhook.Dispatch {
		if err := httpapi.Serve(ctx, ln, h, log, 10*time.Second); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	disp, err := webhook.NewDispatcher(webhook.DispatcherOptions{
		Log: log.With("component", "webhooks"), Store: hooks, Alerts: partnerOpts.Alerts, Redis: rdb,
		Retry: cfg.Webhook.Retry, Timeout: cfg.Webhook.Timeout, AllowPrivate: cfg.Webhook.AllowPrivate,
	})
	if err != nil {
		return fmt.Errorf("set up webhook dispatcher: %w", err)
	}
	// The dispatcher delivers next to the server; whichever stops first
	// stops the other, and attempts under way are recorded before exit.
	if err := httpapi.ServeAlongside(ctx, ln, h, log, disp.Run); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
