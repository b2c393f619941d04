package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/client"
)

// receiver is a partner's webhook endpoint: it checks every signature,
// refuses deliveries while down, and keeps the events it accepted.
type receiver struct {
	secret string
	mu     sync.Mutex
	down   bool
	fails  int // the next this many deliveries fail with 500
	got    []string
	bad    []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := client.Verify(r.secret, req.Header, body, 5*time.Minute); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.down || r.fails > 0 {
		if r.fails > 0 {
			r.fails--
		}
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	r.got = append(r.got, req.Header.Get(client.EventIDHeader))
}

func (r *receiver) accepted() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...), append([]string(nil), r.bad...)
}

// createKey runs the admin command as an operator would.
func createKey(t *testing.T, scopes string) string {
	t.Helper()
	cmd := exec.Command(binDir+"/web", "keys", "create", "-name", "e2e partner", "-scopes", scopes, "-quota", "6000-M")
	cmd.Env = st.CommonEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("web keys create: %v\n%s", err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// burst has n people report a problem with slug.
func burst(t *testing.T, slug, symptom string, block, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if code := post(t, slug, symptom, personIP(block, 3000+i), "partner-burst"); code != http.StatusAccepted {
			t.Fatalf("burst report %d on %s: status %d", i, slug, code)
		}
	}
}

// TestPartnerSeesEveryAlertOnceAcrossAWebRestart follows two real
// incidents from the detector to a partner through all three channels —
// webhook, polling with cursors and the event stream — while the web
// service (which delivers the webhooks) is stopped and started again in
// the middle. Every channel must hold the same events in the same order,
// none missed or repeated, every delivery correctly signed.
func TestPartnerSeesEveryAlertOnceAcrossAWebRestart(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	first, second := "gojek", "tokopedia"
	filter := client.Filter{Services: []string{first, second}}

	key := createKey(t, "alerts:read,series:read,webhooks:manage")
	c := client.New(st.URL("web"), key, nil)
	rcv := &receiver{fails: 2}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	hook, err := c.CreateWebhook(ctx, client.WebhookRequest{URL: srv.URL, Filter: filter, Description: "e2e"})
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	rcv.mu.Lock()
	rcv.secret = hook.Secret
	rcv.mu.Unlock()

	// The stream, resumed by Last-Event-ID whenever the web goes away.
	var (
		smu      sync.Mutex
		streamed []string
		lastID   string
	)
	streamDone := make(chan struct{})
	sctx, stopStream := context.WithCancel(ctx)
	go func() {
		defer close(streamDone)
		for sctx.Err() == nil {
			smu.Lock()
			from := lastID
			smu.Unlock()
			_ = c.Stream(sctx, from, filter, func(e client.Entry) error {
				smu.Lock()
				defer smu.Unlock()
				streamed = append(streamed, e.Event.ID)
				lastID = e.Cursor
				return nil
			})
			time.Sleep(200 * time.Millisecond)
		}
	}()
	time.Sleep(500 * time.Millisecond) // the stream is listening before the first event

	burst(t, first, "app", 0, 60)
	eventually(t, 60*time.Second, "first incident's webhook", func() (bool, string) {
		got, _ := rcv.accepted()
		return len(got) >= 1, fmt.Sprintf("%d deliveries accepted", len(got))
	})

	// The partner's endpoint goes down, then the web service restarts
	// while the second incident opens.
	rcv.mu.Lock()
	rcv.down = true
	rcv.mu.Unlock()
	if err := st.Procs["web"].Stop(10 * time.Second); err != nil {
		t.Fatalf("stop web: %v", err)
	}
	burst(t, second, "login", 1, 60)
	time.Sleep(3 * time.Second) // the detector publishes while web is down
	if err := st.StartService(ctx, "web"); err != nil {
		t.Fatalf("restart web: %v", err)
	}
	time.Sleep(2 * time.Second) // a few retries fail against the down endpoint
	rcv.mu.Lock()
	rcv.down = false
	rcv.mu.Unlock()

	// Polling from the beginning with cursors.
	var polled []string
	eventually(t, 60*time.Second, "both incidents polled and delivered", func() (bool, string) {
		polled = polled[:0]
		services := map[string]bool{}
		since := ""
		for {
			page, err := c.Alerts(ctx, since, filter)
			if err != nil {
				return false, err.Error()
			}
			for _, e := range page.Entries {
				polled = append(polled, e.Event.ID)
				services[e.Event.Service] = true
			}
			since = page.NextCursor
			if !page.HasMore {
				break
			}
		}
		got, _ := rcv.accepted()
		smu.Lock()
		n := len(streamed)
		smu.Unlock()
		return services[first] && services[second] && len(got) == len(polled) && n == len(polled),
			fmt.Sprintf("polled %d (services %v), delivered %d, streamed %d", len(polled), services, len(got), n)
	})
	stopStream()
	<-streamDone

	got, bad := rcv.accepted()
	smu.Lock()
	defer smu.Unlock()
	if len(bad) > 0 {
		t.Errorf("deliveries with bad signatures: %v", bad)
	}
	for name, seq := range map[string][]string{"webhook": got, "stream": streamed} {
		if strings.Join(seq, ",") != strings.Join(polled, ",") {
			t.Errorf("%s saw %v, polling saw %v", name, seq, polled)
		}
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("event %s delivered twice", id)
		}
		seen[id] = true
	}
	ds, err := c.Deliveries(ctx, hook.ID, "failed", 100)
	if err != nil {
		t.Fatalf("delivery log: %v", err)
	}
	t.Logf("%d events through each channel; %d failed attempts in the delivery log", len(polled), len(ds))
	if len(ds) < 2 {
		t.Errorf("delivery log shows %d failed attempts, want the receiver's refusals", len(ds))
	}
}
