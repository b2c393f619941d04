// Package e2e runs the whole pipeline as separate processes against a real
// Redis and ClickHouse: reports posted over HTTP to the ingest reach
// ClickHouse through the stream and the worker, show in the read API, and
// a burst from many people opens an incident while one person cannot.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lapor/lapor/services/stack/internal/stack"
)

var (
	st     *stack.Stack
	binDir string // the built service binaries
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wd, _ := os.Getwd()
	root, err := stack.Root(wd)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "lapor-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bin")
	binDir = bin
	if err := stack.Build(ctx, root, bin, stack.Services...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err = stack.Start(ctx, stack.Options{
		BinDir: bin,
		LogDir: filepath.Join(tmp, "logs"),
		Env: map[string][]string{
			"*":        {"LAPOR_LOG_LEVEL=debug"},
			"ingest":   {"LAPOR_TRUSTED_PROXIES=127.0.0.0/8", "LAPOR_REPORTER_SECRET=e2e", "LAPOR_RATE_LIMIT_IP=1000-M", "LAPOR_RATE_LIMIT_NET=100000-M"},
			"worker":   {"LAPOR_FLUSH_INTERVAL=200ms"},
			"detector": {"LAPOR_INTERVAL=1s"},
			// The partner test's webhook receiver is on loopback, and it
			// should not wait minutes for retries.
			"web": {"LAPOR_WEBHOOK_ALLOW_PRIVATE=true", "LAPOR_WEBHOOK_RETRY_BASE=200ms", "LAPOR_WEBHOOK_RETRY_CAP=1s", "LAPOR_WEBHOOK_MAX_ATTEMPTS=100"},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		if st != nil {
			st.Stop()
		}
		return 1
	}
	code := m.Run()
	if err := st.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop stack:", err)
		code = 1
	}
	if code != 0 {
		for _, name := range stack.Services {
			b, _ := os.ReadFile(filepath.Join(tmp, "logs", name+".log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			fmt.Fprintf(os.Stderr, "--- %s log (tail)\n%s\n", name, b)
		}
	}
	return code
}

func need(t *testing.T) {
	t.Helper()
	if st == nil {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
}

type serviceInfo struct {
	Slug       string   `json:"slug"`
	Indicators []string `json:"indicators"`
	Status     string   `json:"status"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
}

// post sends one report as the person at ip with user agent ua.
func post(t *testing.T, slug, symptom, ip, ua string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"service": slug, "symptom": symptom, "platform": "web"})
	req, _ := http.NewRequest(http.MethodPost, st.URL("ingest")+"/api/v1/reports", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post report: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func services(t *testing.T) []serviceInfo {
	var out struct {
		Services []serviceInfo `json:"services"`
	}
	getJSON(t, st.URL("web")+"/api/v1/services", &out)
	if len(out.Services) < 6 {
		t.Fatalf("catalog has %d services, need 6 for this test", len(out.Services))
	}
	return out.Services
}

// personIP gives the n-th distinct public-looking address of a test, each
// in a /24 of its own, as people on their own networks are: the ingest
// counts at most a few reporters per network.
func personIP(block, n int) string {
	return fmt.Sprintf("198.%d.%d.%d", 18+block%2, n%250, (n/250)%250+1)
}

func eventually(t *testing.T, d time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := f()
		if ok {
			return
		}
		last = msg
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %s", what, d, last)
}

func TestReportsCountedExactlyOnce(t *testing.T) {
	need(t)
	svcs := services(t)[:4]
	want := map[string]map[string]int{} // service → symptom → count
	n := 0
	for i, s := range svcs {
		want[s.Slug] = map[string]int{}
		for j := 0; j < 30+10*i; j++ {
			sym := s.Indicators[j%len(s.Indicators)]
			if code := post(t, s.Slug, sym, personIP(0, n), "e2e-agent"); code != http.StatusAccepted {
				t.Fatalf("report %d: status %d, want 202", n, code)
			}
			want[s.Slug][sym]++
			n++
		}
		// The same people again: deduplicated, not counted.
		for j := 0; j < 5; j++ {
			if code := post(t, s.Slug, s.Indicators[0], personIP(0, n-1-j), "e2e-agent"); code != http.StatusOK {
				t.Fatalf("repeat report: status %d, want 200", code)
			}
		}
	}
	ctx := context.Background()
	conn, err := st.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	from := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, s := range svcs {
		total := 0
		for _, c := range want[s.Slug] {
			total += c
		}
		t.Run(s.Slug, func(t *testing.T) {
			eventually(t, 20*time.Second, "series total", func() (bool, string) {
				var series struct {
					Points []struct {
						Reports int `json:"reports"`
					} `json:"points"`
				}
				getJSON(t, st.URL("web")+"/api/v1/services/"+s.Slug+"/series?step=1m&from="+from+"&to="+to, &series)
				got := 0
				for _, p := range series.Points {
					got += p.Reports
				}
				return got == total, fmt.Sprintf("API has %d reports, want %d", got, total)
			})
			for sym, c := range want[s.Slug] {
				var raw, rolled uint64
				if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports WHERE service = ? AND symptom = ?", s.Slug, sym).Scan(&raw); err != nil {
					t.Fatal(err)
				}
				if err := conn.QueryRow(ctx, "SELECT uniqExactMerge(reports) FROM reports_minute WHERE service = ? AND symptom = ?", s.Slug, sym).Scan(&rolled); err != nil {
					t.Fatal(err)
				}
				if int(raw) != c || int(rolled) != c {
					t.Errorf("%s/%s: reports %d, rollup %d, want %d", s.Slug, sym, raw, rolled, c)
				}
			}
		})
	}
}

type incidentList struct {
	Incidents []struct {
		ID      string `json:"id"`
		Service string `json:"service"`
		Status  string `json:"status"`
		Level   string `json:"level"`
	} `json:"incidents"`
}

func TestBurstOpensIncidentOnlyFromManyPeople(t *testing.T) {
	need(t)
	svcs := services(t)
	crowd, loner := svcs[len(svcs)-1], svcs[len(svcs)-2]
	for i := 0; i < 40; i++ {
		if code := post(t, crowd.Slug, crowd.Indicators[0], personIP(1, 1000+i), "burst-agent"); code != http.StatusAccepted {
			t.Fatalf("crowd report %d: status %d", i, code)
		}
		code := post(t, loner.Slug, loner.Indicators[0], "203.0.113.7", "loner-agent")
		if want := http.StatusOK; i > 0 && code != want {
			t.Fatalf("loner report %d: status %d, want %d (deduplicated)", i, code, want)
		}
	}
	eventually(t, 30*time.Second, "incident for the crowd's service", func() (bool, string) {
		var l incidentList
		getJSON(t, st.URL("web")+"/api/v1/incidents?service="+crowd.Slug+"&status=open", &l)
		return len(l.Incidents) == 1, fmt.Sprintf("%d open incidents", len(l.Incidents))
	})
	// The status is cached for a moment, so it may lag the incident list.
	eventually(t, 10*time.Second, "service status", func() (bool, string) {
		var s serviceInfo
		getJSON(t, st.URL("web")+"/api/v1/services/"+crowd.Slug, &s)
		return s.Status == "possible" || s.Status == "detected", fmt.Sprintf("status %q during an incident", s.Status)
	})
	// The detector has run many cycles by now; the loner's service must be quiet.
	time.Sleep(3 * time.Second)
	var l incidentList
	getJSON(t, st.URL("web")+"/api/v1/incidents?service="+loner.Slug, &l)
	if len(l.Incidents) != 0 {
		t.Fatalf("one person opened %d incidents on %s", len(l.Incidents), loner.Slug)
	}
}
