package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/client"
	"github.com/lapor/lapor/services/web/internal/contract"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// rig is the webhook API on a live server over fresh ClickHouse and Redis
// databases, with the alert log the dispatchers read.
type rig struct {
	ctx    context.Context
	store  Store
	alerts *redis.AlertLog
	base   string
	http   *http.Client
	opts   DispatcherOptions
	seq    int
}

// newRig serves the endpoints the way the web server wires them, behind a
// stand-in for partner.Auth: "Authorization: Bearer <owner>" authenticates
// as owner and the quota headers are set as the real middleware does.
func newRig(t *testing.T, allowPrivate bool) *rig {
	t.Helper()
	testenv.Need(t, env)
	conn := env.Migrated(t)
	rdb := env.RedisClient(t)
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{ctx: testenv.Ctx(t), store: clickhouse.NewWebhookStore(conn), alerts: redis.NewAlertLog(rdb)}
	api, err := NewAPI(APIOptions{
		Log: logging.Discard(), Store: r.store, Alerts: r.alerts, Catalog: cat,
		AllowPrivate: allowPrivate, Lookup: fakeLookup,
	})
	if err != nil {
		t.Fatal(err)
	}
	api.Owner = func(c *gin.Context) string { return c.GetString("owner") }
	auth := func(c *gin.Context) {
		owner, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || owner == "" {
			c.Header("WWW-Authenticate", "Bearer")
			httpapi.Abort(c, http.StatusUnauthorized, "unauthorized", "no key", "")
			return
		}
		c.Header("X-RateLimit-Limit", "600")
		c.Header("X-RateLimit-Remaining", "599")
		c.Header("X-RateLimit-Reset", "1700000000")
		c.Set("owner", owner)
	}
	eng, err := httpapi.NewEngine(logging.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	v1 := eng.Group("/v1", auth)
	v1.POST("/webhooks", api.Create)
	v1.GET("/webhooks", api.List)
	v1.GET("/webhooks/:id", api.Get)
	v1.DELETE("/webhooks/:id", api.Delete)
	v1.GET("/webhooks/:id/deliveries", api.Deliveries)
	srv := httptest.NewServer(eng)
	t.Cleanup(srv.Close)
	r.base = srv.URL
	r.http = &http.Client{Transport: &contract.Transport{T: t}, Timeout: 10 * time.Second}
	r.opts = DispatcherOptions{
		Log: logging.Discard(), Store: r.store, Alerts: r.alerts, Redis: rdb,
		Retry:   Retry{Base: 20 * time.Millisecond, Factor: 2, Cap: 100 * time.Millisecond, MaxAttempts: 10},
		Timeout: 300 * time.Millisecond, AllowPrivate: true,
		LeaseTTL: time.Second, Refresh: 100 * time.Millisecond,
	}
	return r
}

// call makes a request as owner, checked against the contract, and
// decodes a JSON answer into out when given.
func (r *rig) call(t *testing.T, owner, method, path string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, r.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if owner != "" {
		req.Header.Set("Authorization", "Bearer "+owner)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode %d answer: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp
}

type created struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// subscribe creates a webhook for owner through the API.
func (r *rig) subscribe(t *testing.T, owner, url string, f lapor.AlertFilter) created {
	t.Helper()
	var c created
	resp := r.call(t, owner, http.MethodPost, "/v1/webhooks", map[string]any{"url": url, "filter": f}, &c)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create webhook: status %d", resp.StatusCode)
	}
	return c
}

// publish appends events to the alert log as the detector does and
// returns their ids.
func (r *rig) publish(t *testing.T, evs ...lapor.AlertEvent) []string {
	t.Helper()
	var ids []string
	for _, ev := range evs {
		r.seq++
		if ev.ID == "" {
			ev.ID = fmt.Sprintf("ev%03d", r.seq)
		}
		if ev.Kind == "" {
			ev.Kind = lapor.AlertOpened
		}
		if ev.Service == "" {
			ev.Service = "whatsapp"
		}
		if ev.Level == "" {
			ev.Level = "possible"
		}
		ev.IncidentID = "inc-" + ev.Service
		ev.At = time.Unix(1700000000+int64(r.seq)*60, 0).UTC()
		p, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.alerts.Append(r.ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// events makes n plain events.
func events(n int) []lapor.AlertEvent { return make([]lapor.AlertEvent, n) }

// start runs a dispatcher until the returned stop is called (or the test
// ends); stop waits for Run to return and fails the test on its error.
func (r *rig) start(t *testing.T, opts DispatcherOptions) (stop func()) {
	t.Helper()
	d, err := NewDispatcher(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("dispatcher Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("dispatcher did not stop within 10s of cancellation")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// deliveries reads a webhook's delivery log through the API.
func (r *rig) deliveries(t *testing.T, owner, id, query string) []attemptJSON {
	t.Helper()
	var out struct {
		Deliveries []attemptJSON `json:"deliveries"`
	}
	resp := r.call(t, owner, http.MethodGet, "/v1/webhooks/"+id+"/deliveries"+query, nil, &out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deliveries: status %d", resp.StatusCode)
	}
	return out.Deliveries
}

// loggedDeliveries waits until the delivery log (with query) holds n
// attempts, as a receiver may accept an event just before its attempt is
// recorded, and returns them.
func (r *rig) loggedDeliveries(t *testing.T, owner, id, query string, n int) []attemptJSON {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds := r.deliveries(t, owner, id, query)
		if len(ds) >= n || time.Now().After(deadline) {
			if len(ds) != n {
				t.Fatalf("delivery log%s has %d attempts, want %d: %+v", query, len(ds), n, ds)
			}
			return ds
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receiver is a partner's endpoint. decide picks the answer to each
// request from the event id and which attempt at it this is (from 1); a
// status of 0 means hang until the sender gives up. Only answered 2xx
// requests are accepted.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	decide func(eventID string, attempt int) int

	mu       sync.Mutex
	secret   string
	accepted []string
	attempts map[string]int
	badSig   []string
	changed  chan struct{}
}

func newReceiver(t *testing.T, decide func(eventID string, attempt int) int) *receiver {
	rc := &receiver{t: t, decide: decide, attempts: map[string]int{}, changed: make(chan struct{}, 1)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) URL() string { return rc.srv.URL + "/hook" }

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	rc.secret = s
	rc.mu.Unlock()
}

func (rc *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get(client.EventIDHeader)
	rc.mu.Lock()
	if err := client.Verify(rc.secret, req.Header, body, time.Minute); err != nil || req.Header.Get("Content-Type") != "application/json" {
		rc.badSig = append(rc.badSig, fmt.Sprintf("%s: %v", id, err))
	}
	var ev lapor.AlertEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != id {
		rc.badSig = append(rc.badSig, fmt.Sprintf("%s: body %q does not carry the event", id, body))
	}
	rc.attempts[id]++
	n := rc.attempts[id]
	rc.mu.Unlock()
	status := rc.decide(id, n)
	if status == 0 {
		<-req.Context().Done() // the sender's timeout
		return
	}
	if status >= 200 && status < 300 {
		rc.mu.Lock()
		rc.accepted = append(rc.accepted, id)
		rc.mu.Unlock()
		select {
		case rc.changed <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(status)
}

// got returns the accepted event ids so far.
func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.accepted...)
}

// waitFor waits until n events have been accepted.
func (rc *receiver) waitFor(n int, d time.Duration) []string {
	rc.t.Helper()
	deadline := time.After(d)
	for {
		if got := rc.got(); len(got) >= n {
			return got
		}
		select {
		case <-rc.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			rc.t.Fatalf("receiver accepted %v within %s, want %d events", rc.got(), d, n)
		}
	}
}

// checkSignatures fails the test if any request was not properly signed.
func (rc *receiver) checkSignatures() {
	rc.t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.badSig) > 0 {
		rc.t.Errorf("badly signed or malformed deliveries: %v", rc.badSig)
	}
}

func accept(string, int) int { return http.StatusOK }
