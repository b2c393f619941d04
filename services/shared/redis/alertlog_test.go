package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

func appendN(t *testing.T, ctx context.Context, l *redis.AlertLog, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		ev := lapor.AlertEvent{ID: string(rune('a' + i)), Kind: lapor.AlertOpened, Service: "x", Level: "possible", At: time.Unix(int64(i), 0).UTC()}
		p, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		id, err := l.Append(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// emptyLog is a log over an emptied Redis.
func emptyLog(t *testing.T) (context.Context, *goredis.Client, *redis.AlertLog) {
	t.Helper()
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	rdb := env.RedisClient(t)
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return ctx, rdb, redis.NewAlertLog(rdb)
}

func TestLogReadsInOrderFromCursor(t *testing.T) {
	ctx, _, l := emptyLog(t)
	if last, err := l.Last(ctx); err != nil || last != "" {
		t.Fatalf("Last on empty log = %q, %v", last, err)
	}
	if es, err := l.After(ctx, "", 10); err != nil || len(es) != 0 {
		t.Fatalf("After on empty log = %v, %v", es, err)
	}
	ids := appendN(t, ctx, l, 5)
	tests := []struct {
		name   string
		cursor string
		n      int64
		want   []string
	}{
		{"from the beginning", "", 10, []string{"a", "b", "c", "d", "e"}},
		{"zero is the beginning", "0", 2, []string{"a", "b"}},
		{"after a cursor", ids[1], 10, []string{"c", "d", "e"}},
		{"after the last", ids[4], 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := l.After(ctx, tt.cursor, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Event.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	if last, _ := l.Last(ctx); last != ids[4] {
		t.Errorf("Last = %q, want %q", last, ids[4])
	}
	if _, err := l.After(ctx, "12; DROP", 1); err == nil {
		t.Error("a malformed cursor was accepted")
	}
}

func TestLogWaitBlocksUntilAnEvent(t *testing.T) {
	ctx, _, l := emptyLog(t)
	ids := appendN(t, ctx, l, 1)
	if es, err := l.Wait(ctx, ids[0], 10, 50*time.Millisecond); err != nil || len(es) != 0 {
		t.Fatalf("quiet Wait = %v, %v", es, err)
	}
	got := make(chan []redis.AlertEntry, 1)
	go func() {
		es, err := l.Wait(ctx, ids[0], 10, 5*time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- es
	}()
	time.Sleep(100 * time.Millisecond)
	more := appendN(t, ctx, l, 1)
	es := <-got
	if len(es) != 1 || es[0].Cursor != more[0] {
		t.Fatalf("Wait returned %v, want the entry %s", es, more[0])
	}
}

func TestLogSaysWhenACursorFellOffTheEnd(t *testing.T) {
	ctx, rdb, l := emptyLog(t)
	ids := appendN(t, ctx, l, 5)
	if err := rdb.XTrimMaxLen(ctx, redis.Alerts, 2).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.After(ctx, ids[0], 10); !errors.Is(err, redis.ErrCursorExpired) {
		t.Errorf("After a trimmed cursor: err = %v, want ErrCursorExpired", err)
	}
	es, err := l.After(ctx, ids[3], 10)
	if err != nil || len(es) != 1 {
		t.Errorf("After the first kept entry = %d entries, %v; want 1", len(es), err)
	}
	if es, err := l.After(ctx, "", 10); err != nil || len(es) != 2 {
		t.Errorf("After the beginning = %d entries, %v; want the 2 kept", len(es), err)
	}
}

func TestLogRefusesACursorPastItsEnd(t *testing.T) {
	ctx, rdb, l := emptyLog(t)
	// A log that has never held an entry: only the beginning is valid.
	for _, tt := range []struct {
		cursor string
		want   error
	}{
		{"", nil},
		{"0", nil},
		{"0-0", nil},
		{"0-1", redis.ErrCursorAhead},
		{"99999999999999-0", redis.ErrCursorAhead},
	} {
		t.Run("never written/"+tt.cursor, func(t *testing.T) {
			if es, err := l.After(ctx, tt.cursor, 10); !errors.Is(err, tt.want) || len(es) != 0 {
				t.Errorf("After(%q) = %d entries, %v; want %v", tt.cursor, len(es), err, tt.want)
			}
		})
	}

	ids := appendN(t, ctx, l, 3)
	last := ids[2]
	ms, seq, _ := strings.Cut(last, "-")
	n, _ := strconv.ParseUint(seq, 10, 64)
	justAfter := fmt.Sprintf("%s-%d", ms, n+1)
	for _, tt := range []struct {
		name, cursor string
		want         error
		entries      int
	}{
		{"the newest entry", last, nil, 0},
		{"an older entry", ids[0], nil, 2},
		{"right after the newest", justAfter, redis.ErrCursorAhead, 0},
		{"far in the future", "99999999999999-0", redis.ErrCursorAhead, 0},
		{"largest possible", "18446744073709551615-18446744073709551615", redis.ErrCursorAhead, 0},
	} {
		t.Run("written/"+tt.name, func(t *testing.T) {
			es, err := l.After(ctx, tt.cursor, 10)
			if !errors.Is(err, tt.want) || len(es) != tt.entries {
				t.Errorf("After(%q) = %d entries, %v; want %d, %v", tt.cursor, len(es), err, tt.entries, tt.want)
			}
		})
	}
	// Wait says so at once rather than blocking until the log catches up.
	start := time.Now()
	if _, err := l.Wait(ctx, "99999999999999-0", 10, 5*time.Second); !errors.Is(err, redis.ErrCursorAhead) || time.Since(start) > 2*time.Second {
		t.Errorf("Wait past the end = %v after %v, want ErrCursorAhead at once", err, time.Since(start))
	}

	// Trimmed to nothing, the log still knows its newest id: a reader
	// that had it is up to date, an older one lost events.
	if err := rdb.XTrimMaxLen(ctx, redis.Alerts, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, cursor string
		want         error
	}{
		{"the newest id", last, nil},
		{"an older id", ids[0], redis.ErrCursorExpired},
		{"past the newest id", justAfter, redis.ErrCursorAhead},
		{"the beginning", "", nil},
	} {
		t.Run("trimmed to nothing/"+tt.name, func(t *testing.T) {
			if es, err := l.After(ctx, tt.cursor, 10); !errors.Is(err, tt.want) || len(es) != 0 {
				t.Errorf("After(%q) = %d entries, %v; want %v", tt.cursor, len(es), err, tt.want)
			}
		})
	}
}

func TestValidCursor(t *testing.T) {
	tests := []struct {
		cursor string
		want   bool
	}{
		{"", true},
		{"0", true},
		{"0-0", true},
		{"1700000000000-3", true},
		{"18446744073709551615-18446744073709551615", true},
		{"18446744073709551616-0", false}, // past 64 bits: Redis would refuse it
		{"1-99999999999999999999", false},
		{"1", false},
		{"1-", false},
		{"-1", false},
		{"+1-0", false},
		{" 1-0", false},
		{"1-0-0", false},
		{"12; DROP", false},
	}
	for _, tt := range tests {
		t.Run(tt.cursor, func(t *testing.T) {
			if got := redis.ValidCursor(tt.cursor); got != tt.want {
				t.Errorf("ValidCursor(%q) = %v, want %v", tt.cursor, got, tt.want)
			}
		})
	}
}

func TestCursorBefore(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "0-1", true},
		{"0", "0-1", true},
		{"", "", false},
		{"0-0", "", false},
		{"5-0", "5-1", true},
		{"5-1", "5-0", false},
		{"5-9", "10-0", true}, // numeric, not by text
		{"10-0", "9-99", false},
		{"7-7", "7-7", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"<"+tt.b, func(t *testing.T) {
			if got := redis.CursorBefore(tt.a, tt.b); got != tt.want {
				t.Errorf("CursorBefore(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
