package webhook

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// attemptsOf returns one event's attempts from a delivery log, first
// attempt first.
func attemptsOf(log []attemptJSON, eventID string) []attemptJSON {
	var out []attemptJSON
	for _, a := range log {
		if a.EventID == eventID {
			out = append(out, a)
		}
	}
	slices.Reverse(out)
	return out
}

func statuses(as []attemptJSON) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Status)
	}
	return out
}

func TestDispatcherRetriesUntilDeliveredInOrderAndSigned(t *testing.T) {
	r := newRig(t, true)
	// The first event meets a 500, a 503 and a timeout before it is
	// accepted; the third meets one 500. The rest go through at once.
	rc := newReceiver(t, func(id string, n int) int {
		switch {
		case id == "ev001" && n == 1:
			return http.StatusInternalServerError
		case id == "ev001" && n == 2:
			return http.StatusServiceUnavailable
		case id == "ev001" && n == 3:
			return 0
		case id == "ev003" && n == 1:
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	sub := r.subscribe(t, "keyA", rc.URL(), lapor.AlertFilter{})
	rc.setSecret(sub.Secret)
	r.start(t, r.opts)
	want := r.publish(t, events(5)...)
	if got := rc.waitFor(5, 15*time.Second); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v exactly once and in order", got, want)
	}
	rc.checkSignatures()

	log := r.loggedDeliveries(t, "keyA", sub.ID, "", 9) // 4 + 1 + 2 + 1 + 1
	first := attemptsOf(log, "ev001")
	if got := statuses(first); !slices.Equal(got, []string{"failed", "failed", "failed", "delivered"}) {
		t.Fatalf("ev001 attempts %v", got)
	}
	wantCodes := []int{500, 503, 0, 204}
	for i, a := range first {
		if a.Attempt != i+1 || a.StatusCode != wantCodes[i] || a.DeliveryID != first[0].DeliveryID || a.Cursor == "" {
			t.Errorf("ev001 attempt %d = %+v, want attempt %d answered %d under one delivery id", i, a, i+1, wantCodes[i])
		}
		if failed := a.Status == StatusFailed; failed != (a.NextAttemptAt != nil) || failed != (a.Error != "") {
			t.Errorf("ev001 attempt %d = %+v: failed attempts, and only they, have an error and a next attempt", i, a)
		}
	}
	if first[2].DurationMS < 250 {
		t.Errorf("the timed-out attempt took %d ms, want about the 300 ms timeout", first[2].DurationMS)
	}
	if got := statuses(attemptsOf(log, "ev003")); !slices.Equal(got, []string{"failed", "delivered"}) {
		t.Errorf("ev003 attempts %v", got)
	}
}

func TestDispatcherRestartLosesAndRepeatsNothing(t *testing.T) {
	r := newRig(t, true)
	var (
		mu    sync.Mutex
		stopA func()
		phase = "A"
	)
	stopped := make(chan struct{})
	// In the first dispatcher's life ev005 fails twice, and the second
	// failure stops that dispatcher while it waits to retry; every fourth
	// event's first attempt fails throughout.
	rc := newReceiver(t, func(id string, n int) int {
		mu.Lock()
		defer mu.Unlock()
		if id == "ev005" && phase == "A" {
			if n == 2 {
				phase = "B"
				go func() { stopA(); close(stopped) }()
			}
			return http.StatusBadGateway
		}
		if n == 1 && (id == "ev004" || id == "ev008" || id == "ev012") {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	sub := r.subscribe(t, "keyA", rc.URL(), lapor.AlertFilter{})
	rc.setSecret(sub.Secret)
	opts := r.opts
	opts.Retry.Base, opts.Retry.Cap = 200*time.Millisecond, 400*time.Millisecond
	mu.Lock()
	stopA = r.start(t, opts)
	mu.Unlock()
	want := r.publish(t, events(10)...)
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatalf("ev005 never failed twice; accepted %v", rc.got())
	}
	if got := rc.got(); !slices.Equal(got, want[:4]) {
		t.Fatalf("before the restart accepted %v, want %v", got, want[:4])
	}
	want = append(want, r.publish(t, events(5)...)...)
	r.start(t, opts)
	if got := rc.waitFor(len(want), 15*time.Second); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v exactly once and in order", got, want)
	}
	rc.checkSignatures()
	// The interrupted retry resumed where it stood: attempt 3, not 1.
	r.loggedDeliveries(t, "keyA", sub.ID, "?status=delivered&limit=1000", len(want))
	as := attemptsOf(r.deliveries(t, "keyA", sub.ID, "?limit=1000"), "ev005")
	if got := statuses(as); !slices.Equal(got, []string{"failed", "failed", "delivered"}) || as[2].Attempt != 3 {
		t.Errorf("ev005 attempts %+v, want failed, failed, then delivered at attempt 3", as)
	}
}

func TestDispatcherDeadLettersAfterTheLastAttemptAndMovesOn(t *testing.T) {
	r := newRig(t, true)
	rc := newReceiver(t, func(id string, n int) int {
		if id == "ev002" {
			return http.StatusGone
		}
		return http.StatusOK
	})
	sub := r.subscribe(t, "keyA", rc.URL(), lapor.AlertFilter{})
	rc.setSecret(sub.Secret)
	opts := r.opts
	opts.Retry.MaxAttempts = 3
	r.start(t, opts)
	ids := r.publish(t, events(3)...)
	if got := rc.waitFor(2, 15*time.Second); !slices.Equal(got, []string{ids[0], ids[2]}) {
		t.Fatalf("accepted %v, want %v", got, []string{ids[0], ids[2]})
	}
	dead := r.loggedDeliveries(t, "keyA", sub.ID, "?status=dead", 1)
	if len(dead) != 1 || dead[0].EventID != "ev002" || dead[0].Attempt != 3 || dead[0].StatusCode != http.StatusGone || dead[0].NextAttemptAt != nil {
		t.Fatalf("dead letters %+v, want ev002 after its third attempt", dead)
	}
	if got := statuses(attemptsOf(r.deliveries(t, "keyA", sub.ID, ""), "ev002")); !slices.Equal(got, []string{"failed", "failed", "dead"}) {
		t.Errorf("ev002 attempts %v", got)
	}
}

func TestDispatcherFiltersAndASlowReceiverHoldsUpNoOne(t *testing.T) {
	r := newRig(t, true)
	evs := []lapor.AlertEvent{
		{Service: "gojek", Level: "possible", Countries: []string{"ID"}},
		{Service: "whatsapp", Level: "detected", Countries: []string{"SG", "MY"}},
		{Service: "gojek", Level: "detected", Countries: []string{"ID", "SG"}},
		{Service: "grab", Level: "possible"},
		{Service: "whatsapp", Level: "possible", Countries: []string{"US"}},
	}
	tests := []struct {
		name   string
		filter lapor.AlertFilter
		want   []string
	}{
		{"service", lapor.AlertFilter{Services: []string{"gojek"}}, []string{"ev001", "ev003"}},
		{"level", lapor.AlertFilter{Levels: []string{"detected"}}, []string{"ev002", "ev003"}},
		{"country", lapor.AlertFilter{Countries: []string{"sg"}}, []string{"ev002", "ev003"}},
		{"all must hold", lapor.AlertFilter{Services: []string{"whatsapp"}, Levels: []string{"possible"}}, []string{"ev005"}},
		{"none", lapor.AlertFilter{}, []string{"ev001", "ev002", "ev003", "ev004", "ev005"}},
	}
	// A receiver that never answers: every attempt takes the full timeout.
	slow := newReceiver(t, func(string, int) int { return 0 })
	slowSub := r.subscribe(t, "keyA", slow.URL(), lapor.AlertFilter{})
	slow.setSecret(slowSub.Secret)
	rcs := make([]*receiver, len(tests))
	for i, tt := range tests {
		rcs[i] = newReceiver(t, accept)
		sub := r.subscribe(t, "keyA", rcs[i].URL(), tt.filter)
		rcs[i].setSecret(sub.Secret)
	}
	opts := r.opts
	opts.Timeout = 3 * time.Second
	opts.LeaseTTL = 10 * time.Second
	r.start(t, opts)
	r.publish(t, evs...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Well within the slow receiver's first timeout.
			if got := rcs[i].waitFor(len(tt.want), 2*time.Second); !slices.Equal(got, tt.want) {
				t.Errorf("accepted %v, want %v", got, tt.want)
			}
			rcs[i].checkSignatures()
		})
	}
	if got := slow.got(); len(got) != 0 {
		t.Errorf("the slow receiver accepted %v", got)
	}
}

func TestOnlyTheLeaseHolderDelivers(t *testing.T) {
	r := newRig(t, true)
	rc := newReceiver(t, accept)
	sub := r.subscribe(t, "keyA", rc.URL(), lapor.AlertFilter{})
	rc.setSecret(sub.Secret)
	stopA := r.start(t, r.opts)
	time.Sleep(200 * time.Millisecond) // A takes the lease first
	r.start(t, r.opts)
	want := r.publish(t, events(5)...)
	rc.waitFor(5, 10*time.Second)
	stopA() // B takes over
	want = append(want, r.publish(t, events(5)...)...)
	if got := rc.waitFor(10, 10*time.Second); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v exactly once and in order", got, want)
	}
	time.Sleep(300 * time.Millisecond)
	if got := rc.got(); len(got) != 10 {
		t.Errorf("accepted %d events in the end, want 10", len(got))
	}
}

func TestDeletedWebhookStopsReceiving(t *testing.T) {
	r := newRig(t, true)
	rc := newReceiver(t, accept)
	sub := r.subscribe(t, "keyA", rc.URL(), lapor.AlertFilter{})
	rc.setSecret(sub.Secret)
	r.start(t, r.opts)
	r.publish(t, events(1)...)
	rc.waitFor(1, 10*time.Second)
	if resp := r.call(t, "keyA", http.MethodDelete, "/v1/webhooks/"+sub.ID, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	time.Sleep(3 * r.opts.Refresh)
	r.publish(t, events(2)...)
	time.Sleep(500 * time.Millisecond)
	if got := rc.got(); len(got) != 1 {
		t.Errorf("after deletion the receiver got %v", got)
	}
}
