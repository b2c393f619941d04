package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
	"github.com/lapor/lapor/services/simulator/internal/persona"
	"github.com/lapor/lapor/services/simulator/internal/traffic"
)

type received struct {
	mu       sync.Mutex
	bodies   []map[string]any
	services map[string]int
	xff      map[string]int
	bad      []string
	n        int
}

// TestRunAgainstServer runs the binary's run for two seconds at a high rate
// against a fake ingest that checks every request.
func TestRunAgainstServer(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := &received{services: map[string]int{}, xff: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.mu.Lock()
		defer got.mu.Unlock()
		fail := func(msg string) {
			got.bad = append(got.bad, msg)
			w.WriteHeader(http.StatusBadRequest)
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/reports" || r.Header.Get("Content-Type") != "application/json" {
			fail("bad request line or content type: " + r.Method + " " + r.URL.Path)
			return
		}
		ip, err := netip.ParseAddr(r.Header.Get("X-Forwarded-For"))
		if err != nil || !persona.IsPublic(ip) {
			fail("X-Forwarded-For not a public IPv4: " + r.Header.Get("X-Forwarded-For"))
			return
		}
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "Mozilla/5.0 (") {
			fail("user agent " + ua)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var b struct {
			Service, Symptom, Platform, Comment string
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			fail("body " + string(raw) + ": " + err.Error())
			return
		}
		svc, ok := cat.Get(b.Service)
		if !ok || !svc.HasIndicator(b.Symptom) {
			fail("service/symptom " + string(raw))
			return
		}
		got.services[b.Service]++
		got.xff[ip.String()]++
		// Every 50th looks like a duplicate, to exercise the counting.
		if got.n++; got.n%50 == 0 {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	const rate = 300.0
	var stderr bytes.Buffer
	start := time.Now()
	err = run(context.Background(), []string{
		"-target", srv.URL + "/api/v1/reports",
		"-rate", "300",
		"-duration", "2s",
		"-seed", "7",
		"-outages", "bca@+0s:10m:20x",
		"-random-outages=false",
		"-concurrency", "8",
	}, func(string) string { return "" }, io.Discard, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if el := time.Since(start); el < 1900*time.Millisecond || el > 5*time.Second {
		t.Errorf("run took %v for a 2s duration", el)
	}

	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.bad) > 0 {
		t.Fatalf("%d bad requests, first: %s", len(got.bad), got.bad[0])
	}
	total := 0
	for _, n := range got.services {
		total += n
	}
	model, err := traffic.NewModel(cat.All(), rate)
	if err != nil {
		t.Fatal(err)
	}
	expected := model.Total(start) * 2
	if float64(total) < 0.5*expected {
		t.Fatalf("server got %d reports, model expects about %.0f", total, expected)
	}
	if len(got.services) < 40 {
		t.Errorf("only %d services reported on", len(got.services))
	}
	if float64(len(got.xff)) < 0.7*float64(total) {
		t.Errorf("%d distinct X-Forwarded-For for %d reports", len(got.xff), total)
	}
	// The outage makes bca's share about twenty times its usual share.
	i, _ := model.Index("bca")
	baseShare := model.Rate(i, start) / model.Total(start)
	share := float64(got.services["bca"]) / float64(total)
	if share < 8*baseShare {
		t.Errorf("bca share %.4f during a 20x outage, usual share %.4f", share, baseShare)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"simulator finished"`) || !strings.Contains(logs, `"msg":"simulated outage started"`) {
		t.Errorf("missing start/finish logs:\n%s", logs)
	}
	if d := finalCount(t, logs, "duplicates"); d < 1 || d > got.n/50 {
		t.Errorf("final log counts %d duplicates, server sent %d", d, got.n/50)
	}
	if a := finalCount(t, logs, "accepted"); a < got.n*9/10 || a > got.n {
		t.Errorf("final log counts %d accepted, server took %d", a, got.n)
	}
	t.Logf("%d reports, %d services, %d addresses, bca share %.4f (usual %.4f)", total, len(got.services), len(got.xff), share, baseShare)
	for ip := range got.xff {
		if strings.Contains(logs, ip) {
			t.Fatalf("logs contain a client address %s", ip)
		}
	}
}

func TestRunRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"bad outage", []string{"-outages", "whatsapp@+2m:10m"}, nil},
		{"unknown outage service", []string{"-outages", "nosuch@+2m:10m:5x"}, nil},
		{"zero rate", []string{"-rate", "0"}, nil},
		{"bad target", []string{"-target", "ftp://x"}, nil},
		{"no concurrency", []string{"-concurrency", "0"}, nil},
		{"bad log level", []string{"-log-level", "loud"}, nil},
		{"unknown flag", []string{"-nope"}, nil},
		{"stray argument", []string{"backfill"}, nil},
		{"bad env", nil, map[string]string{"LAPOR_RATE": "fast"}},
		{"short forward secret", nil, map[string]string{"LAPOR_FORWARD_SECRET": "too-short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := run(ctx, tt.args, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestRunSignsAddresses runs briefly with a forward secret: every report
// carries a person's address that verifies under the secret, and none
// claims one in X-Forwarded-For.
func TestRunSignsAddresses(t *testing.T) {
	const secret = "simulator-run-forward-secret"
	verify, err := forward.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var n int
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		addr, ok := verify.Addr(r.Header)
		switch {
		case !ok:
			bad = append(bad, "unsigned or unverified address")
		case !persona.IsPublic(addr):
			bad = append(bad, "signed address not public: "+addr.String())
		case r.Header.Get("X-Forwarded-For") != "":
			bad = append(bad, "X-Forwarded-For sent beside the signature")
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"-target", srv.URL + "/api/v1/reports", "-rate", "200", "-duration", "500ms", "-seed", "3", "-random-outages=false"},
		func(k string) string { return map[string]string{"LAPOR_FORWARD_SECRET": secret}[k] }, io.Discard, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if n == 0 || len(bad) > 0 {
		t.Fatalf("%d reports, %d bad: %v", n, len(bad), bad[:min(len(bad), 3)])
	}
	if strings.Contains(stderr.String(), secret) {
		t.Error("logs contain the forward secret")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-target", srv.URL}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

// finalCount reads a counter from the "simulator finished" log line.
func finalCount(t *testing.T, logs, key string) int {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != "simulator finished" {
			continue
		}
		v, ok := m[key].(float64)
		if !ok {
			t.Fatalf("final log has no %s: %s", key, line)
		}
		return int(v)
	}
	t.Fatal("no final log line")
	return 0
}
