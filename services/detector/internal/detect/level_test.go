package detect

import (
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/spike"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	s := span{at(-4), at(0)}
	counts := []float64{0, 40, 41, 0} // the span's buckets, oldest first
	tests := []struct {
		name   string
		counts []float64
		first  time.Time
		want   []float64
	}{
		{"all of it", counts, at(-60), []float64{0, 40, 41, 0}},
		{"nobody reported: zeros", nil, at(-60), []float64{0, 0, 0, 0}},
		{"nothing before the history starts", counts, at(-3), []float64{40, 41, 0}},
		{"nobody reported since the history started", nil, at(-2), []float64{0, 0}},
		{"history starting at the window's end has nothing", counts, at(0), []float64{}},
		{"a history start inside a bucket skips that bucket", counts, at(-3).Add(time.Second), []float64{41, 0}},
		{"a history start on the window's start keeps it all", counts, at(-4), []float64{0, 40, 41, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := window(tt.counts, s, tt.first, time.Minute)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("window = %v, want %v", got, tt.want)
			}
			if n := bucketsFrom(s, tt.first, time.Minute); n != len(tt.want) {
				t.Fatalf("bucketsFrom = %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestLevelSpan(t *testing.T) {
	prev := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return prev.Add(-time.Duration(m) * time.Minute) }
	tests := []struct {
		name    string
		first   time.Time     // zero: unknown
		started time.Duration // incident start before prev, 0 for none
		want    span
	}{
		{"no incident: the hour before the previous bucket", ago(600), 0, span{ago(60), prev}},
		{"an incident freezes the window before its first bucket", ago(600), 30 * time.Minute, span{ago(91), ago(31)}},
		{"an incident opened on enough history freezes", ago(41), 30 * time.Minute, span{ago(91), ago(31)}},
		{"an incident opened on too little history does not", ago(40), 30 * time.Minute, span{ago(60), prev}},
		{"an incident of an unknown service does not", time.Time{}, 30 * time.Minute, span{ago(60), prev}},
		{"an incident opened in this bucket changes nothing", ago(600), -time.Minute, span{ago(60), prev}},
		{"an incident open for FreezeFor thaws", ago(2000), 12 * time.Hour, span{ago(60), prev}},
		{"an incident open for a little less is still frozen", ago(2000), 12*time.Hour - time.Minute, span{ago(780), ago(720)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(nil, unusedRedis, logging.Discard(), DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			d.first = map[string]time.Time{}
			if !tt.first.IsZero() {
				d.first["svc"] = tt.first
			}
			if tt.started != 0 {
				d.tracker.Restore("svc", spike.Incident{Level: spike.LevelDetected, StartedAt: prev.Add(-tt.started), Peak: 400})
			}
			if got := d.levelSpan("svc", prev); got != tt.want {
				t.Fatalf("levelSpan = [%s, %s), want [%s, %s)", got.from.Format(time.TimeOnly), got.to.Format(time.TimeOnly),
					tt.want.from.Format(time.TimeOnly), tt.want.to.Format(time.TimeOnly))
			}
		})
	}
}

func TestConfigValidateRecentWindow(t *testing.T) {
	tests := []struct {
		name   string
		bucket time.Duration
		window time.Duration
		ok     bool
	}{
		{"defaults", time.Minute, time.Hour, true},
		{"exactly min-recent buckets", time.Minute, 10 * time.Minute, true},
		{"fewer than min-recent buckets", time.Minute, 9 * time.Minute, false},
		{"long buckets need a longer window", 15 * time.Minute, time.Hour, false},
		{"a partial bucket does not count", 8 * time.Minute, 79 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Bucket, c.RecentWindow = tt.bucket, tt.window
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// unusedRedis is a client that these tests never use: New needs one for
// its lease, which only Run takes.
var unusedRedis = goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
