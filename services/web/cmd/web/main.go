// Command web serves Lapor's pages, public read API and partner API (with
// its webhooks and their dispatcher). run wires them together from the
// configuration: it opens ClickHouse, applies migrations when asked, and
// serves until its context ends; package server holds the routes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}
