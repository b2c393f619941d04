package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed sql/*.sql
var files embed.FS

// Migration is one numbered schema file.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(files, "sql")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		body, err := fs.ReadFile(files, "sql/"+name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: uint32(v), Name: name, Statements: SplitStatements(string(body))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// SplitStatements cuts a file into statements at semicolons that end a line, dropping
// comment lines. ClickHouse runs one statement per query.
func SplitStatements(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			if s != "" {
				stmts = append(stmts, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// Migrate brings the schema up to date and returns the versions it applied.
// On a connection to a cluster (a Clustered, which Open returns when
// a cluster is configured) it lays the schema out over the cluster (see
// Layout).
func Migrate(ctx context.Context, conn driver.Conn, log *slog.Logger) ([]uint32, error) {
	if cl, ok := conn.(Clustered); ok && cl.ClusterName() != "" {
		return applyCluster(ctx, cl, log)
	}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime
	) ENGINE = ReplacingMergeTree ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	return applyMissing(done, log, func(stmt string) ([]string, error) { return []string{stmt}, nil },
		func(stmt string) error { return exec(ctx, conn, stmt) },
		func(m Migration) error { return record(ctx, conn, m) })
}

// appliedVersions reads the versions schema_migrations holds.
func appliedVersions(ctx context.Context, conn driver.Conn) (map[uint32]bool, error) {
	done := map[uint32]bool{}
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan applied migration: %w", err)
		}
		done[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	return done, nil
}

// applyMissing applies, in order, every migration not in done: each of
// its statements as layout turns it into the statements to run, each run
// by run; then it records the migration.
func applyMissing(done map[uint32]bool, log *slog.Logger,
	layout func(string) ([]string, error), run func(string) error, rec func(Migration) error) ([]uint32, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []uint32
	for _, m := range all {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			stmts, err := layout(stmt)
			if err != nil {
				return applied, fmt.Errorf("migration %s statement %d: %w", m.Name, i+1, err)
			}
			for _, s := range stmts {
				if err := run(s); err != nil {
					return applied, fmt.Errorf("migration %s statement %d: %w", m.Name, i+1, err)
				}
			}
		}
		if err := rec(m); err != nil {
			return applied, err
		}
		log.Info("applied migration", "version", m.Version, "name", m.Name)
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// exec runs one statement, taking an ADD COLUMN whose column is there
// already as done.
func exec(ctx context.Context, conn driver.Conn, stmt string) error {
	if err := conn.Exec(ctx, stmt); err != nil && !alreadyAdded(stmt, err) {
		return err
	}
	return nil
}

// record notes an applied migration. Inserts go through a batch: a plain
// INSERT … VALUES with bound arguments hangs against ClickHouse 18.16.
func record(ctx context.Context, conn driver.Conn, m Migration) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
	if err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := batch.Append(m.Version, m.Name, time.Now().UTC()); err != nil {
		batch.Abort()
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	return nil
}

// illegalColumn is ClickHouse's error code for, among others, adding a
// column that exists.
const illegalColumn = 44

// alreadyAdded reports whether err says that the column an ALTER TABLE …
// ADD COLUMN statement adds is there already: the same migration ran
// before but was not recorded (two services starting together, or a run
// cut short).
func alreadyAdded(stmt string, err error) bool {
	var ex *ch.Exception
	return strings.Contains(strings.ToUpper(stmt), "ADD COLUMN") &&
		errors.As(err, &ex) && ex.Code == illegalColumn && strings.Contains(ex.Message, "already exists")
}
