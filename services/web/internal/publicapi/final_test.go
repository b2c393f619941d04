package publicapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/web/internal/webtest"
)

// TestSeriesSaysWhichBucketsAreFinal checks that buckets ending more than
// a settling time ago are final and the newer ones are not, that a report
// still waiting to be written holds finality back to when it came in, and
// that without Redis to ask nothing is called final.
func TestSeriesSaysWhichBucketsAreFinal(t *testing.T) {
	rdb := webtest.Env.RedisClient(t)
	ctx := t.Context()
	if err := rdb.Del(ctx, redis.Reports).Err(); err != nil {
		t.Fatal(err)
	}
	withRedis := func(o *Options) { o.Backlog = redis.NewBacklog(rdb, nil) }
	from := testNow.Truncate(time.Hour).Add(-2 * time.Hour) // 10:00; now is 12:07:30
	q := "/api/v1/services/whatsapp/series?step=15m&from=" + from.Format(time.RFC3339)
	finals := func(t *testing.T, f *fixture) (string, []bool) {
		t.Helper()
		rec := f.get(t, q)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var s struct {
			FinalUntil *string `json:"final_until"`
			Points     []struct {
				Final bool `json:"final"`
			} `json:"points"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		out := make([]bool, len(s.Points))
		for i, p := range s.Points {
			out[i] = p.Final
		}
		if s.FinalUntil == nil {
			return "null", out
		}
		return *s.FinalUntil, out
	}
	// Buckets 10:00 … 12:00: those ending by 12:05:30 are final.
	all := []bool{true, true, true, true, true, true, true, true, false}

	t.Run("nothing waiting: all but the newest read.Settle", func(t *testing.T) {
		until, got := finals(t, newFixture(t, withRedis))
		if until != "2025-03-10T12:05:30Z" || !slices.Equal(got, all) {
			t.Errorf("final until %s, buckets %v; want 12:05:30 and %v", until, got, all)
		}
	})
	t.Run("a report waiting since 11:20 holds it back", func(t *testing.T) {
		id := strconv.FormatInt(testNow.Add(-47*time.Minute-30*time.Second).UnixMilli(), 10) + "-0"
		if err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: redis.Reports, ID: id, Values: []any{redis.ReportField, "x"}}).Err(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Del(ctx, redis.Reports) })
		until, got := finals(t, newFixture(t, withRedis))
		want := []bool{true, true, true, true, true, false, false, false, false} // up to 11:15
		if until != "2025-03-10T11:18:00Z" || !slices.Equal(got, want) {
			t.Errorf("final until %s, buckets %v; want 11:18:00 and %v", until, got, want)
		}
	})
	t.Run("Redis unreachable: nothing is final", func(t *testing.T) {
		dead := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
		t.Cleanup(func() { dead.Close() })
		until, got := finals(t, newFixture(t, func(o *Options) { o.Backlog = redis.NewBacklog(dead, nil) }))
		if until != "null" || !slices.Equal(got, make([]bool, len(all))) {
			t.Errorf("final until %s, buckets %v; want null and none final", until, got)
		}
	})
}
