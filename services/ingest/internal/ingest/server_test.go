package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/ingest/internal/geo"
	"github.com/lapor/lapor/services/ingest/internal/geo/geotest"
	"github.com/lapor/lapor/services/ingest/internal/ingest"
	"github.com/lapor/lapor/services/ingest/internal/reporter"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.MainRedis(m, &env)) }

const testSecret = "test-secret"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type fixture struct {
	h     http.Handler
	rdb   *goredis.Client
	clock *clock
	keyer *reporter.Keyer
}

func newFixture(t testing.TB, rdb *goredis.Client, edit func(*ingest.Deps)) *fixture {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	keyer, err := reporter.New([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	d := ingest.Deps{
		Log:      logging.Discard(),
		Redis:    rdb,
		Catalog:  cat,
		Reporter: keyer,
		RateIP:   "1000-M",
		RateNet:  "1000-M",
		Now:      clk.Now,
	}
	if edit != nil {
		edit(&d)
	}
	h, err := ingest.NewServer(d)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, rdb: rdb, clock: clk, keyer: keyer}
}

type call struct {
	method, path, contentType, remote, ua, body string
	contentLength                               int64 // 0: from body; -1: unknown (chunked)
	header                                      http.Header
}

func (f *fixture) do(c call) *httptest.ResponseRecorder {
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/api/v1/reports"
	}
	if c.remote == "" {
		c.remote = "203.0.113.10:40000"
	}
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	req.RemoteAddr = c.remote
	if c.contentType != "-" {
		if c.contentType == "" {
			c.contentType = "application/json"
		}
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if c.contentLength != 0 {
		req.ContentLength = c.contentLength
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func (f *fixture) post(remote, ua, body string) *httptest.ResponseRecorder {
	return f.do(call{remote: remote, ua: ua, body: body})
}

func (f *fixture) streamLen(t *testing.T) int64 {
	t.Helper()
	n, err := f.rdb.XLen(context.Background(), redis.Reports).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) httpapi.ErrorDetail {
	t.Helper()
	var b httpapi.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return b.Error
}

func assertRetryAfter(t *testing.T, w *httptest.ResponseRecorder, max int) {
	t.Helper()
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 || secs > max {
		t.Fatalf("Retry-After %q, want 1..%d", w.Header().Get("Retry-After"), max)
	}
}

type reply struct {
	ID      string `json:"id"`
	Counted bool   `json:"counted"`
	Reason  string `json:"reason"`
}

func decodeReply(t *testing.T, w *httptest.ResponseRecorder) reply {
	t.Helper()
	var r reply
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %q: %v", w.Body, err)
	}
	return r
}

func TestClientErrors(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	ok := `{"service":"bca","symptom":"atm"}`
	big := `{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("x", 5000) + `"}`
	tests := []struct {
		name   string
		c      call
		status int
		code   string
		field  string
	}{
		{"unknown service", call{body: `{"service":"nope","symptom":"atm"}`}, 404, "unknown_service", "service"},
		{"unknown symptom", call{body: `{"service":"bca","symptom":"calls"}`}, 422, "unknown_symptom", "symptom"},
		{"body over 4 KiB", call{body: big}, 413, "body_too_large", ""},
		{"body over 4 KiB, length unknown", call{body: big, contentLength: -1}, 413, "body_too_large", ""},
		{"Content-Length over 4 KiB", call{body: ok, contentLength: ingest.MaxBody + 1}, 413, "body_too_large", ""},
		{"malformed JSON", call{body: `{"service":`}, 400, "malformed_json", ""},
		{"wrong type", call{body: `{"service":"bca","symptom":7}`}, 400, "malformed_json", "symptom"},
		{"unknown field", call{body: `{"service":"bca","symptom":"atm","ip":"1.2.3.4"}`}, 400, "unknown_field", "ip"},
		{"missing service", call{body: `{"symptom":"atm"}`}, 400, "missing_field", "service"},
		{"missing symptom", call{body: `{"service":"bca"}`}, 400, "missing_field", "symptom"},
		{"comment too long", call{body: `{"service":"bca","symptom":"atm","comment":"` + strings.Repeat("ü", 281) + `"}`}, 422, "invalid_comment", "comment"},
		{"comment not UTF-8", call{body: "{\"service\":\"bca\",\"symptom\":\"atm\",\"comment\":\"\xc3\x28\"}"}, 422, "invalid_comment", "comment"},
		{"platform not allowed", call{body: `{"service":"bca","symptom":"atm","platform":"tv"}`}, 422, "invalid_platform", "platform"},
		{"wrong content type", call{body: ok, contentType: "text/plain"}, 415, "unsupported_media_type", ""},
		{"no content type", call{body: ok, contentType: "-"}, 415, "unsupported_media_type", ""},
		{"trailing garbage", call{body: ok + "garbage"}, 400, "malformed_json", ""},
		{"wrong method", call{method: http.MethodGet}, 405, "method_not_allowed", ""},
		{"no such endpoint", call{path: "/api/v1/nope"}, 404, "not_found", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.remote = fmt.Sprintf("198.51.100.%d:1", i+1)
			w := f.do(tt.c)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			e := errorCode(t, w)
			if e.Code != tt.code || e.Field != tt.field || e.Message == "" {
				t.Fatalf("error %+v, want code %q field %q", e, tt.code, tt.field)
			}
		})
	}
	if n := f.streamLen(t); n != 0 {
		t.Fatalf("%d entries in the stream after only bad requests", n)
	}
}

func TestAccepted(t *testing.T) {
	db := geotest.Write(t, geotest.City{Network: "203.0.113.0/24", Country: "ID", Region: "JK", City: "Jakarta", ASN: 64500, ISP: "Example Net"})
	locator, err := geo.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locator.Close() })
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.Geo = locator })

	w := f.post("203.0.113.10:40000", "Mozilla/5.0 test",
		`{"service":"gojek","symptom":"payments","comment":"GoPay gagal","platform":"android"}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	rep := decodeReply(t, w)
	id, err := uuid.Parse(rep.ID)
	if err != nil || id.Version() != 7 || !rep.Counted {
		t.Fatalf("reply %+v: want counted with a UUIDv7 id (%v)", rep, err)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if w.Header().Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}

	msgs, err := f.rdb.XRange(context.Background(), redis.Reports, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d stream entries, want 1", len(msgs))
	}
	raw, _ := msgs[0].Values[redis.ReportField].(string)
	got, err := lapor.DecodeReport(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := lapor.Report{
		ID:       rep.ID,
		Service:  "gojek",
		Symptom:  "payments",
		Time:     f.clock.Now(),
		Country:  "ID",
		Region:   "JK",
		City:     "Jakarta",
		ASN:      64500,
		ISP:      "Example Net",
		Platform: "android",
		Reporter: f.keyer.Key(f.clock.Now(), netip.MustParseAddr("203.0.113.10")),
		// The key the network cap counted it under, for the detector.
		Network: f.keyer.Network(f.clock.Now(), netip.MustParseAddr("203.0.113.10")),
		Comment: "GoPay gagal",
	}
	if got.Network == "" || got.Network == got.Reporter {
		t.Errorf("stream report network key %q: want a key of its own", got.Network)
	}
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC", got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Fatalf("stream report\n got %+v\nwant %+v", got, want)
	}
	if strings.Contains(raw, "203.0.113.") {
		t.Fatal("the raw client address or its network's prefix reached the stream")
	}

	// A private address is stored without location.
	w = f.post("10.0.0.1:1", "ua", `{"service":"bca","symptom":"atm"}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("private address: %d %s", w.Code, w.Body)
	}
	msgs = f.rdb.XRevRangeN(context.Background(), redis.Reports, "+", "-", 1).Val()
	got, err = lapor.DecodeReport(msgs[0].Values[redis.ReportField].(string))
	if err != nil || got.Country != "" || got.City != "" || got.ASN != 0 {
		t.Fatalf("private address located: %+v (%v)", got, err)
	}
}

func TestDedupe(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	const ua = "Mozilla/5.0"
	steps := []struct {
		name          string
		remote, ua    string
		body          string
		advance       time.Duration
		status        int
		counted       bool
		wantStreamLen int64
	}{
		{"first report counts", "203.0.113.5:1", ua, `{"service":"bca","symptom":"atm"}`, 0, 202, true, 1},
		{"same reporter and service does not", "203.0.113.5:2", ua, `{"service":"bca","symptom":"login"}`, time.Minute, 200, false, 1},
		{"same reporter, other service counts", "203.0.113.5:3", ua, `{"service":"gojek","symptom":"app"}`, 0, 202, true, 2},
		{"same address, other user agent does not", "203.0.113.5:4", "curl/8", `{"service":"bca","symptom":"atm"}`, 0, 200, false, 2},
		{"same address, no user agent does not", "203.0.113.5:4", "", `{"service":"bca","symptom":"atm"}`, 0, 200, false, 2},
		{"other address in the /24 counts", "203.0.113.6:1", ua, `{"service":"bca","symptom":"atm"}`, 0, 202, true, 3},
		{"still within the window", "203.0.113.5:5", ua, `{"service":"bca","symptom":"atm"}`, 13 * time.Minute, 200, false, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.clock.Set(f.clock.Now().Add(s.advance))
			w := f.post(s.remote, s.ua, s.body)
			if w.Code != s.status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
			r := decodeReply(t, w)
			if r.Counted != s.counted || (r.ID == "") == s.counted {
				t.Fatalf("reply %+v, want counted=%v", r, s.counted)
			}
			if wantReason := map[bool]string{true: "", false: "duplicate"}[s.counted]; r.Reason != wantReason {
				t.Fatalf("reason %q, want %q", r.Reason, wantReason)
			}
			if n := f.streamLen(t); n != s.wantStreamLen {
				t.Fatalf("stream length %d, want %d", n, s.wantStreamLen)
			}
		})
	}
}

func TestDedupeKeysRotateDaily(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	f.clock.Set(time.Date(2025, 6, 1, 23, 59, 0, 0, time.UTC))
	body := `{"service":"bca","symptom":"atm"}`
	if w := f.post("203.0.113.5:1", "ua", body); w.Code != 202 {
		t.Fatalf("first: %d", w.Code)
	}
	f.clock.Set(time.Date(2025, 6, 2, 0, 0, 30, 0, time.UTC))
	// A new day's reporter key cannot be linked to yesterday's.
	if w := f.post("203.0.113.5:1", "ua", body); w.Code != 202 {
		t.Fatalf("next day: %d %s", w.Code, w.Body)
	}
}

func TestBacklogFull(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.MaxBacklog = 2 })
	body := `{"service":"bca","symptom":"atm"}`
	for i := range 2 {
		if w := f.post(fmt.Sprintf("203.0.113.%d:1", i+1), "ua", body); w.Code != 202 {
			t.Fatalf("report %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := f.post("203.0.113.3:1", "ua", body)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
	}
	assertRetryAfter(t, w, 60)
	if e := errorCode(t, w); e.Code != "overloaded" {
		t.Fatalf("code %q, want overloaded", e.Code)
	}
	if n := f.streamLen(t); n != 2 {
		t.Fatalf("stream length %d, want 2", n)
	}

	// Once the worker catches up the refused reporter is counted: the
	// refusal left no dedupe mark behind.
	ctx := context.Background()
	first := f.rdb.XRangeN(ctx, redis.Reports, "-", "+", 1).Val()
	f.rdb.XDel(ctx, redis.Reports, first[0].ID)
	if w := f.post("203.0.113.3:1", "ua", body); w.Code != 202 {
		t.Fatalf("after drain: %d %s", w.Code, w.Body)
	}
}

func TestRateLimited(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.RateIP = "3-M"; d.RateNet = "5-M" })
	// Different services, so that every report is appended.
	for i, body := range []string{
		`{"service":"bca","symptom":"atm"}`,
		`{"service":"gojek","symptom":"app"}`,
		`{"service":"whatsapp","symptom":"app"}`,
	} {
		if w := f.post("203.0.113.7:1", "ua", body); w.Code != 202 {
			t.Fatalf("report %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := f.post("203.0.113.7:1", "ua", `{"service":"bca","symptom":"login"}`)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", w.Code, w.Body)
	}
	assertRetryAfter(t, w, 60)
	if e := errorCode(t, w); e.Code != "rate_limited" {
		t.Fatalf("code %q", e.Code)
	}
	if w.Header().Get("X-RateLimit-Remaining") != "0" || w.Header().Get("X-RateLimit-Limit") != "3" {
		t.Fatalf("headers %v", w.Header())
	}
	// A bad request from a limited client is still refused by the limit.
	if w := f.post("203.0.113.7:1", "ua", `garbage`); w.Code != 429 {
		t.Fatalf("bad request while limited: %d", w.Code)
	}
	// Neighbours share the /24's budget of 5: two more, then refused.
	for i, want := range []int{202, 202, 429} {
		if w := f.post(fmt.Sprintf("203.0.113.%d:1", 20+i), "ua", `{"service":"bca","symptom":"atm"}`); w.Code != want {
			t.Fatalf("neighbour %d: %d, want %d", i, w.Code, want)
		}
	}
	if n := f.streamLen(t); n != 5 {
		t.Fatalf("stream length %d, want 5", n)
	}
}

func TestRedisDown(t *testing.T) {
	testenv.Need(t, env)
	r, rdb := testenv.OwnRedis(t)
	f := newFixture(t, rdb, nil)
	if w := f.post("203.0.113.1:1", "ua", `{"service":"bca","symptom":"atm"}`); w.Code != 202 {
		t.Fatalf("with Redis up: %d %s", w.Code, w.Body)
	}
	r.Kill()
	w := f.post("203.0.113.2:1", "ua", `{"service":"bca","symptom":"atm"}`)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
	}
	assertRetryAfter(t, w, 60)
	if e := errorCode(t, w); e.Code != "unavailable" {
		t.Fatalf("code %q", e.Code)
	}
	if w := f.do(call{method: http.MethodGet, path: "/readyz"}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: %d", w.Code)
	}
	if w := f.do(call{method: http.MethodGet, path: "/healthz"}); w.Code != http.StatusOK {
		t.Fatalf("healthz with Redis down: %d", w.Code)
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	for _, p := range []string{"/healthz", "/readyz"} {
		if w := f.do(call{method: http.MethodGet, path: p}); w.Code != http.StatusOK {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
}

func TestNewServerValidates(t *testing.T) {
	rdb := env.RedisClient(t)
	tests := []struct {
		name string
		edit func(*ingest.Deps)
	}{
		{"no redis", func(d *ingest.Deps) { d.Redis = nil }},
		{"no catalog", func(d *ingest.Deps) { d.Catalog = nil }},
		{"no reporter", func(d *ingest.Deps) { d.Reporter = nil }},
		{"bad ip rate", func(d *ingest.Deps) { d.RateIP = "lots" }},
		{"zero net rate", func(d *ingest.Deps) { d.RateNet = "0-M" }},
		{"negative network cap", func(d *ingest.Deps) { d.NetCap = -1 }},
		{"bad trusted proxy", func(d *ingest.Deps) { d.TrustedProxies = []string{"not-an-ip"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, _ := catalog.Load()
			k, _ := reporter.New([]byte("s"))
			d := ingest.Deps{Log: logging.Discard(), Redis: rdb, Catalog: cat, Reporter: k}
			tt.edit(&d)
			if _, err := ingest.NewServer(d); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestDuplicateSaysWhenItCountsAgain(t *testing.T) {
	cases := []struct {
		name  string
		first time.Time
		// want is retry_at; the dedupe key's real TTL runs while the test
		// does, so retry_at may be up to slack before it.
		want time.Time
	}{
		{"after the dedupe window", time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 12, 15, 0, 0, time.UTC)},
		{"at midnight if sooner, when reporter keys change", time.Date(2025, 6, 1, 23, 50, 0, 0, time.UTC), time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)},
	}
	const slack = 10 * time.Second
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, env.RedisClient(t), nil)
			f.clock.Set(tc.first)
			if w := f.post("203.0.113.5:1", "ua", `{"service":"bca","symptom":"atm"}`); w.Code != 202 {
				t.Fatalf("first: %d %s", w.Code, w.Body)
			}
			// A different symptom is still the same person reporting.
			w := f.post("203.0.113.5:2", "ua", `{"service":"bca","symptom":"login"}`)
			if w.Code != 200 {
				t.Fatalf("second: %d %s", w.Code, w.Body)
			}
			var r struct {
				Counted bool    `json:"counted"`
				Reason  string  `json:"reason"`
				RetryAt *string `json:"retry_at"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			if r.Counted || r.Reason != "duplicate" || r.RetryAt == nil {
				t.Fatalf("reply %s, want a duplicate with retry_at", w.Body)
			}
			at, err := time.Parse(time.RFC3339, *r.RetryAt)
			if err != nil {
				t.Fatalf("retry_at %q is not RFC 3339: %v", *r.RetryAt, err)
			}
			if at.After(tc.want) || at.Before(tc.want.Add(-slack)) || at.Location() != time.UTC || !at.Equal(at.Truncate(time.Second)) {
				t.Fatalf("retry_at %s, want whole seconds UTC in [%s, %s]", *r.RetryAt, tc.want.Add(-slack), tc.want)
			}
		})
	}
}

// TestConcurrentReportsEachGetTheirOwnAnswer: reports sent together share
// Redis round trips, and still each get their own answer: of many
// reporters each reporting twice at once, exactly one of each pair counts.
func TestConcurrentReportsEachGetTheirOwnAnswer(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	const reporters = 100
	codes := make([]int, 2*reporters)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			remote := fmt.Sprintf("198.%d.%d.1:1", 18+(i/2)/256, (i/2)%256) // a /24 each
			codes[i] = f.post(remote, "ua", `{"service":"whatsapp","symptom":"app"}`).Code
		})
	}
	wg.Wait()
	for r := range reporters {
		got := []int{codes[2*r], codes[2*r+1]}
		slices.Sort(got)
		if got[0] != http.StatusOK || got[1] != http.StatusAccepted {
			t.Errorf("reporter %d: answers %v, want one 202 and one 200", r, got)
		}
	}
	if n := f.streamLen(t); n != reporters {
		t.Fatalf("stream holds %d, want %d", n, reporters)
	}
}
