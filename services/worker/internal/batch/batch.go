// Package batch decides when held items should be written: when there are
// enough of them, or when the oldest has waited long enough. It keeps no
// clock of its own, so callers (and tests) pass the current time.
package batch

import "time"

// Buffer holds items until it is full or its oldest item is due.
type Buffer[T any] struct {
	size    int
	maxWait time.Duration
	items   []T
	first   time.Time // when the oldest held item arrived
}

// New returns a Buffer that is full at size items and due maxWait after its
// first item arrived. A size below one is treated as one.
func New[T any](size int, maxWait time.Duration) *Buffer[T] {
	if size < 1 {
		size = 1
	}
	return &Buffer[T]{size: size, maxWait: maxWait, items: make([]T, 0, size)}
}

// Add holds items that arrived at now. It may take the buffer past its
// size; callers that care ask Room first.
func (b *Buffer[T]) Add(now time.Time, items ...T) {
	if len(items) == 0 {
		return
	}
	if len(b.items) == 0 {
		b.first = now
	}
	b.items = append(b.items, items...)
}

// Len is the number of held items.
func (b *Buffer[T]) Len() int { return len(b.items) }

// Room is how many more items fit before the buffer is full.
func (b *Buffer[T]) Room() int {
	if r := b.size - len(b.items); r > 0 {
		return r
	}
	return 0
}

// Full reports whether the size threshold is reached.
func (b *Buffer[T]) Full() bool { return len(b.items) >= b.size }

// Due reports whether the held items should be written now: the buffer is
// full, or it holds something that has waited maxWait.
func (b *Buffer[T]) Due(now time.Time) bool {
	return b.Full() || (len(b.items) > 0 && !now.Before(b.first.Add(b.maxWait)))
}

// Wait is how long from now until the buffer is due: zero when it already
// is, and maxWait when it is empty (a first item would start the clock).
func (b *Buffer[T]) Wait(now time.Time) time.Duration {
	if len(b.items) == 0 {
		return b.maxWait
	}
	if b.Due(now) {
		return 0
	}
	return b.first.Add(b.maxWait).Sub(now)
}

// Items returns the held items. The slice is reused after Reset.
func (b *Buffer[T]) Items() []T { return b.items }

// Size is how many items make the buffer full.
func (b *Buffer[T]) Size() int { return b.size }

// SetSize changes how many items make the buffer full; a size below one is
// treated as one. Items already held stay, even past the new size.
func (b *Buffer[T]) SetSize(size int) { b.size = max(size, 1) }

// Swap hands out the held items and starts afresh on spare (emptied), so
// that a caller can write one batch while it fills the next without
// copying or allocating: it passes back the slice it was handed last time.
func (b *Buffer[T]) Swap(spare []T) []T {
	out := b.items
	clear(spare)
	b.items = spare[:0]
	b.first = time.Time{}
	return out
}

// Reset drops the held items once they are written.
func (b *Buffer[T]) Reset() {
	clear(b.items)
	b.items = b.items[:0]
	b.first = time.Time{}
}
