package batch

import (
	"testing"
	"time"
)

func TestBufferThresholds(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	type step struct {
		at      time.Duration // since t0
		add     int
		wantLen int
		wantDue bool
		wantWt  time.Duration
	}
	tests := []struct {
		name    string
		size    int
		maxWait time.Duration
		steps   []step
	}{
		{
			name: "empty buffer is never due and waits a full interval",
			size: 3, maxWait: time.Second,
			steps: []step{
				{at: 0, wantDue: false, wantWt: time.Second},
				{at: time.Hour, wantDue: false, wantWt: time.Second},
			},
		},
		{
			name: "size threshold makes it due at once",
			size: 3, maxWait: time.Hour,
			steps: []step{
				{at: 0, add: 2, wantLen: 2, wantDue: false, wantWt: time.Hour},
				{at: time.Millisecond, add: 1, wantLen: 3, wantDue: true, wantWt: 0},
			},
		},
		{
			name: "time threshold counts from the oldest item",
			size: 100, maxWait: 500 * time.Millisecond,
			steps: []step{
				{at: 100 * time.Millisecond, add: 1, wantLen: 1, wantDue: false, wantWt: 500 * time.Millisecond},
				{at: 400 * time.Millisecond, add: 1, wantLen: 2, wantDue: false, wantWt: 200 * time.Millisecond},
				{at: 599 * time.Millisecond, wantLen: 2, wantDue: false, wantWt: time.Millisecond},
				{at: 600 * time.Millisecond, wantLen: 2, wantDue: true, wantWt: 0},
			},
		},
		{
			name: "overfilling is still due",
			size: 2, maxWait: time.Hour,
			steps: []step{
				{at: 0, add: 5, wantLen: 5, wantDue: true, wantWt: 0},
			},
		},
		{
			name: "size below one means one",
			size: 0, maxWait: time.Hour,
			steps: []step{
				{at: 0, add: 1, wantLen: 1, wantDue: true, wantWt: 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New[int](tt.size, tt.maxWait)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				b.Add(now, make([]int, s.add)...)
				if got := b.Len(); got != s.wantLen {
					t.Errorf("step %d: Len = %d, want %d", i, got, s.wantLen)
				}
				if got := b.Due(now); got != s.wantDue {
					t.Errorf("step %d: Due = %v, want %v", i, got, s.wantDue)
				}
				if got := b.Wait(now); got != s.wantWt {
					t.Errorf("step %d: Wait = %v, want %v", i, got, s.wantWt)
				}
			}
		})
	}
}

func TestBufferRoomAndReset(t *testing.T) {
	t0 := time.Now()
	b := New[string](3, time.Second)
	if got := b.Room(); got != 3 {
		t.Fatalf("Room of empty = %d, want 3", got)
	}
	b.Add(t0, "a", "b")
	if got := b.Room(); got != 1 {
		t.Fatalf("Room = %d, want 1", got)
	}
	b.Add(t0, "c", "d")
	if got := b.Room(); got != 0 {
		t.Fatalf("Room of overfull = %d, want 0", got)
	}
	if got := b.Items(); len(got) != 4 || got[0] != "a" || got[3] != "d" {
		t.Fatalf("Items = %v", got)
	}
	b.Reset()
	if b.Len() != 0 || b.Due(t0.Add(time.Hour)) {
		t.Fatalf("after Reset: Len = %d, Due = %v", b.Len(), b.Due(t0.Add(time.Hour)))
	}
	// The clock restarts with the next first item.
	later := t0.Add(time.Hour)
	b.Add(later, "e")
	if b.Due(later.Add(999 * time.Millisecond)) {
		t.Fatal("due before maxWait after the new first item")
	}
	if !b.Due(later.Add(time.Second)) {
		t.Fatal("not due maxWait after the new first item")
	}
}

// TestSetSizeAndSwap checks resizing a buffer that holds items, and handing
// its items out for a spare slice.
func TestSetSizeAndSwap(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	b := New[int](2, time.Second)
	b.Add(t0, 1, 2)
	if !b.Full() {
		t.Fatal("not full at its size")
	}
	b.SetSize(4)
	if b.Full() || b.Room() != 2 || b.Size() != 4 {
		t.Fatalf("after growing to 4: full %v, room %d, size %d", b.Full(), b.Room(), b.Size())
	}
	b.SetSize(0)
	if b.Size() != 1 || !b.Full() || b.Len() != 2 {
		t.Fatalf("after shrinking below one: size %d, full %v, len %d", b.Size(), b.Full(), b.Len())
	}
	spare := []int{9, 9, 9}
	out := b.Swap(spare)
	if len(out) != 2 || out[0] != 1 || out[1] != 2 {
		t.Errorf("Swap handed out %v, want [1 2]", out)
	}
	if b.Len() != 0 || b.Due(t0.Add(time.Hour)) || b.Wait(t0) != time.Second {
		t.Errorf("after Swap: len %d, due %v, wait %s; want an empty buffer", b.Len(), b.Due(t0.Add(time.Hour)), b.Wait(t0))
	}
	b.Add(t0, 7)
	if got := b.Items(); len(got) != 1 || got[0] != 7 || cap(got) != 3 {
		t.Errorf("items after Swap %v (cap %d), want [7] in the spare's memory", got, cap(got))
	}
}
