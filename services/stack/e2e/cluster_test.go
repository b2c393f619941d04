package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// clusterShards is how many report streams the cluster test spreads the
// services over: more than the masters, as a deployment would have.
const clusterShards = 6

// TestExactCountsOnClusters runs the pipeline on a three-master Redis
// Cluster, with the reports in clusterShards streams, and a ClickHouse
// cluster of two shards, with two ingests and two workers, and moves the
// slot of a busy stream to another master while reports arrive: every
// report an ingest accepted is counted exactly once, each service's
// reports are on one ClickHouse shard, and nothing is left in the streams
// or dead-lettered.
func TestExactCountsOnClusters(t *testing.T) {
	need(t)
	if testing.Short() {
		t.Skip("starts a Redis Cluster and a second stack")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cl, err := testenv.StartRedisCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	ch := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2})
	logs := filepath.Join(t.TempDir(), "logs")
	cs, err := stack.Start(ctx, stack.Options{
		BinDir: binDir, LogDir: logs, RedisAddr: cl.Addrs,
		ClickHouseAddr: strings.Join(ch.Addrs(), ","), ClickHouseCluster: testenv.ClickHouseClusterName,
		Env: map[string][]string{
			"*":        {"LAPOR_LOG_LEVEL=debug", fmt.Sprintf("LAPOR_REPORT_SHARDS=%d", clusterShards)},
			"ingest":   {"LAPOR_TRUSTED_PROXIES=127.0.0.0/8", "LAPOR_REPORTER_SECRET=e2e", "LAPOR_RATE_LIMIT_IP=1000-M", "LAPOR_RATE_LIMIT_NET=100000-M"},
			"worker":   {"LAPOR_FLUSH_INTERVAL=200ms", "LAPOR_CLAIM_INTERVAL=2s", "LAPOR_CLAIM_IDLE=5s"},
			"detector": {"LAPOR_INTERVAL=1s"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cs.Stop(); err != nil {
			t.Errorf("stop the cluster's stack: %v", err)
		}
		if t.Failed() {
			for _, name := range []string{"ingest", "ingest2", "worker", "worker2"} {
				t.Logf("--- %s log (tail)\n%s", name, tail(filepath.Join(logs, name+".log"), 3000))
			}
		}
	}()
	for _, r := range []struct{ name, replica string }{{"ingest", "ingest2"}, {"worker", "worker2"}} {
		if err := cs.StartReplica(ctx, r.name, r.replica, nil); err != nil {
			t.Fatal(err)
		}
	}
	rdb, err := redis.Open(ctx, config.Common{RedisAddr: cl.Addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()

	var list struct {
		Services []serviceInfo `json:"services"`
	}
	getJSON(t, cs.URL("web")+"/api/v1/services", &list)
	svcs := list.Services[:12]
	// The slot to move: that of the stream carrying the first service,
	// moved to another master.
	moved := redis.ReportStream(redis.ShardOf(svcs[0].Slug, clusterShards))
	slot64, err := rdb.ClusterKeySlot(ctx, moved).Result()
	if err != nil {
		t.Fatal(err)
	}
	slot := int(slot64)
	owner, err := cl.SlotOwner(ctx, slot)
	if err != nil {
		t.Fatal(err)
	}
	target := (owner + 1) % len(cl.Nodes)

	// The load: each service gets perService reports from distinct people,
	// at about 200 a second over both ingests, retried on any failure
	// until answered. A retry that finds the report already counted (200:
	// the failed attempt had appended it) counts it once.
	const perService = 150
	type want struct{ svc, sym string }
	var (
		mu       sync.Mutex
		expected = map[want]int{}
		retries  atomic.Int64
		failed   atomic.Value
	)
	ingests := []string{cs.URL("ingest"), cs.URL("ingest2")}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := range jobs {
				s := svcs[n%len(svcs)]
				sym := s.Indicators[n%len(s.Indicators)]
				ip := personIP(1, n)
				code := 0
				for attempt := 0; attempt < 200 && ctx.Err() == nil; attempt++ {
					code = postTo(ingests[(n+w+attempt)%2], s.Slug, sym, ip)
					if code == http.StatusAccepted || code == http.StatusOK && attempt > 0 {
						break
					}
					retries.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
				if code != http.StatusAccepted && code != http.StatusOK {
					failed.Store(fmt.Sprintf("report %d of %s never accepted: last status %d", n, s.Slug, code))
					continue
				}
				mu.Lock()
				expected[want{s.Slug, sym}]++
				mu.Unlock()
			}
		})
	}
	type moveResult struct {
		keys       int
		start, end time.Time
		err        error
	}
	moveDone := make(chan moveResult, 1)
	go func() {
		time.Sleep(4 * time.Second) // well into the load
		// A few keys at a time with a pause: clients meet the slot half
		// moved, and are sent between the nodes with ASK and TRYAGAIN.
		r := moveResult{start: time.Now()}
		r.keys, r.err = cl.MoveSlot(ctx, slot, target, 10, 100*time.Millisecond)
		r.end = time.Now()
		moveDone <- r
	}()
	tick := time.NewTicker(5 * time.Millisecond) // about 200 a second
	for n := range perService * len(svcs) {
		<-tick.C
		jobs <- n
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	loadEnd := time.Now()
	mv := <-moveDone
	if mv.err != nil {
		t.Fatalf("move slot %d: %v", slot, mv.err)
	}
	if mv.keys == 0 || !mv.end.Before(loadEnd) {
		t.Fatalf("the move of %d keys ended %s after the load: it did not happen during it", mv.keys, mv.end.Sub(loadEnd))
	}
	if msg := failed.Load(); msg != nil {
		t.Fatal(msg)
	}
	if got, err := cl.SlotOwner(ctx, slot); err != nil || got != target {
		t.Fatalf("slot %d is on node %d (%v), want %d", slot, got, err, target)
	}
	redirects := cl.Redirects(ctx)
	t.Logf("%d reports, %d retried attempts; slot %d of %s (%d keys) moved from node %d to %d during the load, in %s; redirections answered: %v",
		perService*len(svcs), retries.Load(), slot, moved, mv.keys, owner, target, mv.end.Sub(mv.start).Round(time.Millisecond), redirects)
	if redirects["ASK"]+redirects["TRYAGAIN"] == 0 {
		t.Error("no client was sent away from the slot while it moved (ASK or TRYAGAIN): the move did not meet the load")
	}

	streams, _ := redis.ReportStreams(clusterShards)
	eventually(t, 60*time.Second, "streams drained", func() (bool, string) {
		for _, s := range streams {
			if n, err := rdb.XLen(ctx, s).Result(); err != nil || n != 0 {
				return false, fmt.Sprintf("%s holds %d entries (%v)", s, n, err)
			}
		}
		return true, ""
	})
	for _, s := range streams {
		if n := rdb.XLen(ctx, redis.DeadLetter(s)).Val(); n != 0 {
			t.Errorf("%d reports of %s dead-lettered", n, s)
		}
	}
	conn, err := cs.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	used := map[string]bool{}
	for k, c := range expected {
		used[redis.ReportStream(redis.ShardOf(k.svc, clusterShards))] = true
		var raw, rolled uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM reports WHERE service = ? AND symptom = ?", k.svc, k.sym).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT uniqExactMerge(reports) FROM reports_minute WHERE service = ? AND symptom = ?", k.svc, k.sym).Scan(&rolled); err != nil {
			t.Fatal(err)
		}
		// Raw rows may repeat a report a worker wrote twice (its ack lost
		// in the move); the rollup counts each report once.
		if int(rolled) != c || int(raw) < c {
			t.Errorf("%s/%s: rollup %d, raw rows %d, want %d", k.svc, k.sym, rolled, raw, c)
		}
	}
	if len(used) < 3 {
		t.Errorf("the services used only %d of %d streams", len(used), clusterShards)
	}
	// Each service's reports on exactly one ClickHouse shard, and both
	// shards used.
	shardOf := map[string]int{}
	for i, n := range ch.Nodes {
		one, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: n.Addr, ClickHouseDB: "lapor", ClickHouseUser: "default"})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := one.Query(ctx, "SELECT DISTINCT service FROM reports_local")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var svc string
			if err := rows.Scan(&svc); err != nil {
				t.Fatal(err)
			}
			if prev, ok := shardOf[svc]; ok {
				t.Errorf("%s has reports on shards %d and %d", svc, prev, i+1)
			}
			shardOf[svc] = i + 1
		}
		rows.Close()
		one.Close()
	}
	perShard := map[int]int{}
	for _, s := range svcs {
		perShard[shardOf[s.Slug]]++
	}
	if len(shardOf) != len(svcs) || perShard[1] == 0 || perShard[2] == 0 {
		t.Errorf("services by shard %v, want all %d services over both", perShard, len(svcs))
	}
	t.Logf("ClickHouse: services per shard %v", perShard)
}

// postTo sends one report to the ingest at base as the person at ip, and
// returns the status, or 0 when there was no answer.
func postTo(base, slug, symptom, ip string) int {
	body, _ := json.Marshal(map[string]string{"service": slug, "symptom": symptom, "platform": "web"})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reports", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("User-Agent", "e2e-cluster")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tail is the end of a log file.
func tail(path string, n int) []byte {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b
}
