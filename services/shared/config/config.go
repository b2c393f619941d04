// Package config is Lapor's one configuration loader. Every setting is a
// flag whose default comes from an environment variable with the LAPOR_
// prefix: flag "redis-addr" reads LAPOR_REDIS_ADDR. Flags win over the
// environment so an operator can override a deployment's value by hand.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Prefix is put before every environment variable name.
const Prefix = "LAPOR_"

// EnvName returns the environment variable that backs a flag name.
func EnvName(flagName string) string {
	return Prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Loader binds settings to flags and environment variables.
type Loader struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

// New returns a Loader for the named command. Usage text goes to out.
func New(name string, getenv func(string) string, out io.Writer) *Loader {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return &Loader{fs: fs, getenv: getenv}
}

// FlagSet exposes the underlying flags, for positional arguments.
func (l *Loader) FlagSet() *flag.FlagSet { return l.fs }

func (l *Loader) env(name string) (string, bool) {
	v := l.getenv(EnvName(name))
	return v, v != ""
}

func (l *Loader) usage(name, usage string) string {
	return fmt.Sprintf("%s (env %s)", usage, EnvName(name))
}

// String binds a string setting.
func (l *Loader) String(p *string, name, def, usage string) {
	if v, ok := l.env(name); ok {
		def = v
	}
	l.fs.StringVar(p, name, def, l.usage(name, usage))
}

// Secret binds a string setting that must not be shown: `-h` prints no
// default for it, so a value taken from the environment stays out of help
// output and of anything that captures it.
func (l *Loader) Secret(p *string, name, usage string) {
	if v, ok := l.env(name); ok {
		*p = v
	}
	l.fs.Var((*secret)(p), name, l.usage(name, usage))
}

// secret is a flag.Value that never prints what it holds.
type secret string

func (s *secret) String() string     { return "" }
func (s *secret) Set(v string) error { *s = secret(v); return nil }

// Int binds an integer setting.
func (l *Loader) Int(p *int, name string, def int, usage string) {
	if v, ok := l.env(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %q is not an integer", EnvName(name), v))
		} else {
			def = n
		}
	}
	l.fs.IntVar(p, name, def, l.usage(name, usage))
}

// Float binds a floating-point setting.
func (l *Loader) Float(p *float64, name string, def float64, usage string) {
	if v, ok := l.env(name); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %q is not a number", EnvName(name), v))
		} else {
			def = f
		}
	}
	l.fs.Float64Var(p, name, def, l.usage(name, usage))
}

// Bool binds a boolean setting.
func (l *Loader) Bool(p *bool, name string, def bool, usage string) {
	if v, ok := l.env(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %q is not a boolean", EnvName(name), v))
		} else {
			def = b
		}
	}
	l.fs.BoolVar(p, name, def, l.usage(name, usage))
}

// Duration binds a duration setting ("15m", "500ms").
func (l *Loader) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := l.env(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %q is not a duration", EnvName(name), v))
		} else {
			def = d
		}
	}
	l.fs.DurationVar(p, name, def, l.usage(name, usage))
}

// List binds a comma-separated list setting.
func (l *Loader) List(p *[]string, name, def, usage string) {
	if v, ok := l.env(name); ok {
		def = v
	}
	*p = splitList(def)
	l.fs.Func(name, l.usage(name, usage)+" (comma-separated, default "+strconv.Quote(def)+")", func(s string) error {
		*p = splitList(s)
		return nil
	})
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// ParseCommand reads the flags and at most one subcommand word, which may
// stand before or after the flags and must be one of commands; any other
// positional argument is an error. It returns the subcommand ("" for none)
// and, for -h, flag.ErrHelp after printing the usage.
func (l *Loader) ParseCommand(args []string, commands ...string) (string, error) {
	cmd := ""
	if len(args) > 0 && slices.Contains(commands, args[0]) {
		cmd, args = args[0], args[1:]
	}
	if err := l.Parse(args); err != nil {
		return "", err
	}
	rest := l.fs.Args()
	if cmd == "" && len(rest) == 1 && slices.Contains(commands, rest[0]) {
		return rest[0], nil
	}
	if len(rest) > 0 {
		if len(commands) == 0 {
			return "", fmt.Errorf("unexpected arguments %q", rest)
		}
		return "", fmt.Errorf("unexpected arguments %q (subcommands: %s)", rest, strings.Join(commands, ", "))
	}
	return cmd, nil
}

// Parse reads the flags; it reports every malformed environment value too.
func (l *Loader) Parse(args []string) error {
	if err := l.fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err)
	}
	return errors.Join(l.errs...)
}

// Common holds the settings every service shares.
type Common struct {
	LogLevel       string
	RedisAddr      string // one address, or several (comma-separated) of a Redis Cluster
	RedisPassword  string
	RedisDB        int
	ReportShards   int // report streams; ingest, worker, detector and web must agree
	ClickHouseAddr string
	ClickHouseDB   string
	ClickHouseUser string
	ClickHousePass string
	// ClickHouseCluster names the cluster in the servers' remote_servers
	// that Lapor's tables are laid out over (see package clickhouse); empty
	// for a single node.
	ClickHouseCluster string
	// ClickHouseReplicated says the cluster's servers have Keeper or
	// ZooKeeper (and the {shard} and {replica} macros): migrations then
	// run ON CLUSTER and tables are Replicated*MergeTree.
	ClickHouseReplicated bool
}

// ClickHouseAddrs is ClickHouseAddr's comma-separated list of host:port.
func (c Common) ClickHouseAddrs() []string { return splitList(c.ClickHouseAddr) }

// BindCommon binds the shared settings: the log level, Redis and
// ClickHouse.
func (l *Loader) BindCommon(c *Common) {
	l.BindLogLevel(c)
	l.BindRedis(c)
	l.BindClickHouse(c)
}

// BindLogLevel binds the log level alone.
func (l *Loader) BindLogLevel(c *Common) {
	l.String(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
}

// BindRedis binds Redis's settings and the report shards, for a command
// that uses Redis alone (the ingest).
func (l *Loader) BindRedis(c *Common) {
	l.String(&c.RedisAddr, "redis-addr", "127.0.0.1:6379", "Redis address host:port, or a comma-separated list of a Redis Cluster's nodes (a single node of a cluster is recognised too)")
	l.Secret(&c.RedisPassword, "redis-password", "Redis password")
	l.Int(&c.RedisDB, "redis-db", 0, "Redis database number (0 on a cluster)")
	l.Int(&c.ReportShards, "report-shards", 1, "report streams, each in its own Redis hash slot, a service's reports always in the same one; ingest, worker, detector and web must agree")
}

// BindClickHouse binds ClickHouse's settings, for a command that uses
// ClickHouse alone (the backfill).
func (l *Loader) BindClickHouse(c *Common) {
	l.String(&c.ClickHouseAddr, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native protocol address host:port, or a comma-separated list of a cluster's (the client picks one and fails over)")
	l.String(&c.ClickHouseDB, "clickhouse-db", "lapor", "ClickHouse database")
	l.String(&c.ClickHouseUser, "clickhouse-user", "default", "ClickHouse user")
	l.Secret(&c.ClickHousePass, "clickhouse-password", "ClickHouse password")
	l.String(&c.ClickHouseCluster, "clickhouse-cluster", "", "ClickHouse cluster (remote_servers name) to lay the tables out over; empty for a single node")
	l.Bool(&c.ClickHouseReplicated, "clickhouse-replicated", false, "the ClickHouse cluster has Keeper/ZooKeeper: migrations run ON CLUSTER and tables are Replicated*MergeTree")
}
