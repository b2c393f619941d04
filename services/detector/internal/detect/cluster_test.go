package detect_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
)

// clusterHistory is weeks of reports for 30 services around the slots
// their baselines look at, their last hour, and an outage of five of them
// in the previous and the current minute before now.
func clusterHistory() []lapor.Report {
	from := now.Truncate(time.Minute)
	var rs []lapor.Report
	minutes := func(svc string, start time.Time, n, size int) {
		for k := range n {
			m := start.Add(time.Duration(k) * time.Minute)
			c := size + k%3
			rs = append(rs, burst(svc, c, c, m, 50*time.Second, []string{"login", "app"}, []string{"ID", "MY", ""})...)
		}
	}
	for i := range 30 {
		svc := fmt.Sprintf("svc%02d", i)
		size := 2 + i%9
		var backs []time.Duration
		for k := 1; k <= 4; k++ {
			backs = append(backs, time.Duration(k)*baseline.Week)
		}
		for k := 1; k <= 7; k++ {
			backs = append(backs, time.Duration(k)*24*time.Hour)
		}
		for _, back := range backs {
			minutes(svc, from.Add(-back-2*time.Minute), 5, size)
		}
		minutes(svc, from.Add(-time.Hour), 60, size)
	}
	for i := range 5 {
		svc := fmt.Sprintf("svc%02d", i*6)
		rs = append(rs, burst(svc, 60, 50, from.Add(-time.Minute), 50*time.Second, []string{"payments", "payments", "login"}, []string{"ID", "ID", "SG"})...)
		rs = append(rs, burst(svc, 40, 40, from, 25*time.Second, []string{"payments"}, []string{"ID"})...)
	}
	return rs
}

// TestClusterReadsSameCounts writes the same reports, a retried batch
// included, to a cluster of two shards and to a single node, and checks
// that every read the detector makes of the rollup gives the same counts
// on both, and that its cycles then open, store and announce the same
// incidents and store the same expectations (read back through FINAL and
// a subquery over the Distributed tables).
func TestClusterReadsSameCounts(t *testing.T) {
	one := setup(t)
	c := testenv.OwnClickHouseCluster(t, testenv.ClickHouseClusterOptions{Shards: 2})
	ctx := testenv.Ctx(t)
	conn, err := clickhouse.Open(ctx, c.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	cl := stores{conn: conn, rdb: env.RedisClient(t)}

	rs := clusterHistory()
	const batch = 5000
	for _, s := range []stores{one, cl} {
		for i := 0; i < len(rs); i += batch {
			s.insert(t, rs[i:min(i+batch, len(rs))])
		}
		s.insert(t, rs[:batch]) // a retried batch
	}

	dOne, dCl := one.detector(t), cl.detector(t)
	from := now.Truncate(time.Minute)
	prev := from.Add(-time.Minute)
	same := func(what string, got, want any, err1, err2 error) {
		t.Helper()
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: cluster: %v; one node: %v", what, err1, err2)
		}
		if reflect.ValueOf(want).Len() == 0 {
			t.Fatalf("%s: one node read nothing", what)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s on the cluster differs from one node's:\n got %v\nwant %v", what, got, want)
		}
	}
	rc, err1 := dCl.Recent(ctx, prev, from)
	ro, err2 := dOne.Recent(ctx, prev, from)
	same("recent reporters", rc, ro, err1, err2)
	if len(ro) != 30 || ro["svc00"] != [2]uint64{50, 40} {
		t.Errorf("recent reporters on one node: %d services, svc00 %v; want 30, [50 40]", len(ro), ro["svc00"])
	}
	hc, err1 := dCl.History(ctx, prev, from)
	ho, err2 := dOne.History(ctx, prev, from)
	same("history", hc, ho, err1, err2)
	fc, err1 := dCl.FirstSeen(ctx, from.Add(-5*baseline.Week))
	fo, err2 := dOne.FirstSeen(ctx, from.Add(-5*baseline.Week))
	same("first seen", fc, fo, err1, err2)
	since := map[string]time.Time{}
	for i := range 30 {
		since[fmt.Sprintf("svc%02d", i)] = prev
	}
	bc, err1 := dCl.Breakdowns(ctx, since)
	bo, err2 := dOne.Breakdowns(ctx, since)
	same("breakdowns", bc, bo, err1, err2)
	lc, err1 := dCl.Levels(ctx, prev, true)
	lo, err2 := dOne.Levels(ctx, prev, true)
	same("recent levels", lc, lo, err1, err2)

	// Two cycles: the second writes the open incidents again with higher
	// versions, which FINAL must fold through the Distributed table.
	for _, at := range []time.Time{now, now.Add(time.Minute)} {
		cycle(t, dCl, at)
		cycle(t, dOne, at)
	}
	all := clickhouse.IncidentFilter{Limit: 1000}
	ic, io := cl.incidents(t, all), one.incidents(t, all)
	for _, incs := range [][]lapor.Incident{ic, io} {
		for i := range incs {
			incs[i].Version = 0 // from the clock
		}
	}
	same("incidents", ic, io, nil, nil)
	if len(io) != 5 {
		t.Errorf("one node has %d incidents, want the 5 outages'", len(io))
	}
	same("alert stream", kinds(cl.events(t)), kinds(one.events(t)), nil, nil)
	same("alert_events", cl.archived(t), one.archived(t), nil, nil)
	ec, err1 := clickhouse.LatestExpectations(ctx, cl.conn, from.Add(-time.Hour))
	eo, err2 := clickhouse.LatestExpectations(ctx, one.conn, from.Add(-time.Hour))
	same("latest expectations", ec, eo, err1, err2)
}
