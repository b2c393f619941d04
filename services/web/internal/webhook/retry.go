package webhook

import (
	"errors"
	"math"
	"math/rand/v2"
	"time"
)

// Retry is how failed deliveries are retried: exponential backoff with
// full jitter. After the n-th failed attempt the wait is drawn uniformly
// from [0, min(Cap, Base·Factor^(n-1))]; jitter spreads the retries of
// many subscriptions that failed together (a receiver's outage) instead
// of having them all knock at once.
type Retry struct {
	Base        time.Duration
	Factor      float64
	Cap         time.Duration
	MaxAttempts int // attempts per event, the first included, before it goes dead
}

// DefaultRetry is the production schedule: ten attempts over roughly
// half an hour on average.
func DefaultRetry() Retry {
	return Retry{Base: 5 * time.Second, Factor: 2, Cap: 10 * time.Minute, MaxAttempts: 10}
}

func (r Retry) validate() error {
	if r.Base <= 0 || r.Cap < r.Base || r.Factor < 1 || r.MaxAttempts < 1 {
		return errors.New("webhook retry: need base > 0, cap >= base, factor >= 1 and at least one attempt")
	}
	return nil
}

// ceiling is the longest wait after failed attempts.
func (r Retry) ceiling(failed int) time.Duration {
	c := float64(r.Base) * math.Pow(r.Factor, float64(max(failed-1, 0)))
	if c > float64(r.Cap) || math.IsInf(c, 0) || math.IsNaN(c) {
		return r.Cap
	}
	return time.Duration(c)
}

// Delay returns the wait before the next attempt after failed attempts.
func (r Retry) Delay(failed int) time.Duration {
	return time.Duration(rand.Int64N(int64(r.ceiling(failed)) + 1))
}
