// Package batch gathers the concurrent calls of many goroutines into
// batches, runs each batch with one call of a function, and hands every
// caller its own result: the ingest sends each batch of reports to Redis
// as one pipeline instead of one round trip per report.
//
// A batch goes as soon as no other batch is running, when it holds Max
// calls, or when its first call has waited Wait, whichever comes first.
// So a lone request waits for nothing, and under load the requests that
// arrive while one batch is at Redis go together in the next (the way a
// database groups commits). There is no background goroutine: the first
// caller of a batch, its leader, waits for it to fill and runs it, so
// nothing is ever held without a caller waiting on it, and a server that
// drains its requests on shutdown flushes every batch.
package batch

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Defaults for Options left zero.
const (
	DefaultMax     = 128
	DefaultWait    = time.Millisecond
	DefaultTimeout = 5 * time.Second
)

// Result is one call's share of a batch's outcome.
type Result[Res any] struct {
	Val Res
	Err error
}

// Func runs one batch: reqs in the order the calls came, and out, as long
// as reqs, to fill with each call's result. ctx belongs to no caller: one
// caller giving up does not cancel the others' work.
type Func[Req, Res any] func(ctx context.Context, reqs []Req, out []Result[Res])

// Options tune a Batcher.
type Options struct {
	// Max is how many calls a batch holds at most (default DefaultMax).
	Max int
	// Wait is how long a batch waits for more calls while another batch is
	// running (default DefaultWait).
	Wait time.Duration
	// Timeout bounds one run of Func (default DefaultTimeout).
	Timeout time.Duration
}

// Batcher gathers calls of Do into batches run by one Func. Its zero
// value is not usable; use New. It is safe for concurrent use.
type Batcher[Req, Res any] struct {
	run  Func[Req, Res]
	opts Options

	mu       sync.Mutex
	open     *group[Req, Res] // the batch gathering calls; nil when none
	inflight int              // batches released and not yet done
}

// group is one batch: its calls and, once run, their results.
type group[Req, Res any] struct {
	reqs []Req
	out  []Result[Res]
	// release is closed when the batch stops taking calls and is to run.
	release chan struct{}
	// done is closed once out holds every call's result.
	done chan struct{}
}

// New returns a Batcher that runs batches with run.
func New[Req, Res any](run Func[Req, Res], o Options) *Batcher[Req, Res] {
	if o.Max < 1 {
		o.Max = DefaultMax
	}
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Batcher[Req, Res]{run: run, opts: o}
}

// Do adds req to the open batch and returns its result once the batch has
// run. When ctx ends first Do returns ctx's error at once; the batch still
// runs req, as a request that was already sent would. The first caller of a
// batch runs it whatever its own ctx says, as the others wait on it.
func (b *Batcher[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	b.mu.Lock()
	g := b.open
	leader := g == nil
	if leader {
		g = &group[Req, Res]{
			reqs:    make([]Req, 0, b.opts.Max),
			release: make(chan struct{}),
			done:    make(chan struct{}),
		}
		b.open = g
	}
	i := len(g.reqs)
	g.reqs = append(g.reqs, req)
	if b.inflight == 0 || len(g.reqs) >= b.opts.Max {
		b.releaseLocked(g)
	}
	b.mu.Unlock()

	if leader {
		b.lead(ctx, g)
		return g.out[i].Val, g.out[i].Err
	}
	select {
	case <-g.done:
		return g.out[i].Val, g.out[i].Err
	case <-ctx.Done():
		var zero Res
		return zero, ctx.Err()
	}
}

// releaseLocked closes g to new calls. b.mu must be held.
func (b *Batcher[Req, Res]) releaseLocked(g *group[Req, Res]) {
	if b.open == g {
		b.open = nil
	}
	b.inflight++
	close(g.release)
}

// lead waits until g is released, or releases it after Wait, then runs it.
func (b *Batcher[Req, Res]) lead(ctx context.Context, g *group[Req, Res]) {
	select {
	case <-g.release:
	default:
		t := time.NewTimer(b.opts.Wait)
		select {
		case <-g.release:
		case <-t.C:
			b.mu.Lock()
			select {
			case <-g.release: // released meanwhile
			default:
				b.releaseLocked(g)
			}
			b.mu.Unlock()
		}
		t.Stop()
	}
	b.flush(ctx, g)
}

// flush runs g and hands out its results; then, if no other batch is
// running, it releases the batch that gathered meanwhile.
func (b *Batcher[Req, Res]) flush(ctx context.Context, g *group[Req, Res]) {
	// No caller's cancellation stops the batch: it carries the others'
	// requests too.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.opts.Timeout)
	defer cancel()
	g.out = make([]Result[Res], len(g.reqs))
	func() {
		// A panicking Func must not leave the other callers waiting
		// forever: each gets it as an error.
		defer func() {
			if p := recover(); p != nil {
				err := fmt.Errorf("batch: run panicked: %v", p)
				for i := range g.out {
					g.out[i] = Result[Res]{Err: err}
				}
			}
		}()
		b.run(rctx, g.reqs, g.out)
	}()
	close(g.done)

	b.mu.Lock()
	b.inflight--
	if next := b.open; next != nil && b.inflight == 0 {
		b.releaseLocked(next)
	}
	b.mu.Unlock()
}
