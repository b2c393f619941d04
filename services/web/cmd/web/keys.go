package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/rate"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// keysUsage is printed for a missing or unknown keys action.
const keysUsage = `usage:
  web keys create -name NAME -scopes alerts:read,series:read,webhooks:manage [-quota 600-M]
  web keys list
  web keys revoke ID`

// runKeys is the admin command for partner API keys: args are what
// follows "keys". A new key is printed once, to stdout; only its hash is
// stored.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	action, args := args[0], args[1:]
	var common config.Common
	var name, scopes, quota string
	l := config.New("web keys "+action, getenv, stderr)
	l.BindCommon(&common)
	switch action {
	case "create":
		l.String(&name, "name", "", "who the key is for")
		l.String(&scopes, "scopes", "", "comma-separated scopes: "+strings.Join(scopeNames(), ","))
		l.String(&quota, "quota", partner.DefaultQuota, "requests allowed per period, ulule/limiter format (600-M: 600 a minute)")
	case "list", "revoke":
	default:
		return fmt.Errorf("unknown keys action %q\n%s", action, keysUsage)
	}
	err := l.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rest := l.FlagSet().Args()
	if (action == "revoke") != (len(rest) == 1) {
		return fmt.Errorf("unexpected arguments %q\n%s", rest, keysUsage)
	}
	var sc []partner.Scope
	if action == "create" {
		if sc, err = partner.ParseScopes(scopes); err != nil {
			return fmt.Errorf("-scopes: %w", err)
		}
		if _, err := rate.Parse(quota); err != nil {
			return fmt.Errorf("-quota: %w", err)
		}
	}
	conn, err := clickhouse.Open(ctx, common)
	if err != nil {
		return err
	}
	defer conn.Close()
	keys := partner.NewKeys(clickhouse.NewKeyStore(conn))

	switch action {
	case "create":
		k, full, err := keys.Create(ctx, name, sc, quota)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created key %s for %q; it is shown once, store it now\n", k.ID, k.Name)
		fmt.Fprintln(stdout, full)
	case "list":
		list, err := keys.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPES\tQUOTA\tCREATED\tREVOKED")
		for _, k := range list {
			revoked := "-"
			if k.Revoked() {
				revoked = k.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(scopeStrings(k.Scopes), ","), k.Quota,
				k.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return w.Flush()
	case "revoke":
		k, err := keys.Revoke(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s)\n", k.ID, k.Name)
	}
	return nil
}

func scopeNames() []string { return scopeStrings(partner.Scopes) }

func scopeStrings(ss []partner.Scope) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
