package sender

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/logging"
)

func TestCountsByStatus(t *testing.T) {
	var mu sync.Mutex
	var gotXFF, gotUA, gotLang, gotType []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotXFF = append(gotXFF, r.Header.Get("X-Forwarded-For"))
		gotUA = append(gotUA, r.Header.Get("User-Agent"))
		gotLang = append(gotLang, r.Header.Get("Accept-Language"))
		gotType = append(gotType, r.Header.Get("Content-Type"))
		mu.Unlock()
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		if status == 0 {
			status = http.StatusAccepted
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"code":"x","message":"y"}}`))
	}))
	defer srv.Close()

	tests := []struct {
		status int
		check  func(Stats) bool
	}{
		{http.StatusAccepted, func(s Stats) bool { return s.Accepted == 3 && s.Sent == 3 }},
		{http.StatusOK, func(s Stats) bool { return s.Duplicates == 3 && s.Sent == 3 }},
		{http.StatusBadRequest, func(s Stats) bool { return s.Rejected[400] == 3 && s.Sent == 3 }},
		{http.StatusInternalServerError, func(s Stats) bool { return s.Rejected[500] == 3 && s.Sent == 3 }},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			s := New(Config{Target: srv.URL + "/?status=" + strconv.Itoa(tt.status), Workers: 2}, logging.Discard())
			for range 3 {
				if !s.Submit(Request{Service: "bca", Body: []byte(`{}`), IP: "36.72.1.2", UserAgent: "ua/1", Language: "id-ID"}) {
					t.Fatal("submit refused")
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { s.Run(ctx); close(done) }()
			waitFor(t, func() bool { return s.Stats().Sent == 3 })
			cancel()
			<-done
			if st := s.Stats(); !tt.check(st) {
				t.Errorf("stats %+v", st)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range gotXFF {
		if gotXFF[i] != "36.72.1.2" || gotUA[i] != "ua/1" || gotLang[i] != "id-ID" || gotType[i] != "application/json" {
			t.Fatalf("headers %q %q %q %q", gotXFF[i], gotUA[i], gotLang[i], gotType[i])
		}
	}
}

// TestForwardSigning checks how each person's address reaches ingest: in
// X-Forwarded-For by default, signed with the forward secret (and not
// claimed in X-Forwarded-For) when one is set.
func TestForwardSigning(t *testing.T) {
	signer, err := forward.New("simulator-test-forward-secret")
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ xff, signed string }
	tests := []struct {
		name       string
		signer     *forward.Signer
		ip         string
		want       *got // nil: nothing reaches ingest
		wantErrors int64
	}{
		{"x-forwarded-for without a secret", nil, "36.72.1.2", &got{xff: "36.72.1.2"}, 0},
		{"signed with a secret", signer, "36.72.1.2", &got{signed: "36.72.1.2"}, 0},
		{"signed IPv6", signer, "2001:db8::5", &got{signed: "2001:db8::5"}, 0},
		{"unparsable address is not sent", signer, "not-an-ip", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make(chan got, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				g := got{xff: r.Header.Get("X-Forwarded-For")}
				if addr, ok := signer.Addr(r.Header); ok {
					g.signed = addr.String()
				} else if r.Header.Get(forward.AddrHeader) != "" {
					g.signed = "unverified " + r.Header.Get(forward.AddrHeader)
				}
				reqs <- g
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			s, stop := start(t, Config{Target: srv.URL, Workers: 1, Forward: tt.signer})
			defer stop()
			s.Submit(Request{Service: "bca", Body: []byte(`{}`), IP: tt.ip})
			waitFor(t, func() bool { st := s.Stats(); return st.Sent+st.Errors == 1 })
			if st := s.Stats(); st.Errors != tt.wantErrors {
				t.Errorf("errors %d, want %d", st.Errors, tt.wantErrors)
			}
			select {
			case g := <-reqs:
				if tt.want == nil || g != *tt.want {
					t.Errorf("ingest got %+v, want %+v", g, tt.want)
				}
			default:
				if tt.want != nil {
					t.Errorf("ingest got nothing, want %+v", *tt.want)
				}
			}
		})
	}
}

// TestPausesOn503 checks that a 503 with Retry-After stops the whole flow
// for that long instead of hammering an overloaded ingest.
func TestPausesOn503(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, stop := start(t, Config{Target: srv.URL, Workers: 1})
	defer stop()

	s.Submit(Request{Body: []byte(`{}`), IP: "8.8.8.8"})
	waitFor(t, func() bool { return s.Stats().Rejected[503] == 1 })
	begin := time.Now()
	submitted := 0
	for i := 0; time.Since(begin) < 700*time.Millisecond; i++ {
		// Other networks are paused too: ingest as a whole is overloaded.
		if s.Submit(Request{Body: []byte(`{}`), IP: "9.9." + strconv.Itoa(i%200) + ".9"}) {
			submitted++
		}
		time.Sleep(10 * time.Millisecond)
	}
	if hits.Load() != 1 || submitted != 0 {
		t.Fatalf("during back-off: %d hits, %d submitted", hits.Load(), submitted)
	}
	if st := s.Stats(); st.Skipped == 0 {
		t.Fatalf("skipped not counted: %+v", st)
	}
	waitFor(t, func() bool { return s.Submit(Request{Body: []byte(`{}`), IP: "8.8.8.8"}) })
	waitFor(t, func() bool { return s.Stats().Accepted == 1 })
}

// TestBlocksNetworkOn429 checks that a 429 holds back only the network it
// was about, since ingest limits per client and per /24.
func TestBlocksNetworkOn429(t *testing.T) {
	var limited atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Forwarded-For"), "36.72.1.") {
			limited.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, stop := start(t, Config{Target: srv.URL, Workers: 1})
	defer stop()

	s.Submit(Request{Body: []byte(`{}`), IP: "36.72.1.2"})
	waitFor(t, func() bool { return s.Stats().Rejected[429] == 1 })
	if s.Submit(Request{Body: []byte(`{}`), IP: "36.72.1.77"}) {
		t.Fatal("same /24 submitted during its back-off")
	}
	if !s.Submit(Request{Body: []byte(`{}`), IP: "36.72.2.77"}) {
		t.Fatal("another network held back by a 429")
	}
	waitFor(t, func() bool { return s.Stats().Accepted == 1 })
	waitFor(t, func() bool { return s.Submit(Request{Body: []byte(`{}`), IP: "36.72.1.5"}) })
	waitFor(t, func() bool { return s.Stats().Rejected[429] == 2 })
	if limited.Load() != 2 {
		t.Fatalf("limited network hit %d times", limited.Load())
	}
}

func start(t *testing.T, cfg Config) (*Sender, func()) {
	t.Helper()
	s := New(cfg, logging.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done }
}

func TestTransportErrorsCounted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	s := New(Config{Target: url, Workers: 1, Timeout: time.Second}, logging.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	s.Submit(Request{Body: []byte(`{}`), IP: "8.8.8.8"})
	waitFor(t, func() bool { return s.Stats().Errors == 1 })
	cancel()
	<-done
}

func TestQueueFullSkips(t *testing.T) {
	s := New(Config{Target: "http://127.0.0.1:1", Workers: 1, Queue: 2}, logging.Discard())
	accepted := 0
	for range 5 {
		if s.Submit(Request{}) {
			accepted++
		}
	}
	if accepted != 2 || s.Stats().Skipped != 3 {
		t.Fatalf("accepted %d, stats %+v", accepted, s.Stats())
	}
	// Run with an ended context drops what is queued.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Run(ctx)
	if s.Stats().Skipped != 5 {
		t.Fatalf("stats %+v", s.Stats())
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"0", 0}, {"-2", 0}, {"soon", 0},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
