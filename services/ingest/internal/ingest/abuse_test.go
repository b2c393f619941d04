package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lapor/lapor/services/ingest/internal/ingest"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/shared/redis"
)

// client is one simulated request: the address it comes from (played with
// X-Forwarded-For from a trusted 127.0.0.0/8 hop) and its user agent.
type client struct{ addr, ua string }

// newCrowdFixture trusts the loopback hop, so that X-Forwarded-For plays
// many clients, and lifts the rate limits, which are not what is tested.
func newCrowdFixture(t *testing.T, edit func(*ingest.Deps)) *fixture {
	t.Helper()
	return newFixture(t, env.RedisClient(t), func(d *ingest.Deps) {
		d.TrustedProxies = []string{"127.0.0.0/8"}
		d.RateIP = "100000-M"
		d.RateNet = "100000-M"
		if edit != nil {
			edit(d)
		}
	})
}

type tally struct{ counted, duplicate, capped int }

// send posts one report for service per client, a few at a time so that
// the counting also holds under concurrency, and tallies the answers.
func (f *fixture) send(t *testing.T, service string, clients []client) tally {
	t.Helper()
	body := `{"service":"` + service + `","symptom":"app"}`
	var (
		mu  sync.Mutex
		got tally
		wg  sync.WaitGroup
	)
	next := make(chan client)
	for range 8 {
		wg.Go(func() {
			for c := range next {
				w := f.do(call{remote: "127.0.0.1:40000", ua: c.ua, body: body,
					header: http.Header{"X-Forwarded-For": {c.addr}}})
				// Not decodeReply: t.Fatal may not be called off the test's
				// goroutine; a body that does not decode falls to default.
				var r reply
				_ = json.Unmarshal(w.Body.Bytes(), &r)
				mu.Lock()
				switch {
				case w.Code == http.StatusAccepted && r.Counted:
					got.counted++
				case w.Code == http.StatusOK && !r.Counted && r.Reason == ingest.ReasonDuplicate:
					got.duplicate++
				case w.Code == http.StatusOK && !r.Counted && r.Reason == ingest.ReasonNetworkCap:
					got.capped++
				default:
					t.Errorf("from %s: status %d, body %s", c.addr, w.Code, w.Body)
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range clients {
		next <- c
	}
	close(next)
	wg.Wait()
	return got
}

// TestOneClientCannotFakeAnOutage plays the ways one attacker, one network
// or a real crowd reaches the ingest within one window, and checks how many
// reporters each is counted as.
func TestOneClientCannotFakeAnOutage(t *testing.T) {
	const netCap = ingest.DefaultNetCap
	tests := []struct {
		name    string
		clients func() []client
		want    int // reporters counted
		// wantDup and wantCapped are checked when not -1: which answer a
		// refused report gets can depend on the order of a crowd.
		wantDup, wantCapped int
	}{
		{"one IPv4 address, a new user agent each time", func() []client {
			var cs []client
			for i := range 60 {
				cs = append(cs, client{"198.51.100.7", fmt.Sprintf("Mozilla/5.0 (bot %d)", i)})
			}
			return cs
		}, 1, 59, 0},
		{"60 addresses in one IPv6 /64", func() []client {
			var cs []client
			for i := range 60 {
				cs = append(cs, client{fmt.Sprintf("2001:db8:aa:1:%x:%x:%x:%x", i, 7*i, 13*i, i+1), "ua"})
			}
			return cs
		}, 1, 59, 0},
		{"every address of one IPv4 /24", func() []client {
			var cs []client
			for i := range 256 {
				cs = append(cs, client{fmt.Sprintf("198.51.100.%d", i), "ua"})
			}
			return cs
		}, netCap, 0, 256 - netCap},
		{"1,000 /64s in one IPv6 /48", func() []client {
			var cs []client
			for i := range 1000 {
				cs = append(cs, client{fmt.Sprintf("2001:db8:bb:%x::1", i), "ua"})
			}
			return cs
		}, netCap, 0, 1000 - netCap},
		// A carrier's NAT pool: 3,000 people share 512 public addresses in
		// 8 /24s, several to an address. The crowd still counts as 160
		// reporters in one window, where a small service expects a few.
		{"3,000 people behind a carrier-grade NAT pool of 512 addresses in 8 /24s", func() []client {
			var cs []client
			for p := range 3000 {
				a := p % 512
				cs = append(cs, client{fmt.Sprintf("203.0.%d.%d", 8+a/64, 1+a%64), fmt.Sprintf("phone %d", p)})
			}
			return cs
		}, min(512, 8*netCap), -1, -1},
		{"300 people on their own addresses in distinct /24s", func() []client {
			var cs []client
			for p := range 300 {
				cs = append(cs, client{fmt.Sprintf("100.%d.%d.9", 100+p/256, p%256), "ua"})
			}
			return cs
		}, 300, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCrowdFixture(t, nil)
			clients := tt.clients()
			got := f.send(t, "whatsapp", clients)
			if got.counted != tt.want {
				t.Errorf("%d counted, want %d (%+v)", got.counted, tt.want, got)
			}
			if tt.wantDup >= 0 && got.duplicate != tt.wantDup {
				t.Errorf("%d duplicates, want %d (%+v)", got.duplicate, tt.wantDup, got)
			}
			if tt.wantCapped >= 0 && got.capped != tt.wantCapped {
				t.Errorf("%d capped, want %d (%+v)", got.capped, tt.wantCapped, got)
			}
			if got.counted+got.duplicate+got.capped != len(clients) {
				t.Errorf("%d answers for %d reports", got.counted+got.duplicate+got.capped, len(clients))
			}
			if n := f.streamLen(t); n != int64(tt.want) {
				t.Errorf("stream length %d, want %d", n, tt.want)
			}
		})
	}
}

// TestNetworkCapWindows checks that the cap is per service and per fixed
// window, and that a capped host is not marked as counted.
func TestNetworkCapWindows(t *testing.T) {
	f := newCrowdFixture(t, func(d *ingest.Deps) { d.NetCap = 3 })
	// 12:00 is the start of a 15-minute window.
	f.clock.Set(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	hosts := func(n int) []client {
		var cs []client
		for i := range n {
			cs = append(cs, client{fmt.Sprintf("198.51.100.%d", 10+i), "ua"})
		}
		return cs
	}
	steps := []struct {
		name    string
		advance time.Duration
		service string
		clients []client
		want    tally
	}{
		{"five hosts of one /24: three counted", 0, "whatsapp", hosts(5), tally{counted: 3, capped: 2}},
		{"the same five for another service", 0, "gojek", hosts(5), tally{counted: 3, capped: 2}},
		{"late in the same window, still capped", 14*time.Minute + 59*time.Second, "whatsapp", hosts(5), tally{duplicate: 3, capped: 2}},
		// The dedupe marks of the three counted hosts are still in Redis
		// (they expire on Redis's clock, not the test's): they stay
		// duplicates, and the two capped hosts count now.
		{"next window: the capped hosts count", time.Second, "whatsapp", hosts(5), tally{counted: 2, duplicate: 3}},
		{"and the window's cap still holds", 0, "whatsapp", hosts(7)[5:], tally{counted: 1, capped: 1}},
	}
	total := 0
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.clock.Set(f.clock.Now().Add(s.advance))
			var got tally
			// One by one, so that which host is capped is known.
			for _, c := range s.clients {
				g := f.send(t, s.service, []client{c})
				got.counted += g.counted
				got.duplicate += g.duplicate
				got.capped += g.capped
			}
			if got != s.want {
				t.Fatalf("got %+v, want %+v", got, s.want)
			}
			total += got.counted
			if n := f.streamLen(t); n != int64(total) {
				t.Fatalf("stream length %d, want %d", n, total)
			}
		})
	}
}

// TestForwardedAddress checks the address the web signs: believed from any
// peer when its signature verifies, by the rate limiter and the reporter
// key alike; otherwise the peer is the client.
func TestForwardedAddress(t *testing.T) {
	signer, err := forward.New("0123456789abcdef-forward-test")
	if err != nil {
		t.Fatal(err)
	}
	forger, err := forward.New("not-the-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	// One report per address and minute, so the limiter shows which
	// address it keyed on; no proxy is trusted.
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.Forward = signer; d.RateIP = "1-M" })
	signed := func(s *forward.Signer, addr string) http.Header {
		h := http.Header{}
		s.Set(h, netip.MustParseAddr(addr))
		return h
	}
	steps := []struct {
		name         string
		remote       string
		header       http.Header
		status       int
		wantReporter string // address whose reporter key the stream must hold
	}{
		{"valid signature from an untrusted peer", "10.9.0.5:1", signed(signer, "198.51.100.1"), 202, "198.51.100.1"},
		{"the limiter keys on the signed address too", "10.9.0.6:1", signed(signer, "198.51.100.1"), 429, ""},
		{"signed IPv6 address", "10.9.0.6:1", signed(signer, "2001:db8:5::1"), 202, "2001:db8:5::1"},
		{"forged signature: the peer is the client", "10.9.0.7:1", signed(forger, "198.51.100.2"), 202, "10.9.0.7"},
		{"address without signature: the peer is the client", "10.9.0.8:1",
			http.Header{forward.AddrHeader: {"198.51.100.3"}}, 202, "10.9.0.8"},
		{"X-Forwarded-For from an untrusted peer: the peer is the client", "10.9.0.9:1",
			http.Header{"X-Forwarded-For": {"198.51.100.4"}}, 202, "10.9.0.9"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			w := f.do(call{remote: s.remote, header: s.header, body: `{"service":"bca","symptom":"atm"}`})
			if w.Code != s.status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
			if s.wantReporter == "" {
				return
			}
			msgs, err := f.rdb.XRevRangeN(context.Background(), redis.Reports, "+", "-", 1).Result()
			if err != nil || len(msgs) != 1 {
				t.Fatalf("last entry: %v %v", msgs, err)
			}
			got, err := lapor.DecodeReport(msgs[0].Values[redis.ReportField].(string))
			if err != nil {
				t.Fatal(err)
			}
			if want := f.keyer.Key(f.clock.Now(), netip.MustParseAddr(s.wantReporter)); got.Reporter != want {
				t.Fatalf("reporter %s, want the key of %s (%s)", got.Reporter, s.wantReporter, want)
			}
		})
	}
}
