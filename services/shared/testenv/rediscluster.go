package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/sleep"
)

// RedisCluster is a private Redis Cluster of masters without replicas, on
// free ports and in temporary folders, for tests of Lapor on a cluster.
type RedisCluster struct {
	Nodes []*Redis
	// Addrs are the nodes' addresses, comma-separated as LAPOR_REDIS_ADDR
	// takes them.
	Addrs string
}

// StartRedisCluster starts masters redis-servers in cluster mode, joins
// them with `redis-cli --cluster create` (the slots split evenly) and
// waits until every node says the cluster is ok.
func StartRedisCluster(masters int) (_ *RedisCluster, err error) {
	c := &RedisCluster{}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	var addrs []string
	for range masters {
		dir, err := os.MkdirTemp("", "lapor-redis-cluster-")
		if err != nil {
			return c, fmt.Errorf("make redis dir: %w", err)
		}
		port, err := FreePort()
		if err != nil {
			return c, err
		}
		r := &Redis{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, port: port,
			extra: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"}}
		if err := r.Start(); err != nil {
			os.RemoveAll(dir)
			return c, err
		}
		c.Nodes = append(c.Nodes, r)
		addrs = append(addrs, r.Addr)
	}
	c.Addrs = strings.Join(addrs, ",")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		return c, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, lastLines(out, 10))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range c.Nodes {
		one := goredis.NewClient(&goredis.Options{Addr: r.Addr})
		for {
			info, err := one.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				one.Close()
				return c, fmt.Errorf("redis cluster node %s not ok within 30s: %v %s", r.Addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		one.Close()
	}
	return c, nil
}

// Stop ends every node and removes its folder.
func (c *RedisCluster) Stop() {
	for _, r := range c.Nodes {
		r.Stop()
	}
}

// node is a client of one node and its cluster node ID.
type node struct {
	rdb  *goredis.Client
	id   string
	addr string
}

func (c *RedisCluster) nodes(ctx context.Context) ([]node, error) {
	var out []node
	for _, r := range c.Nodes {
		rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
		id, err := rdb.Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			rdb.Close()
			closeNodes(out)
			return nil, fmt.Errorf("cluster myid of %s: %w", r.Addr, err)
		}
		out = append(out, node{rdb: rdb, id: id, addr: r.Addr})
	}
	return out, nil
}

func closeNodes(ns []node) {
	for _, n := range ns {
		n.rdb.Close()
	}
}

// SlotOwner returns the index in Nodes of the node that serves slot.
func (c *RedisCluster) SlotOwner(ctx context.Context, slot int) (int, error) {
	ns, err := c.nodes(ctx)
	if err != nil {
		return 0, err
	}
	defer closeNodes(ns)
	slots, err := ns[0].rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("cluster slots: %w", err)
	}
	for _, s := range slots {
		if int(s.Start) <= slot && slot <= int(s.End) && len(s.Nodes) > 0 {
			for i, n := range ns {
				if s.Nodes[0].ID == n.id {
					return i, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no node serves slot %d", slot)
}

// MoveSlot moves slot, with its keys, to node to while clients go on using
// it, as `redis-cli --cluster reshard` does for each slot it moves: the
// target imports, the owner migrates, the keys move a few at a time
// (pause between batches, so that clients meet the slot half moved and
// are redirected with ASK or TRYAGAIN), then every node learns the new
// owner. It returns how many keys it moved.
func (c *RedisCluster) MoveSlot(ctx context.Context, slot, to int, batch int, pause time.Duration) (moved int, err error) {
	from, err := c.SlotOwner(ctx, slot)
	if err != nil {
		return 0, err
	}
	if from == to {
		return 0, errors.New("the slot is already on the target node")
	}
	ns, err := c.nodes(ctx)
	if err != nil {
		return moved, err
	}
	defer closeNodes(ns)
	src, dst := ns[from], ns[to]
	if err := dst.rdb.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", src.id).Err(); err != nil {
		return moved, fmt.Errorf("setslot importing: %w", err)
	}
	if err := src.rdb.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst.id).Err(); err != nil {
		return moved, fmt.Errorf("setslot migrating: %w", err)
	}
	host, port, _ := strings.Cut(dst.addr, ":")
	for {
		keys, err := src.rdb.ClusterGetKeysInSlot(ctx, slot, batch).Result()
		if err != nil {
			return moved, fmt.Errorf("getkeysinslot %d: %w", slot, err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 10000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		if err := src.rdb.Do(ctx, args...).Err(); err != nil {
			return moved, fmt.Errorf("migrate %d keys of slot %d: %w", len(keys), slot, err)
		}
		moved += len(keys)
		if err := sleep.For(ctx, pause); err != nil {
			return moved, err
		}
	}
	// The new owner first, then the old, then the rest, as redis-cli does.
	order := []node{dst, src}
	for i, n := range ns {
		if i != from && i != to {
			order = append(order, n)
		}
	}
	for _, n := range order {
		if err := n.rdb.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dst.id).Err(); err != nil {
			return moved, fmt.Errorf("setslot node on %s: %w", n.addr, err)
		}
	}
	return moved, nil
}

// Redirects counts the redirections the nodes have answered since they
// started, by kind (MOVED, ASK, TRYAGAIN), from their error statistics:
// evidence that clients met a slot while it moved.
func (c *RedisCluster) Redirects(ctx context.Context) map[string]int {
	out := map[string]int{}
	for _, r := range c.Nodes {
		one := goredis.NewClient(&goredis.Options{Addr: r.Addr})
		info, err := one.Info(ctx, "errorstats").Result()
		one.Close()
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(info, "\n") {
			// errorstat_ASK:count=12
			kind, rest, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "errorstat_")), ":count=")
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(rest); err == nil {
				switch kind {
				case "MOVED", "ASK", "TRYAGAIN":
					out[kind] += n
				}
			}
		}
	}
	return out
}
