// Package server wires the web service together from its configuration:
// it opens ClickHouse, applies migrations when asked, and serves the API
// until its context ends.
package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/chdb"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/migrate"
	"github.com/lapor/lapor/services/web/internal/api"
)

// Config is the web service's configuration.
type Config struct {
	Common         config.Common
	HTTPAddr       string
	IngestURL      string
	TrustedProxies []string
	MigrateOnStart bool
	CacheTTL       time.Duration
	Migrate        bool // the migrate subcommand: apply migrations and exit
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
	l.Bool(&c.MigrateOnStart, "migrate-on-start", false, "apply ClickHouse migrations before serving")
	l.Duration(&c.CacheTTL, "status-cache-ttl", api.DefaultCacheTTL, "how long the services' status is reused between ClickHouse queries")
	cmd, err := l.ParseCommand(args, "migrate")
	if err != nil {
		return c, err
	}
	c.Migrate = cmd == "migrate"
	return c, nil
}

// Run runs the web service: args are the command line without the program
// name.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
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
	ingest, err := url.Parse(cfg.IngestURL)
	if err != nil || ingest.Scheme == "" || ingest.Host == "" {
		return fmt.Errorf("ingest-url %q must be an absolute http(s) URL", cfg.IngestURL)
	}
	cat, err := catalog.Load()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	conn, err := chdb.Open(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer conn.Close()

	if cfg.Migrate || cfg.MigrateOnStart {
		applied, err := migrate.Apply(ctx, conn, log)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		log.Info("migrations up to date", "applied", len(applied))
		if cfg.Migrate {
			fmt.Fprintf(stdout, "applied %d migrations\n", len(applied))
			return nil
		}
	}

	h, err := api.NewHandler(api.Options{
		Log: log, Conn: conn, Catalog: cat, IngestURL: ingest,
		TrustedProxies: cfg.TrustedProxies, CacheTTL: cfg.CacheTTL,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if err := httpapi.Serve(ctx, ln, h, log, 10*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
