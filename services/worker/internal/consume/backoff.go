package consume

import "time"

// backoff doubles a wait from min up to max.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

// Next returns the wait before the next attempt.
func (b *backoff) Next() time.Duration {
	if b.next < b.min {
		b.next = b.min
	}
	d := b.next
	b.next *= 2
	if b.next > b.max {
		b.next = b.max
	}
	if d > b.max {
		d = b.max
	}
	return d
}

// Reset starts again from min after a success.
func (b *backoff) Reset() { b.next = 0 }
