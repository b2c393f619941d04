package redis_test

import (
	"strconv"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestAckTakesLargeBatches checks that Ack acknowledges and deletes every
// entry of a batch larger than one acknowledging transaction, and any
// number below it.
func TestAckTakesLargeBatches(t *testing.T) {
	testenv.Need(t, env)
	rdb := env.RedisClient(t)
	ctx := testenv.Ctx(t)
	for _, n := range []int{1, 9999, 10000, 25001} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			stream := "ack-test-" + strconv.Itoa(n)
			g, err := redis.NewReportGroup(rdb, redis.GroupConfig{Stream: stream, Consumer: "c1"})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.CreateGroup(ctx); err != nil {
				t.Fatal(err)
			}
			p := rdb.Pipeline()
			for i := range n {
				p.XAdd(ctx, &goredis.XAddArgs{Stream: stream, Values: []any{redis.ReportField, strconv.Itoa(i)}})
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			entries, err := g.Read(ctx, ">", n, -1)
			if err != nil || len(entries) != n {
				t.Fatalf("read %d entries, err %v; want %d", len(entries), err, n)
			}
			ids := make([]string, len(entries))
			for i, e := range entries {
				ids[i] = e.ID
			}
			if err := g.Ack(ctx, ids); err != nil {
				t.Fatal(err)
			}
			if l := rdb.XLen(ctx, stream).Val(); l != 0 {
				t.Errorf("XLEN after Ack = %d, want 0", l)
			}
			if pend := rdb.XPending(ctx, stream, redis.ReportsGroup).Val(); pend.Count != 0 {
				t.Errorf("pending after Ack = %d, want 0", pend.Count)
			}
		})
	}
}
