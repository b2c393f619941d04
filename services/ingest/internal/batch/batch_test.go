package batch_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lapor/lapor/services/ingest/internal/batch"
)

// double answers each request with twice its value, and counts its runs
// and the largest batch it saw.
type double struct {
	runs, largest atomic.Int64
	delay         time.Duration
}

func (d *double) run(ctx context.Context, reqs []int, out []batch.Result[int]) {
	d.runs.Add(1)
	for n := int64(len(reqs)); ; {
		l := d.largest.Load()
		if n <= l || d.largest.CompareAndSwap(l, n) {
			break
		}
	}
	time.Sleep(d.delay)
	for i, r := range reqs {
		if r < 0 {
			out[i].Err = errors.New("negative")
			continue
		}
		out[i].Val = 2 * r
	}
}

func TestEveryCallerGetsItsOwnResult(t *testing.T) {
	tests := []struct {
		name    string
		callers int
		opts    batch.Options
		delay   time.Duration
	}{
		{"one caller", 1, batch.Options{}, 0},
		{"many callers, batches of at most 8", 200, batch.Options{Max: 8}, time.Millisecond},
		{"many callers, default options", 500, batch.Options{}, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &double{delay: tt.delay}
			b := batch.New(d.run, tt.opts)
			var wg sync.WaitGroup
			for i := range tt.callers {
				wg.Go(func() {
					req := i
					if i%7 == 3 {
						req = -i
					}
					got, err := b.Do(context.Background(), req)
					switch {
					case req < 0 && err == nil:
						t.Errorf("caller %d: no error", i)
					case req >= 0 && (err != nil || got != 2*req):
						t.Errorf("caller %d: %d, %v; want %d", i, got, err, 2*req)
					}
				})
			}
			wg.Wait()
			max := int64(tt.opts.Max)
			if max == 0 {
				max = batch.DefaultMax
			}
			if l := d.largest.Load(); l > max {
				t.Errorf("a batch of %d, more than %d", l, max)
			}
			if tt.callers > 100 && d.runs.Load() >= int64(tt.callers) {
				t.Errorf("%d runs for %d callers: nothing was batched", d.runs.Load(), tt.callers)
			}
		})
	}
}

// TestACallerGivingUpBreaksNoOther: a caller whose context ends gets its
// error at once, and the batch it was in still answers everyone else,
// whether it was the batch's leader or not.
func TestACallerGivingUpBreaksNoOther(t *testing.T) {
	release := make(chan struct{})
	var ran atomic.Int64
	run := func(ctx context.Context, reqs []int, out []batch.Result[int]) {
		if ran.Add(1) == 1 {
			<-release // the first batch is slow; the others gather meanwhile
		}
		if err := ctx.Err(); err != nil {
			for i := range out {
				out[i].Err = err
			}
			return
		}
		for i, r := range reqs {
			out[i].Val = r
		}
	}
	b := batch.New(run, batch.Options{Wait: time.Hour})

	first := make(chan error, 1)
	go func() { _, err := b.Do(context.Background(), 0); first <- err }()
	for ran.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The next batch's leader gives up while it gathers; two more join.
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	followerCtx, cancelFollower := context.WithCancel(context.Background())
	type answer struct {
		v   int
		err error
	}
	answers := make([]chan answer, 3)
	for i, ctx := range []context.Context{leaderCtx, followerCtx, context.Background()} {
		answers[i] = make(chan answer, 1)
		go func() { v, err := b.Do(ctx, i+1); answers[i] <- answer{v, err} }()
		time.Sleep(10 * time.Millisecond) // in this order
	}
	cancelFollower()
	if a := <-answers[1]; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("cancelled follower: %v, %v", a.v, a.err)
	}
	cancelLeader()
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first batch: %v", err)
	}
	for _, i := range []int{0, 2} {
		if a := <-answers[i]; a.err != nil || a.v != i+1 {
			t.Errorf("caller %d: %v, %v; want %d", i+1, a.v, a.err, i+1)
		}
	}
}

func TestAPanickingRunFailsItsBatchOnly(t *testing.T) {
	b := batch.New(func(ctx context.Context, reqs []int, out []batch.Result[int]) {
		if reqs[0] == 13 {
			panic("unlucky")
		}
		for i, r := range reqs {
			out[i].Val = r
		}
	}, batch.Options{})
	if _, err := b.Do(context.Background(), 13); err == nil {
		t.Fatal("no error from a panicking run")
	}
	if v, err := b.Do(context.Background(), 7); err != nil || v != 7 {
		t.Fatalf("after a panic: %v, %v", v, err)
	}
}
