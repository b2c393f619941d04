package redis_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

const (
	leaseKey = "test:lease"
	stateKey = "test:state"
)

func publication(t *testing.T, id string) redis.Publication {
	t.Helper()
	ev := lapor.AlertEvent{ID: id, Kind: lapor.AlertOpened, Service: "gojek", Level: "possible", At: time.Unix(1700000000, 0).UTC()}
	p, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return redis.Publication{ID: id, Payload: p}
}

func TestPublishTakesEachIDOnce(t *testing.T) {
	ctx, rdb, l := emptyLog(t)
	if err := rdb.Set(ctx, leaseKey, "me", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	fence := redis.Fence{Key: leaseKey, Holder: "me"}
	steps := []struct {
		name      string
		ids       []string
		state     map[string]string
		wantNew   []bool
		wantLog   []string // event IDs in the log after the step
		wantState map[string]string
	}{
		{"first publication", []string{"a", "b"}, map[string]string{"inc-1": "v1"},
			[]bool{true, true}, []string{"a", "b"}, map[string]string{"inc-1": "v1"}},
		{"the same batch again", []string{"a", "b"}, map[string]string{"inc-1": "v1"},
			[]bool{false, false}, []string{"a", "b"}, map[string]string{"inc-1": "v1"}},
		{"one old, one new, a newer state", []string{"b", "c"}, map[string]string{"inc-1": "v2", "inc-2": "v1"},
			[]bool{false, true}, []string{"a", "b", "c"}, map[string]string{"inc-1": "v2", "inc-2": "v1"}},
		{"a state alone", nil, map[string]string{"inc-2": "v2"},
			[]bool{}, []string{"a", "b", "c"}, map[string]string{"inc-1": "v2", "inc-2": "v2"}},
	}
	cursors := map[string]string{}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			b := redis.AlertBatch{Fence: fence, StateKey: stateKey, State: st.state}
			for _, id := range st.ids {
				b.Events = append(b.Events, publication(t, id))
			}
			res, err := l.Publish(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(st.ids) {
				t.Fatalf("Publish returned %d results for %d events", len(res), len(st.ids))
			}
			for i, r := range res {
				if r.New != st.wantNew[i] {
					t.Errorf("event %s: new = %v, want %v", st.ids[i], r.New, st.wantNew[i])
				}
				if c, seen := cursors[st.ids[i]]; seen && c != r.Cursor {
					t.Errorf("event %s: cursor %s, want the first publication's %s", st.ids[i], r.Cursor, c)
				}
				cursors[st.ids[i]] = r.Cursor
			}
			es, err := l.After(ctx, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Event.ID)
				if cursors[e.Event.ID] != e.Cursor {
					t.Errorf("event %s is at %s, Publish said %s", e.Event.ID, e.Cursor, cursors[e.Event.ID])
				}
			}
			if !reflect.DeepEqual(got, st.wantLog) {
				t.Errorf("log = %v, want %v", got, st.wantLog)
			}
			if state := rdb.HGetAll(ctx, stateKey).Val(); !reflect.DeepEqual(state, st.wantState) {
				t.Errorf("state = %v, want %v", state, st.wantState)
			}
		})
	}
	// The log forgets IDs after a while, so the markers do not pile up.
	if ttl := rdb.PTTL(ctx, redis.InSlot(redis.Alerts, "id:a")).Val(); ttl <= redis.AlertIDKeep-time.Minute || ttl > redis.AlertIDKeep {
		t.Errorf("an ID is remembered for %s, want %s", ttl, redis.AlertIDKeep)
	}
}

func TestPublishWritesNothingItCannotWriteWhole(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, c testCtx)
		wantErr func(error) bool
	}{
		{"no lease", func(t *testing.T, c testCtx) {}, isFenced},
		{"another holds the lease", func(t *testing.T, c testCtx) {
			if err := c.rdb.Set(c.ctx, leaseKey, "them", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}, isFenced},
		{"the log is not a stream", func(t *testing.T, c testCtx) {
			c.hold(t)
			if err := c.rdb.Set(c.ctx, redis.Alerts, "in the way", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}, isOther},
		{"the state is not a hash", func(t *testing.T, c testCtx) {
			c.hold(t)
			if err := c.rdb.Set(c.ctx, stateKey, "in the way", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}, isOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, rdb, l := emptyLog(t)
			c := testCtx{ctx: ctx, rdb: rdb}
			tt.setup(t, c)
			_, err := l.Publish(ctx, redis.AlertBatch{
				Fence:    redis.Fence{Key: leaseKey, Holder: "me"},
				Events:   []redis.Publication{publication(t, "a")},
				StateKey: stateKey,
				State:    map[string]string{"inc-1": "v1"},
			})
			if !tt.wantErr(err) {
				t.Fatalf("Publish = %v", err)
			}
			if n := rdb.XLen(ctx, redis.Alerts).Val(); n != 0 {
				t.Errorf("log holds %d entries, want none", n)
			}
			if v := rdb.HGet(ctx, stateKey, "inc-1").Val(); v != "" {
				t.Errorf("state set to %q, want untouched", v)
			}
			if keys := rdb.Keys(ctx, "{"+redis.Alerts+"}:id:*").Val(); len(keys) != 0 {
				t.Errorf("markers %v set, want none", keys)
			}
		})
	}
}

// testCtx is a test's Redis.
type testCtx struct {
	ctx context.Context
	rdb *goredis.Client
}

// hold gives the publisher "me" the lease.
func (c testCtx) hold(t *testing.T) {
	t.Helper()
	if err := c.rdb.Set(c.ctx, leaseKey, "me", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
}

func isFenced(err error) bool { return errors.Is(err, redis.ErrFenced) }
func isOther(err error) bool  { return err != nil && !errors.Is(err, redis.ErrFenced) }
