package partner_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// runHub starts a hub over an emptied Redis that holds evs (their
// cursors are returned); cancel stops it.
func runHub(t *testing.T, o partner.HubOptions, evs ...lapor.AlertEvent) (context.Context, *goredis.Client, *redis.AlertLog, *partner.Hub, context.CancelFunc, []string) {
	t.Helper()
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	rdb := env.RedisClient(t)
	log := redis.NewAlertLog(rdb)
	old := appendEvents(t, ctx, log, evs...)
	h := partner.NewHub(log, logging.Discard(), o)
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		h.Run(hctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ctx, rdb, log, h, cancel, old
}

func appendEvents(t *testing.T, ctx context.Context, l *redis.AlertLog, evs ...lapor.AlertEvent) []string {
	t.Helper()
	var ids []string
	for _, ev := range evs {
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

// receive reads n entries off s, failing after d.
func receive(t *testing.T, s *partner.Subscription, n int, d time.Duration) []string {
	t.Helper()
	var got []string
	timeout := time.After(d)
	for len(got) < n {
		select {
		case es, ok := <-s.Entries():
			if !ok {
				t.Fatalf("subscription closed (%v) after %v", s.Err(), got)
			}
			for _, e := range es {
				got = append(got, e.Cursor)
			}
		case <-timeout:
			t.Fatalf("got %v within %s, want %d entries", got, d, n)
		}
	}
	return got
}

func TestHubHandsEachEntryToEverySubscriber(t *testing.T) {
	ctx, _, l, h, _, old := runHub(t, partner.HubOptions{Block: 200 * time.Millisecond}, event(0))
	a, posA, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The hub starts at the end of the log: what is already there is the
	// subscriber's to read.
	if posA != old[0] {
		t.Errorf("position %q, want the newest entry %q", posA, old[0])
	}
	first := appendEvents(t, ctx, l, event(1), event(2))
	if got := receive(t, a, 2, 5*time.Second); !slices.Equal(got, first) {
		t.Errorf("first subscriber got %v, want %v", got, first)
	}
	b, posB, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if posB != first[1] {
		t.Errorf("second position %q, want %q", posB, first[1])
	}
	more := appendEvents(t, ctx, l, event(3))
	for name, s := range map[string]*partner.Subscription{"first": a, "second": b} {
		if got := receive(t, s, 1, 5*time.Second); !slices.Equal(got, more) {
			t.Errorf("%s subscriber got %v, want %v", name, got, more)
		}
	}
	if n := h.Subscribers(); n != 2 {
		t.Errorf("%d subscribers, want 2", n)
	}
	a.Close()
	if n := h.Subscribers(); n != 1 {
		t.Errorf("%d subscribers after one closed, want 1", n)
	}
}

func TestHubDropsASlowSubscriberOnly(t *testing.T) {
	ctx, _, l, h, _, _ := runHub(t, partner.HubOptions{Block: 200 * time.Millisecond, Buffer: 2})
	fast, _, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	slow, _, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// One entry at a time, so that each is a batch of its own.
	var want []string
	for i := range 4 {
		want = append(want, appendEvents(t, ctx, l, event(i))...)
		receive(t, fast, 1, 5*time.Second)
	}
	// The slow one keeps what fitted in its buffer, then is let go.
	var got []string
	for es := range slow.Entries() {
		for _, e := range es {
			got = append(got, e.Cursor)
		}
	}
	if !slices.Equal(got, want[:2]) || !errors.Is(slow.Err(), partner.ErrStreamTooSlow) {
		t.Errorf("slow subscriber got %v then %v, want %v then ErrStreamTooSlow", got, slow.Err(), want[:2])
	}
	more := appendEvents(t, ctx, l, event(4))
	if got := receive(t, fast, 1, 5*time.Second); !slices.Equal(got, more) {
		t.Errorf("fast subscriber got %v, want %v", got, more)
	}
}

func TestHubLetsGoWhenTheLogIsRecreated(t *testing.T) {
	ctx, rdb, l, h, _, _ := runHub(t, partner.HubOptions{Block: 100 * time.Millisecond}, event(0))
	s, _, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The hub's cursor is now past the end of a log that is gone.
	if err := rdb.Del(ctx, redis.Alerts).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-s.Entries():
		if ok || s.Err() == nil || errors.Is(s.Err(), partner.ErrStreamTooSlow) || errors.Is(s.Err(), partner.ErrHubStopped) {
			t.Fatalf("subscription got an entry or ended with %v, want it let go for the reset", s.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hub kept its subscriber over a recreated log")
	}
	// It carries on over the new log.
	again, pos, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if pos != "" {
		t.Errorf("position %q over an empty log, want none", pos)
	}
	more := appendEvents(t, ctx, l, event(1))
	if got := receive(t, again, 1, 5*time.Second); !slices.Equal(got, more) {
		t.Errorf("got %v, want %v", got, more)
	}
}

func TestHubStopsWithItsContext(t *testing.T) {
	ctx, _, _, h, cancel, _ := runHub(t, partner.HubOptions{Block: 2 * time.Second})
	s, _, err := h.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(100 * time.Millisecond) // the hub is inside its blocking read
	cancel()
	select {
	case _, ok := <-s.Entries():
		if ok || !errors.Is(s.Err(), partner.ErrHubStopped) {
			t.Fatalf("subscription ended with %v, want ErrHubStopped", s.Err())
		}
	case <-time.After(time.Second):
		t.Fatal("subscribers were kept until the blocking read returned")
	}
	if _, _, err := h.Subscribe(ctx); !errors.Is(err, partner.ErrHubStopped) {
		t.Errorf("Subscribe after stop = %v, want ErrHubStopped", err)
	}
}
