package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/config"
)

// Open connects to ClickHouse, creates the configured database when it is
// missing, and returns a connection that uses it: a *Cluster when a
// cluster is configured.
func Open(ctx context.Context, c config.Common) (driver.Conn, error) {
	if len(c.ClickHouseAddrs()) == 0 {
		return nil, errors.New("no ClickHouse address configured")
	}
	if err := ensureDatabase(ctx, c); err != nil {
		return nil, err
	}
	conn, err := dial(ctx, c, c.ClickHouseDB)
	if err != nil {
		return nil, err
	}
	if c.ClickHouseCluster == "" {
		return conn, nil
	}
	if err := checkProductMode(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return &Cluster{Conn: conn, common: c}, nil
}

// checkProductMode makes sure that a query over a Distributed table may
// hold a subquery over another (the pages' latest expectations, the
// comments without the hidden ones). ClickHouse refuses that unless
// distributed_product_mode allows it, and the driver cannot send a string
// setting to ClickHouse 18.16 (it sends settings there as numbers), so it
// must come from the user's profile on the servers.
func checkProductMode(ctx context.Context, conn driver.Conn) error {
	var mode string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'distributed_product_mode'").Scan(&mode); err != nil {
		return fmt.Errorf("read distributed_product_mode: %w", err)
	}
	if mode == "deny" {
		return errors.New("the ClickHouse user's profile has distributed_product_mode = deny, which refuses Lapor's subqueries over Distributed tables: set it to global in the servers' users.xml (see README, ClickHouse cluster)")
	}
	return nil
}

func dial(ctx context.Context, c config.Common, db string) (driver.Conn, error) {
	opts := &ch.Options{
		Protocol: ch.Native,
		Addr:     c.ClickHouseAddrs(),
		Auth: ch.Auth{
			Database: db,
			Username: c.ClickHouseUser,
			Password: c.ClickHousePass,
		},
		// Every connection goes to the first address that answers, so
		// that what a session makes on its server (the backfill's Memory
		// staging tables) is there for the next query; the others are
		// for when it does not answer.
		ConnOpenStrategy: ch.ConnOpenInOrder,
		DialTimeout:      3 * time.Second,
		MaxOpenConns:     8,
		MaxIdleConns:     4,
		ConnMaxLifetime:  time.Hour,
	}
	if c.ClickHouseCluster != "" {
		opts.Settings = ch.Settings{"insert_distributed_sync": 1}
	}
	conn, err := ch.Open(opts)
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
	create := "CREATE DATABASE IF NOT EXISTS " + QuoteIdent(c.ClickHouseDB)
	if c.ClickHouseCluster == "" {
		if err := conn.Exec(ctx, create); err != nil {
			return fmt.Errorf("create database %s: %w", c.ClickHouseDB, err)
		}
		return nil
	}
	// On a cluster, the nodes are asked only when the database is missing
	// where this connection landed: a service then starts while another
	// node is down. Migrations make sure of every node (Cluster.OpenNodes,
	// or ON CLUSTER).
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", c.ClickHouseDB).Scan(&n); err != nil {
		return fmt.Errorf("look for database %s: %w", c.ClickHouseDB, err)
	}
	if n > 0 {
		return nil
	}
	if c.ClickHouseReplicated {
		if err := conn.Exec(ctx, create+" ON CLUSTER "+QuoteIdent(c.ClickHouseCluster)); err != nil {
			return fmt.Errorf("create database %s on cluster %s: %w", c.ClickHouseDB, c.ClickHouseCluster, err)
		}
		return nil
	}
	nodes, err := clusterNodes(ctx, conn, c.ClickHouseCluster)
	if err != nil {
		return err
	}
	for _, nd := range nodes {
		nc, err := openNode(ctx, c, nd, "default")
		if err != nil {
			return err
		}
		err = nc.Exec(ctx, create)
		nc.Close()
		if err != nil {
			return fmt.Errorf("create database %s on %s: %w", c.ClickHouseDB, nd.Addr, err)
		}
	}
	return nil
}

// Node is one server of a cluster as its remote_servers lists it.
type Node struct {
	Shard, Replica uint32
	Addr           string // host:port of its native protocol
}

// clusterNodes reads the nodes of a cluster from system.clusters of the
// server conn is connected to.
func clusterNodes(ctx context.Context, conn driver.Conn, cluster string) ([]Node, error) {
	rows, err := conn.Query(ctx, `SELECT shard_num, replica_num, host_name, port
		FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num`, cluster)
	if err != nil {
		return nil, fmt.Errorf("read nodes of cluster %s: %w", cluster, err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var (
			shard, replica uint32
			host           string
			port           uint16
		)
		if err := rows.Scan(&shard, &replica, &host, &port); err != nil {
			return nil, fmt.Errorf("read nodes of cluster %s: %w", cluster, err)
		}
		out = append(out, Node{Shard: shard, Replica: replica, Addr: net.JoinHostPort(host, strconv.Itoa(int(port)))})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read nodes of cluster %s: %w", cluster, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster %s is not among the servers' remote_servers (system.clusters)", cluster)
	}
	return out, nil
}

// openNode connects to one node alone, in database db, with no cluster
// settings.
func openNode(ctx context.Context, c config.Common, n Node, db string) (driver.Conn, error) {
	one := c
	one.ClickHouseAddr, one.ClickHouseCluster = n.Addr, ""
	return dial(ctx, one, db)
}

// Cluster is a connection to the tables of a ClickHouse cluster (Open
// returns one when a cluster is configured). Queries and inserts go to
// its Distributed tables like to a single node's; Migrate uses
// the rest to lay the schema out.
type Cluster struct {
	driver.Conn
	common config.Common
}

// ClusterName is the cluster's name in remote_servers.
func (c *Cluster) ClusterName() string { return c.common.ClickHouseCluster }

// Replicated says the cluster has Keeper or ZooKeeper: DDL runs ON
// CLUSTER and tables are Replicated*MergeTree.
func (c *Cluster) Replicated() bool { return c.common.ClickHouseReplicated }

// Database is the database the tables are in.
func (c *Cluster) Database() string { return c.common.ClickHouseDB }

// Nodes lists the cluster's nodes as the server this connection reached
// knows them (system.clusters).
func (c *Cluster) Nodes(ctx context.Context) ([]Node, error) {
	return clusterNodes(ctx, c.Conn, c.common.ClickHouseCluster)
}

// OpenNodes connects to every node of the cluster alone, in the
// database, which it creates on any node that lacks it. The caller closes
// the connections.
func (c *Cluster) OpenNodes(ctx context.Context) ([]driver.Conn, error) {
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	var out []driver.Conn
	closeAll := func() {
		for _, nc := range out {
			nc.Close()
		}
	}
	for _, n := range nodes {
		def, err := openNode(ctx, c.common, n, "default")
		if err != nil {
			closeAll()
			return nil, err
		}
		err = def.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+QuoteIdent(c.common.ClickHouseDB))
		def.Close()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("create database %s on %s: %w", c.common.ClickHouseDB, n.Addr, err)
		}
		nc, err := openNode(ctx, c.common, n, c.common.ClickHouseDB)
		if err != nil {
			closeAll()
			return nil, err
		}
		out = append(out, nc)
	}
	return out, nil
}

// QuoteIdent quotes a ClickHouse identifier with backquotes.
func QuoteIdent(s string) string {
	var b strings.Builder
	b.WriteByte('`')
	for i := 0; i < len(s); i++ {
		if s[i] == '`' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('`')
	return b.String()
}
