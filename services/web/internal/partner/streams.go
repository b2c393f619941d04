package partner

import (
	"errors"
	"sync"
	"time"
)

// Defaults of StreamOptions.
const (
	// DefaultStreamsPerKey is how many event streams one API key may hold
	// open on one web process. A partner needs one per consumer; more
	// were a client reconnecting without closing, and each took a share
	// of the server that other partners use.
	DefaultStreamsPerKey = 5
	// DefaultMaxStreams is how many event streams one web process holds
	// open in all. Every stream costs a goroutine, a small buffer and a
	// socket, and no Redis connection.
	DefaultMaxStreams = 10000
)

// streamRetry is what a client over a stream limit is told to wait: a
// slot frees only when one of the streams ends.
const streamRetry = 10 * time.Second

// StreamOptions bound the event streams of one web process; zero values
// take the defaults.
type StreamOptions struct {
	PerKey int           // open streams per API key; DefaultStreamsPerKey
	Max    int           // open streams in all; DefaultMaxStreams
	Buffer int           // batches a stream may lag the hub by; DefaultStreamBuffer
	Block  time.Duration // the hub's wait per read of the log; DefaultHubBlock
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.PerKey <= 0 {
		o.PerKey = DefaultStreamsPerKey
	}
	if o.Max <= 0 {
		o.Max = DefaultMaxStreams
	}
	return o
}

// Why a stream was not opened.
var (
	errKeyStreams = errors.New("this API key holds its most event streams")
	errAllStreams = errors.New("this server holds its most event streams")
)

// streamSlots counts the open streams, per key and in all.
type streamSlots struct {
	perKey, max int

	mu    sync.Mutex
	keys  map[string]int
	total int
}

func newStreamSlots(o StreamOptions) *streamSlots {
	return &streamSlots{perKey: o.PerKey, max: o.Max, keys: map[string]int{}}
}

// take claims a slot for one stream of key; release gives it back and
// must be called exactly once.
func (s *streamSlots) take(key string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys[key] >= s.perKey {
		return nil, errKeyStreams
	}
	if s.total >= s.max {
		return nil, errAllStreams
	}
	s.keys[key]++
	s.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if s.keys[key]--; s.keys[key] <= 0 {
				delete(s.keys, key) // keys come and go: keep the map to open ones
			}
		})
	}, nil
}

// open says how many streams key holds open, and how many there are in all.
func (s *streamSlots) open(key string) (ofKey, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[key], s.total
}
