// Package chdb is the one place a ClickHouse connection is opened. It uses
// the native protocol, the only one that works with ClickHouse 18.16.
package chdb

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/config"
)

// Open connects to ClickHouse, creates the configured database when it is
// missing, and returns a connection that uses it.
func Open(ctx context.Context, c config.Common) (driver.Conn, error) {
	if err := ensureDatabase(ctx, c); err != nil {
		return nil, err
	}
	return dial(ctx, c, c.ClickHouseDB)
}

func dial(ctx context.Context, c config.Common, db string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     []string{c.ClickHouseAddr},
		Auth: clickhouse.Auth{
			Database: db,
			Username: c.ClickHouseUser,
			Password: c.ClickHousePass,
		},
		DialTimeout:     3 * time.Second,
		MaxOpenConns:    8,
		MaxIdleConns:    4,
		ConnMaxLifetime: time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse at %s: %w", c.ClickHouseAddr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping clickhouse at %s: %w", c.ClickHouseAddr, err)
	}
	return conn, nil
}

func ensureDatabase(ctx context.Context, c config.Common) error {
	conn, err := dial(ctx, c, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(c.ClickHouseDB)); err != nil {
		return fmt.Errorf("create database %s: %w", c.ClickHouseDB, err)
	}
	return nil
}

func quoteIdent(s string) string {
	out := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '`'))
}
