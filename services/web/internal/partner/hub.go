package partner

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/sleep"
)

// Defaults of HubOptions.
const (
	// DefaultHubBlock is how long one read of the alert log waits for a
	// new entry. It does not delay events (the read returns as soon as one
	// is appended); it only sets how often a quiet hub asks again.
	DefaultHubBlock = 5 * time.Second
	// DefaultStreamBuffer is how many batches of entries a subscriber may
	// have waiting before the hub drops it. Alerts are rare and a batch
	// usually holds one, so only a client that has stopped reading for a
	// long while gets this far behind.
	DefaultStreamBuffer = 64
	// hubBatch is the most entries one read of the log returns.
	hubBatch = 100
	// hubRetry is the wait after a failed read of the log.
	hubRetry = time.Second
)

// Why the hub let go of a subscriber (Subscription.Err).
var (
	// ErrStreamTooSlow says that the subscriber left its buffer full: the
	// hub does not wait for anyone, so the stream ends and its client
	// resumes after its Last-Event-ID, losing nothing.
	ErrStreamTooSlow = errors.New("event stream fell too far behind the alert log")
	// ErrHubStopped says that the hub has ended (the server shuts down).
	ErrHubStopped = errors.New("alert stream hub stopped")
	// errHubReset says that the log was trimmed past the hub or recreated
	// under it, so the hub cannot vouch for what it hands out next; each
	// stream resumes from its own cursor, which tells the truth.
	errHubReset = errors.New("alert log moved under the stream hub")
)

// HubOptions tune a Hub; zero values take the defaults.
type HubOptions struct {
	Block  time.Duration // one read's wait; DefaultHubBlock
	Buffer int           // batches a subscriber may lag by; DefaultStreamBuffer
}

// Hub follows the alert log with one reader per web process and hands
// every entry to each event stream subscribed to it. Streams therefore
// hold no Redis connection while they wait: when each did, a hundred of
// them emptied the pool that the rest of the API needs.
//
// A slow subscriber never holds the hub up: each has a bounded buffer,
// and one that lets it fill is dropped (ErrStreamTooSlow).
type Hub struct {
	alerts *redis.AlertLog
	log    *slog.Logger
	o      HubOptions

	ready    chan struct{} // closed once the hub knows where the log ends
	done     chan struct{} // closed when the hub has stopped
	stopOnce sync.Once

	mu      sync.Mutex
	pos     string // cursor of the newest entry handed out; "" for none
	subs    map[*Subscription]struct{}
	stopped bool
}

// NewHub returns a hub over the alert log; it does nothing until Run.
func NewHub(alerts *redis.AlertLog, log *slog.Logger, o HubOptions) *Hub {
	if o.Block <= 0 {
		o.Block = DefaultHubBlock
	}
	if o.Buffer <= 0 {
		o.Buffer = DefaultStreamBuffer
	}
	return &Hub{
		alerts: alerts, log: log, o: o,
		ready: make(chan struct{}), done: make(chan struct{}),
		subs: map[*Subscription]struct{}{},
	}
}

// Subscription is one subscriber's feed from a Hub.
type Subscription struct {
	h   *Hub
	c   chan []redis.AlertEntry
	err error // why the hub let go; written before c is closed
}

// Entries delivers batches of entries in log order. It is closed when the
// hub lets go of the subscriber; Err then says why. A batch is shared by
// every subscriber: read it, never change it.
func (s *Subscription) Entries() <-chan []redis.AlertEntry { return s.c }

// Err says why Entries was closed; read it only after that.
func (s *Subscription) Err() error { return s.err }

// Close unsubscribes; the subscriber must call it when it is done.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
}

// Subscribe adds a subscriber and returns it with the hub's position:
// every entry after that cursor reaches the subscriber in order, while
// the entries up to it ("" meaning none) are the caller's to read from
// the log. The feeds may overlap, never leave a gap: a caller merging
// them keeps only entries after the last it delivered. Subscribe waits
// for a hub that is still finding the end of the log, up to ctx.
func (h *Hub) Subscribe(ctx context.Context) (*Subscription, string, error) {
	select {
	case <-h.ready:
	case <-h.done:
		return nil, "", ErrHubStopped
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, "", ErrHubStopped
	}
	s := &Subscription{h: h, c: make(chan []redis.AlertEntry, h.o.Buffer)}
	h.subs[s] = struct{}{}
	return s, h.pos, nil
}

// Run follows the log from its newest entry until ctx ends, then lets go
// of every subscriber (ErrHubStopped). It retries failed reads until
// then, so it returns nothing. Call it once.
func (h *Hub) Run(ctx context.Context) {
	// The blocking read notices ctx only when it returns; subscribers are
	// let go at once.
	stop := context.AfterFunc(ctx, h.stop)
	defer stop()
	defer h.stop()

	pos, ok := h.end(ctx)
	if !ok {
		return
	}
	h.mu.Lock()
	h.pos = pos
	h.mu.Unlock()
	close(h.ready)

	for ctx.Err() == nil {
		es, err := h.alerts.Wait(ctx, pos, hubBatch, h.o.Block)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, redis.ErrCursorExpired), errors.Is(err, redis.ErrCursorAhead):
			h.log.Warn("alert log was trimmed past the stream hub or recreated; its streams resume from their own cursors", "cursor", pos, "err", err)
			if pos, ok = h.end(ctx); !ok {
				return
			}
			h.reset(pos)
		case err != nil:
			h.log.Error("follow alert log for event streams", "cursor", pos, "err", err)
			_ = sleep.For(ctx, hubRetry) // the loop checks ctx
		case len(es) > 0:
			pos = es[len(es)-1].Cursor
			h.fanOut(es)
		}
	}
}

// end finds the log's newest cursor, retrying until it does or ctx ends.
func (h *Hub) end(ctx context.Context) (string, bool) {
	for {
		pos, err := h.alerts.Last(ctx)
		if err == nil {
			return pos, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		h.log.Error("find the end of the alert log for event streams", "err", err)
		if sleep.For(ctx, hubRetry) != nil {
			return "", false
		}
	}
}

// fanOut hands a batch to every subscriber without waiting on any.
func (h *Hub) fanOut(es []redis.AlertEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.c <- es:
		default:
			h.drop(s, ErrStreamTooSlow)
		}
	}
	// Moved under the lock that Subscribe takes, so that a subscriber
	// gets every entry after the position it is told, and no other.
	h.pos = es[len(es)-1].Cursor
}

// reset lets go of every subscriber and carries on from pos.
func (h *Hub) reset(pos string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		h.drop(s, errHubReset)
	}
	h.pos = pos
}

// stop lets go of every subscriber and refuses new ones.
func (h *Hub) stop() {
	h.stopOnce.Do(func() {
		h.mu.Lock()
		h.stopped = true
		for s := range h.subs {
			h.drop(s, ErrHubStopped)
		}
		h.mu.Unlock()
		close(h.done)
	})
}

// drop lets go of one subscriber; h.mu is held.
func (h *Hub) drop(s *Subscription, why error) {
	delete(h.subs, s)
	s.err = why
	close(s.c)
}

// Subscribers says how many subscribers the hub holds now.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
