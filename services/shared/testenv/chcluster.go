package testenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/config"
)

// ClickHouseClusterName is the name test clusters have in their
// remote_servers.
const ClickHouseClusterName = "lapor"

// ClickHouseClusterOptions shape a test cluster.
type ClickHouseClusterOptions struct {
	Shards   int // 2 when 0
	Replicas int // servers per shard, 1 when 0
	// ZooKeeper starts a ZooKeeper that the servers share: DDL can then
	// run ON CLUSTER and tables be Replicated*MergeTree
	// (config.Common.ClickHouseReplicated).
	ZooKeeper bool
}

// ClickHouseCluster is private clickhouse-servers that know each other as
// the cluster ClickHouseClusterName: a remote_servers config the test
// writes lists them shard by shard, and each defines the {shard} and
// {replica} macros.
type ClickHouseCluster struct {
	Shards, Replicas int
	Nodes            []*ClickHouse // shard 1's replicas, then shard 2's, …
	ZooKeeper        *ZooKeeper    // nil unless asked for
}

// StartClickHouseCluster starts a cluster's servers (and its ZooKeeper) on
// free ports, with temporary folders.
func StartClickHouseCluster(o ClickHouseClusterOptions) (*ClickHouseCluster, error) {
	if o.Shards == 0 {
		o.Shards = 2
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	c := &ClickHouseCluster{Shards: o.Shards, Replicas: o.Replicas}
	if o.ZooKeeper {
		zk, err := StartZooKeeper()
		if err != nil {
			return nil, err
		}
		c.ZooKeeper = zk
	}
	n := o.Shards * o.Replicas
	type chNode struct {
		dir                       string
		port, httpPort, interPort int // native, HTTP, replication
	}
	nodes := make([]chNode, n)
	fail := func(err error) (*ClickHouseCluster, error) {
		c.Stop()
		for _, nd := range nodes {
			if nd.dir != "" {
				os.RemoveAll(nd.dir)
			}
		}
		return nil, err
	}
	for i := range nodes {
		dir, err := os.MkdirTemp("", "lapor-clickhouse-node-")
		if err != nil {
			return fail(fmt.Errorf("make clickhouse dir: %w", err))
		}
		nodes[i].dir = dir
		for _, p := range []*int{&nodes[i].port, &nodes[i].httpPort, &nodes[i].interPort} {
			if *p, err = FreePort(); err != nil {
				return fail(err)
			}
		}
	}
	var shards strings.Builder
	for s := 0; s < o.Shards; s++ {
		// With Replicated tables a shard's replicas copy each other; without,
		// the Distributed table writes to each of them.
		fmt.Fprintf(&shards, "<shard><internal_replication>%t</internal_replication>", o.ZooKeeper)
		for r := 0; r < o.Replicas; r++ {
			fmt.Fprintf(&shards, "<replica><host>127.0.0.1</host><port>%d</port></replica>", nodes[s*o.Replicas+r].port)
		}
		shards.WriteString("</shard>\n")
	}
	zk := ""
	if c.ZooKeeper != nil {
		host, port, _ := net.SplitHostPort(c.ZooKeeper.Addr)
		zk = fmt.Sprintf(`<zookeeper><node><host>%s</host><port>%s</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`, host, port)
	}
	c.Nodes = make([]*ClickHouse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, nd := range nodes {
		conf := fmt.Sprintf(`<yandex>
  <remote_servers><%[1]s>
%[2]s  </%[1]s></remote_servers>
  <macros><shard>%[3]d</shard><replica>r%[4]d</replica></macros>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>%[5]d</interserver_http_port>
  %[6]s</yandex>
`, ClickHouseClusterName, shards.String(), i/o.Replicas+1, i%o.Replicas+1, nd.interPort, zk)
		// ClickHouse merges config.d/*.xml into config.xml and users.d/*.xml
		// into users.xml.
		if errs[i] = writeFile(filepath.Join(nd.dir, "config.d", "cluster.xml"), conf); errs[i] != nil {
			continue
		}
		if errs[i] = writeFile(filepath.Join(nd.dir, "users.d", "cluster.xml"), clusterProfile); errs[i] != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Nodes[i], errs[i] = startClickHouse(nd.dir, nd.port, nd.httpPort, false)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fail(fmt.Errorf("start cluster: %w", err))
	}
	if c.ZooKeeper != nil {
		// ClickHouse 18.16 dies (a null ZooKeeper) when DDL arrives
		// before its ZooKeeper session is up, which a busy machine makes
		// likely: wait until each server reads ZooKeeper.
		for _, n := range c.Nodes {
			err := waitUntil(n.proc, time.Minute, "read ZooKeeper", func() error {
				return queryClickHouse(n.Addr, "SELECT name FROM system.zookeeper WHERE path = '/'")
			})
			if err != nil {
				return fail(fmt.Errorf("start cluster: %s: %w", n.Addr, err))
			}
		}
	}
	return c, nil
}

// clusterProfile is what a cluster's users need (see package clickhouse): a query over a
// Distributed table may hold a subquery over another.
const clusterProfile = `<yandex><profiles><default><distributed_product_mode>global</distributed_product_mode></default></profiles></yandex>
`

func writeFile(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o644)
}

// OwnClickHouseCluster starts a cluster for the test, stopped when it ends.
// It skips the test when LAPOR_SKIP_INTEGRATION is set, as Need does.
func OwnClickHouseCluster(t testing.TB, o ClickHouseClusterOptions) *ClickHouseCluster {
	t.Helper()
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
	c, err := StartClickHouseCluster(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.Nodes {
				if errLog, _ := os.ReadFile(filepath.Join(n.Dir, "log", "err.log")); len(errLog) > 0 {
					t.Logf("%s err.log (tail):\n%s", n.Addr, lastLines(errLog, 12))
				}
			}
		}
		c.Stop()
	})
	return c
}

// Node is the server of a shard's replica, both counted from 1.
func (c *ClickHouseCluster) Node(shard, replica int) *ClickHouse {
	return c.Nodes[(shard-1)*c.Replicas+replica-1]
}

// Addrs are the servers' native protocol addresses.
func (c *ClickHouseCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Config returns settings that reach the cluster through all its servers,
// in a ClickHouse database unique to the caller (no Redis).
func (c *ClickHouseCluster) Config(t testing.TB) config.Common {
	return config.Common{
		LogLevel:             "error",
		ClickHouseAddr:       strings.Join(c.Addrs(), ","),
		ClickHouseDB:         testDatabase(t),
		ClickHouseUser:       "default",
		ClickHouseCluster:    ClickHouseClusterName,
		ClickHouseReplicated: c.ZooKeeper != nil,
	}
}

// Single returns settings for one of the servers alone, as a single node,
// in a database unique to the caller: the same data laid out for one node,
// to compare with the cluster.
func (c *ClickHouseCluster) Single(t testing.TB, n *ClickHouse) config.Common {
	return config.Common{LogLevel: "error", ClickHouseAddr: n.Addr, ClickHouseDB: testDatabase(t), ClickHouseUser: "default"}
}

// Stop stops the servers and the ZooKeeper and removes their folders.
func (c *ClickHouseCluster) Stop() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		if n != nil {
			wg.Add(1)
			go func() { defer wg.Done(); n.Stop() }()
		}
	}
	wg.Wait()
	if c.ZooKeeper != nil {
		c.ZooKeeper.Stop()
	}
}

// testDatabase names a database for the caller as Env.Config does.
func testDatabase(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%s", dbSeq.Add(1), name)
}

// ZooKeeper is a private ZooKeeper server, from Debian's zookeeperd
// package, listening on loopback only.
type ZooKeeper struct {
	Addr string
	Dir  string
	proc *proc
}

// zooKeeperJar is where Debian's zookeeper package puts the server; its
// manifest names the libraries it needs.
const zooKeeperJar = "/usr/share/java/zookeeper.jar"

// StartZooKeeper starts a standalone ZooKeeper on a free port.
func StartZooKeeper() (*ZooKeeper, error) {
	java, err := exec.LookPath("java")
	if err == nil {
		_, err = os.Stat(zooKeeperJar)
	}
	if err != nil {
		return nil, fmt.Errorf("zookeeper not installed (scripts/deps.sh installs zookeeperd): %w", err)
	}
	dir, err := os.MkdirTemp("", "lapor-zookeeper-")
	if err != nil {
		return nil, fmt.Errorf("make zookeeper dir: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg := fmt.Sprintf("tickTime=2000\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n", dir, port)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write zoo.cfg: %w", err)
	}
	p, err := startProc(java, []string{"-Xmx256m", "-XX:+UseSerialGC", "-cp", zooKeeperJar,
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath}, filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	z := &ZooKeeper{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, proc: p}
	if err := waitUntil(p, time.Minute, "serve", func() error { return serving(z.Addr) }); err != nil {
		p.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "zookeeper.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("zookeeper at %s: %w; log: %s", z.Addr, err, lastLines(log, 10))
	}
	return z, nil
}

// serving asks ZooKeeper whether it serves clients (the four-letter word
// srvr). It opens its port, and answers ruok, before it does: a client
// that connects then is dropped during the handshake, which makes
// ClickHouse 18.16 crash.
func serving(addr string) error {
	c, err := ask(addr, "srvr")
	if err != nil {
		return err
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	if !strings.Contains(string(b), "Mode: standalone") {
		return fmt.Errorf("srvr answered %q", b)
	}
	return nil
}

// Stop ends the server and removes its folder.
func (z *ZooKeeper) Stop() {
	z.proc.stop()
	os.RemoveAll(z.Dir)
}
