package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/sleep"
	"github.com/lapor/lapor/services/web/client"
	goredis "github.com/redis/go-redis/v9"
)

// Defaults of DispatcherOptions.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultLeaseTTL    = 30 * time.Second
	DefaultRefresh     = 5 * time.Second
	DefaultMaxInFlight = 32
)

// readBatch is how many alert log entries a subscription reads at a time.
const readBatch = 100

// DispatcherOptions configure a Dispatcher; zero values take the defaults.
type DispatcherOptions struct {
	Log          *slog.Logger
	Store        Store
	Alerts       *redis.AlertLog
	Redis        goredis.UniversalClient // holds the lease
	Retry        Retry                   // DefaultRetry() when zero
	Timeout      time.Duration           // per attempt
	AllowPrivate bool                    // deliver to private addresses (tests, closed networks)
	LeaseTTL     time.Duration           // how long the lease outlives its holder; must exceed Timeout
	Refresh      time.Duration           // how often subscriptions are reloaded
	MaxInFlight  int                     // attempts in flight at once, across subscriptions
}

// Dispatcher delivers alert events to webhook subscriptions.
//
// Every subscription has its own goroutine that reads the alert log from
// its own position and delivers matching events strictly in order: the
// next event waits until the current one is delivered or dead. A slow or
// failing receiver therefore only delays itself; MaxInFlight bounds the
// requests in flight overall.
//
// Only one dispatcher delivers at a time across web replicas: it must hold
// a lease (redis.Lease). A replica that cannot renew it (Redis
// unreachable, or the key now belongs to another) stops delivering a
// delivery timeout before the TTL runs out, and the others keep trying to
// take the lease, so one of them resumes when the holder dies.
//
// State is durable in the delivery log: each subscription resumes after
// the newest event whose delivery ended (delivered or dead), and an event
// interrupted between retries keeps its attempt count and next due time.
// An attempt in flight at shutdown is allowed to finish (up to Timeout)
// and is recorded, so a clean restart repeats nothing; after a crash the
// attempt in flight may be sent again, which receivers recognise by its
// Lapor-Event-Id.
type Dispatcher struct {
	o      DispatcherOptions
	client *http.Client
	lease  *redis.Lease
	slots  chan struct{} // MaxInFlight tokens
	tail   *notifier     // wakes subscriptions when the log grows
}

// NewDispatcher checks the options and returns a dispatcher.
func NewDispatcher(o DispatcherOptions) (*Dispatcher, error) {
	if o.Log == nil || o.Store == nil || o.Alerts == nil || o.Redis == nil {
		return nil, errors.New("webhook dispatcher: log, store, alert log and redis are required")
	}
	if o.Retry == (Retry{}) {
		o.Retry = DefaultRetry()
	}
	if err := o.Retry.validate(); err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	l, err := redis.NewLease(o.Redis, redis.WebhookLeaseKey, o.LeaseTTL, o.Log)
	if err != nil {
		return nil, fmt.Errorf("webhook dispatcher: %w", err)
	}
	// An attempt in flight when the lease cannot be renewed may take
	// Timeout to finish, and must be over before the lease can expire.
	if err := l.StopBefore(o.Timeout); err != nil {
		return nil, fmt.Errorf("webhook dispatcher: the delivery timeout must be under two thirds of the lease TTL: %w", err)
	}
	return &Dispatcher{
		o:      o,
		client: guardedClient(o.Timeout, o.AllowPrivate),
		lease:  l,
		slots:  make(chan struct{}, o.MaxInFlight),
		tail:   newNotifier(),
	}, nil
}

// Run delivers until ctx ends, whenever this replica holds the lease. It
// returns nil once ctx has ended and every attempt in flight is recorded.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.lease.Run(ctx, d.lead, nil)
	return nil
}

// lead delivers while the lease is held and ctx lasts; it returns once
// every subscription's goroutine has finished.
func (d *Dispatcher) lead(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { d.watchTail(ctx) })

	workers := map[string]context.CancelFunc{}
	defer func() {
		for _, stop := range workers {
			stop()
		}
		cancel()
		wg.Wait()
	}()
	tick := time.NewTicker(d.o.Refresh)
	defer tick.Stop()
	for {
		subs, err := d.o.Store.Active(ctx)
		if err != nil && ctx.Err() == nil {
			d.o.Log.Error("load webhook subscriptions", "err", err)
		}
		if err == nil {
			live := map[string]bool{}
			for _, sub := range subs {
				live[sub.ID] = true
				if _, ok := workers[sub.ID]; ok {
					continue
				}
				wctx, stop := context.WithCancel(ctx)
				workers[sub.ID] = stop
				wg.Go(func() { d.serve(wctx, sub) })
			}
			for id, stop := range workers {
				if !live[id] {
					stop() // deleted
					delete(workers, id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// watchTail blocks on the end of the alert log and wakes the
// subscriptions' goroutines when an entry arrives, so that they read with
// short range queries rather than each holding a blocked connection.
func (d *Dispatcher) watchTail(ctx context.Context) {
	last := ""
	for ctx.Err() == nil {
		if last == "" {
			l, err := d.o.Alerts.Last(ctx)
			if err != nil {
				d.logRead(ctx, err)
				_ = sleep.For(ctx, time.Second) // the loop checks ctx
				continue
			}
			last = l
			if last == "" {
				last = "0"
			}
		}
		// A short block keeps shutdown prompt: the client only notices a
		// cancelled context once the blocking read returns.
		es, err := d.o.Alerts.Wait(ctx, last, readBatch, time.Second)
		if errors.Is(err, redis.ErrCursorExpired) || errors.Is(err, redis.ErrCursorAhead) {
			// Trimmed past us, or a new log (Redis lost its data): follow
			// from what the log holds now.
			last = ""
			continue
		}
		if err != nil {
			d.logRead(ctx, err)
			_ = sleep.For(ctx, time.Second) // the loop checks ctx
			continue
		}
		if len(es) > 0 {
			last = es[len(es)-1].Cursor
			d.tail.fire()
		}
	}
}

func (d *Dispatcher) logRead(ctx context.Context, err error) {
	if ctx.Err() == nil {
		d.o.Log.Error("read alert log", "err", err)
	}
}

// serve delivers a subscription's events until ctx ends.
func (d *Dispatcher) serve(ctx context.Context, sub Subscription) {
	log := d.o.Log.With("webhook_id", sub.ID)
	var (
		cursor  string
		pending map[string]Pending
	)
	for {
		var err error
		cursor, pending, err = d.resume(ctx, sub)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		log.Error("resume webhook subscription", "err", err)
		if sleep.For(ctx, d.o.Refresh) != nil {
			return
		}
	}
	for ctx.Err() == nil {
		woken := d.tail.wait() // taken before reading, so no append is missed
		es, err := d.o.Alerts.After(ctx, cursor, readBatch)
		if errors.Is(err, redis.ErrCursorExpired) {
			log.Warn("webhook subscription fell behind the alert log; continuing from the oldest event kept", "cursor", cursor)
			cursor = ""
			continue
		}
		if errors.Is(err, redis.ErrCursorAhead) {
			// The log is younger than the cursor (Redis lost its data and
			// started a new one): every event it holds is new to us.
			log.Warn("webhook subscription's cursor is past the end of the alert log; continuing from the oldest event kept", "cursor", cursor)
			cursor = ""
			continue
		}
		if err != nil {
			d.logRead(ctx, err)
			_ = sleep.For(ctx, time.Second) // the loop checks ctx
			continue
		}
		for _, e := range es {
			if sub.Filter.Match(e.Event) {
				p := pending[e.Cursor]
				delete(pending, e.Cursor)
				if !d.deliver(ctx, log, sub, e, p) {
					return
				}
			}
			cursor = e.Cursor
		}
		if len(es) == 0 {
			// The tail watcher wakes us; the timer is a backstop in case
			// the watcher is between reads of a log that was recreated.
			select {
			case <-ctx.Done():
			case <-woken:
			case <-time.After(d.o.Refresh):
			}
		}
	}
}

// resume finds where a subscription stands: after its newest ended
// delivery (or its start), with any interrupted retries.
func (d *Dispatcher) resume(ctx context.Context, sub Subscription) (string, map[string]Pending, error) {
	cursor, ok, err := d.o.Store.Position(ctx, sub.ID)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		cursor = sub.StartCursor
	}
	pending, err := d.o.Store.Pending(ctx, sub.ID, cursor)
	if err != nil {
		return "", nil, err
	}
	return cursor, pending, nil
}

// deliver sends one event until it is delivered or dead, recording every
// attempt; false when ctx ended first (the delivery resumes on restart).
func (d *Dispatcher) deliver(ctx context.Context, log *slog.Logger, sub Subscription, e redis.AlertEntry, p Pending) bool {
	if wait := time.Until(p.NextAt); p.Attempts > 0 && wait > 0 && sleep.For(ctx, wait) != nil {
		return false
	}
	deliveryID := DeliveryID(sub.ID, e.Cursor)
	for n := p.Attempts + 1; ; n++ {
		select {
		case d.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		a := d.attempt(ctx, sub, e, deliveryID, n)
		<-d.slots
		var wait time.Duration
		switch {
		case a.Status == StatusDelivered:
		case n >= d.o.Retry.MaxAttempts:
			a.Status = StatusDead
			log.Warn("webhook delivery dead after its last attempt", "delivery_id", deliveryID, "attempts", n)
		default:
			wait = d.o.Retry.Delay(n)
			a.NextAt = a.At.Add(a.Duration).Add(wait)
		}
		d.record(ctx, log, a)
		if a.Status != StatusFailed {
			return true
		}
		if sleep.For(ctx, wait) != nil {
			return false
		}
	}
}

// attempt POSTs the event once. It runs to its own timeout even when ctx
// ends, so that an attempt the receiver may have accepted gets recorded.
func (d *Dispatcher) attempt(ctx context.Context, sub Subscription, e redis.AlertEntry, deliveryID string, n int) Attempt {
	a := Attempt{WebhookID: sub.ID, DeliveryID: deliveryID, EventID: e.Event.ID, Cursor: e.Cursor, Attempt: n, Status: StatusFailed}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.o.Timeout)
	defer cancel()
	body := []byte(e.Payload)
	start := time.Now()
	a.At = start.UTC()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = "build request: " + err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lapor-Webhooks/1")
	req.Header.Set(client.EventIDHeader, e.Event.ID)
	req.Header.Set(client.DeliveryIDHeader, deliveryID)
	req.Header.Set(client.TimestampHeader, strconv.FormatInt(start.Unix(), 10))
	req.Header.Set(client.SignatureHeader, client.Sign(sub.Secret, start, body))
	resp, err := d.client.Do(req)
	a.Duration = time.Since(start)
	if err != nil {
		a.Error = attemptError(err, d.o.Timeout)
		return a
	}
	// Drain a little so the connection can be reused; never read a
	// receiver's whole answer.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.StatusCode = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		a.Status = StatusDelivered
	} else {
		a.Error = "receiver answered " + strconv.Itoa(resp.StatusCode)
	}
	return a
}

// attemptError says briefly why an attempt got no answer.
func attemptError(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "no answer within " + timeout.String()
	case errors.Is(err, errPrivateTarget):
		return errPrivateTarget.Error()
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// record stores an attempt, retrying while ClickHouse is unreachable:
// the subscription waits, as its next event must not overtake this one's
// record. After shutdown it tries for a few seconds more.
func (d *Dispatcher) record(ctx context.Context, log *slog.Logger, a Attempt) {
	stop := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		stop, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, 5*time.Second) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(stop), 5*time.Second)
		err := d.o.Store.Record(rctx, a)
		cancel()
		if err == nil {
			return
		}
		log.Error("record webhook delivery attempt", "delivery_id", a.DeliveryID, "attempt", a.Attempt, "err", err)
		if sleep.For(stop, wait) != nil {
			// On restart this event is attempted again: a repeat, never a loss.
			return
		}
	}
}

// DeliveryID names the delivery of the event at cursor to a subscription.
// It is derived, not random, so that it stays the same across attempts
// and restarts.
func DeliveryID(webhookID, cursor string) string {
	sum := sha256.Sum256([]byte(webhookID + "\x00" + cursor))
	return "dl_" + hex.EncodeToString(sum[:12])
}

// notifier wakes every waiter at once: fire closes the channel that wait
// handed out and starts a new one.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) fire() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}
