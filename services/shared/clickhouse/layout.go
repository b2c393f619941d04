package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Clustered is a connection to the tables of a ClickHouse cluster, as
// Open returns when a cluster is configured. Migrate lays the schema
// out over the cluster through it.
type Clustered interface {
	driver.Conn
	// ClusterName is the cluster's name in the servers' remote_servers.
	ClusterName() string
	// Replicated says the servers have Keeper or ZooKeeper and define the
	// {shard} and {replica} macros.
	Replicated() bool
	// Database is the database the tables are in.
	Database() string
	// OpenNodes connects to each node of the cluster alone, in the
	// database; the caller closes the connections.
	OpenNodes(ctx context.Context) ([]driver.Conn, error)
}

// Layout is how the schema files are laid out over a cluster. The files
// are written for one node; on a cluster, each table of theirs becomes
//
//   - a local table, <name>_local, on every node, with the file's engine
//     (ReplacingMergeTree, AggregatingMergeTree, …) or, with Replicated,
//     its Replicated* form under /clickhouse/tables/{shard}/<db>/<name>_local
//     and replica {replica};
//   - a Distributed table with the file's name over the local ones, which
//     is what every query and insert uses, unchanged. Tables with a
//     service column are sharded by cityHash64(service): a service's
//     reports, its rollup (which the materialized view writes on the node
//     that stores the reports), incidents, expectations and hidden
//     comments all live on one shard, and every version of a
//     ReplacingMergeTree row on the same one, so FINAL and uniqExact stay
//     exact through the Distributed table. The few tables without one
//     (API keys, webhooks and their deliveries) are small and are all kept
//     on the first shard (a constant sharding key).
//
// A materialized view is made on every node, from and to the local tables.
// ALTER TABLE … ADD|DROP|MODIFY COLUMN changes the local table and then the
// Distributed one (with Replicated, by making it again). Without
// Replicated, every statement runs on each node of the cluster in turn (ON
// CLUSTER needs ZooKeeper on ClickHouse 18.16), and each node keeps its own
// schema_migrations; with it, statements run once ON CLUSTER and
// schema_migrations is one table replicated to every node.
// Any other statement is refused, so that a new migration of another shape
// fails its test (TestClusterLayoutCoversEveryMigration) instead of going
// wrong on a cluster.
type Layout struct {
	Cluster    string
	Database   string
	Replicated bool
}

// LocalSuffix ends the name of a table's local part on a cluster.
const LocalSuffix = "_local"

var (
	createTableRe = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\((.*)\)\s*ENGINE\s*=\s*(\w+)\s*(?:\(([^()]*)\))?(.*)$`)
	createMVRe    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+(\w+)\s+TO\s+(\w+)\s+AS\s+(SELECT\s.*)$`)
	fromRe        = regexp.MustCompile(`(?i)\bFROM\s+(\w+)`)
	alterRe       = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+((?:ADD|DROP|MODIFY|COMMENT)\s+COLUMN\s.*)$`)
)

// Statements returns what runs on the cluster for one statement of a
// schema file, in order.
func (l Layout) Statements(stmt string) ([]string, error) {
	stmt = strings.TrimSpace(stmt)
	if m := createTableRe.FindStringSubmatch(stmt); m != nil {
		return l.table(m[1], m[2], m[3], m[4], m[5])
	}
	if m := createMVRe.FindStringSubmatch(stmt); m != nil {
		froms := fromRe.FindAllStringSubmatchIndex(m[3], -1)
		if len(froms) != 1 {
			return nil, fmt.Errorf("cluster layout: materialized view %s must read one table (FROM once), found %d", m[1], len(froms))
		}
		f := froms[0]
		sel := m[3][:f[2]] + l.name(m[3][f[2]:f[3]]+LocalSuffix) + m[3][f[3]:]
		return []string{"CREATE MATERIALIZED VIEW IF NOT EXISTS " + l.name(m[1]) + l.onCluster() +
			" TO " + l.name(m[2]+LocalSuffix) + " AS " + sel}, nil
	}
	if m := alterRe.FindStringSubmatch(stmt); m != nil {
		local := "ALTER TABLE " + l.name(m[1]+LocalSuffix) + l.onCluster() + " " + m[2]
		if !l.Replicated {
			return []string{local, "ALTER TABLE " + l.name(m[1]) + " " + m[2]}, nil
		}
		// ClickHouse runs no ALTER ON CLUSTER of a table that is not
		// replicated (the Distributed one) when the shards' replicas
		// replicate each other: the Distributed table, which holds no data
		// (inserts are synchronous), is made again over the altered local one.
		key, err := shardingKey(m[1])
		if err != nil {
			return nil, err
		}
		return []string{local, "DROP TABLE IF EXISTS " + l.name(m[1]) + l.onCluster(), l.distributed(m[1], key)}, nil
	}
	first, _, _ := strings.Cut(stmt, "\n")
	return nil, fmt.Errorf("cluster layout: no rule for statement %q (add one to Layout)", first)
}

func (l Layout) table(name, columns, engine, args, rest string) ([]string, error) {
	if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
		return nil, fmt.Errorf("cluster layout: table %s has engine %s, want a non-replicated *MergeTree", name, engine)
	}
	local := name + LocalSuffix
	if l.Replicated {
		params := []string{quoteString("/clickhouse/tables/{shard}/" + l.Database + "/" + local), "'{replica}'"}
		if a := strings.TrimSpace(args); a != "" {
			params = append(params, a)
		}
		engine, args = "Replicated"+engine, strings.Join(params, ", ")
	}
	engineExpr := engine
	if args != "" {
		engineExpr += "(" + args + ")"
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		engineExpr += "\n" + rest
	}
	return []string{
		"CREATE TABLE IF NOT EXISTS " + l.name(local) + l.onCluster() + " (" + columns + ") ENGINE = " + engineExpr,
		l.distributed(name, columnsKey(columns)),
	}, nil
}

// distributed is the DDL of a table's Distributed part.
func (l Layout) distributed(name, key string) string {
	return "CREATE TABLE IF NOT EXISTS " + l.name(name) + l.onCluster() + " AS " + l.name(name+LocalSuffix) +
		" ENGINE = Distributed(" + strings.Join([]string{quoteString(l.Cluster), quoteString(l.Database), quoteString(name + LocalSuffix), key}, ", ") + ")"
}

// columnsKey is the sharding key of a table with these columns: its
// service, or a constant, which keeps every row on the first shard.
func columnsKey(columns string) string {
	if hasColumn(columns, "service") {
		return "cityHash64(service)"
	}
	return "0"
}

// shardingKey is the sharding key of a table that a migration creates.
func shardingKey(table string) (string, error) {
	all, err := Migrations()
	if err != nil {
		return "", err
	}
	for _, m := range all {
		for _, stmt := range m.Statements {
			if c := createTableRe.FindStringSubmatch(strings.TrimSpace(stmt)); c != nil && c[1] == table {
				return columnsKey(c[2]), nil
			}
		}
	}
	return "", fmt.Errorf("cluster layout: no migration creates table %s", table)
}

// migrationsTable is the DDL of schema_migrations on a cluster: on each
// node alone, or, with Replicated, one table whose replicas are all the
// nodes of the cluster ({shard}-{replica} names each uniquely), so that
// any node tells what was applied.
func (l Layout) migrationsTable() string {
	engine := "ReplacingMergeTree"
	if l.Replicated {
		engine = "ReplicatedReplacingMergeTree(" + quoteString("/clickhouse/tables/cluster/"+l.Database+"/schema_migrations") + ", '{shard}-{replica}')"
	}
	return "CREATE TABLE IF NOT EXISTS " + l.name("schema_migrations") + l.onCluster() +
		" (version UInt32, name String, applied_at DateTime) ENGINE = " + engine + " ORDER BY version"
}

// name qualifies a table with the database: a statement run ON CLUSTER
// runs on other servers, whose sessions have no current database.
func (l Layout) name(table string) string { return quoteIdent(l.Database) + "." + quoteIdent(table) }

func (l Layout) onCluster() string {
	if !l.Replicated {
		return ""
	}
	return " ON CLUSTER " + quoteIdent(l.Cluster)
}

// hasColumn says whether a CREATE TABLE's column list declares col.
func hasColumn(columns, col string) bool {
	depth, start := 0, 0
	for i := 0; i <= len(columns); i++ {
		if i < len(columns) {
			switch columns[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if f := strings.Fields(columns[start:i]); len(f) > 0 && strings.Trim(f[0], "`") == col {
			return true
		}
		start = i + 1
	}
	return false
}

func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(s) + "'"
}

// applyCluster is Migrate on a cluster (see Layout).
func applyCluster(ctx context.Context, cl Clustered, log *slog.Logger) ([]uint32, error) {
	l := Layout{Cluster: cl.ClusterName(), Database: cl.Database(), Replicated: cl.Replicated()}
	log = log.With("cluster", l.Cluster)
	if l.Replicated {
		// Every statement runs ON CLUSTER from this connection's server,
		// beginning with the database, which a node added since lacks.
		if err := cl.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(l.Database)+l.onCluster()); err != nil {
			return nil, fmt.Errorf("create database %s on cluster %s: %w", l.Database, l.Cluster, err)
		}
		if err := cl.Exec(ctx, l.migrationsTable()); err != nil {
			return nil, fmt.Errorf("create schema_migrations on cluster %s: %w", l.Cluster, err)
		}
		done, err := appliedVersions(ctx, cl)
		if err != nil {
			return nil, err
		}
		return applyMissing(done, log, l.Statements,
			func(stmt string) error { return exec(ctx, cl, stmt) },
			func(m Migration) error { return record(ctx, cl, m) })
	}
	// Node by node: each statement on every node, each node keeping its
	// own record. A migration is done where every node has it.
	nodes, err := cl.OpenNodes(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	var done map[uint32]bool
	for i, n := range nodes {
		if err := n.Exec(ctx, l.migrationsTable()); err != nil {
			return nil, fmt.Errorf("create schema_migrations on a node of cluster %s: %w", l.Cluster, err)
		}
		has, err := appliedVersions(ctx, n)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			done = has
			continue
		}
		for v := range done {
			if !has[v] {
				delete(done, v)
			}
		}
	}
	return applyMissing(done, log, l.Statements,
		func(stmt string) error {
			for _, n := range nodes {
				if err := exec(ctx, n, stmt); err != nil {
					return err
				}
			}
			return nil
		},
		func(m Migration) error {
			for _, n := range nodes {
				if err := record(ctx, n, m); err != nil {
					return err
				}
			}
			return nil
		})
}
