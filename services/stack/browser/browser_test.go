// Package browser drives the web app in Debian's chromium through
// frontend/tests/browser.mjs (playwright-core) against the whole stack:
// reports posted from the page travel the pipeline and show on its chart.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/spike"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// chromium is where Debian puts it; LAPOR_CHROMIUM overrides.
const chromium = "/usr/bin/chromium"

// missing says what the browser test needs and does not have, or "".
func missing(root string) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed"
	}
	for _, p := range []string{
		filepath.Join(root, "frontend", "tests", "browser.mjs"),
		filepath.Join(root, "frontend", "node_modules", "playwright-core"),
		filepath.Join(root, "services", "web", "internal", "ui", "dist", "app", "index.html"),
	} {
		if _, err := os.Stat(p); err != nil {
			return p + " is missing (run npm ci and npm run build in frontend/)"
		}
	}
	bin := os.Getenv("LAPOR_CHROMIUM")
	if bin == "" {
		bin = chromium
	}
	if _, err := os.Stat(bin); err != nil {
		return "chromium is not installed at " + bin + " (scripts/deps.sh chromium)"
	}
	return ""
}

func TestBrowser(t *testing.T) {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		t.Skip("LAPOR_SKIP_INTEGRATION set")
	}
	wd, _ := os.Getwd()
	root, err := stack.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	if why := missing(root); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := stack.Build(ctx, root, bin, append(slices.Clone(stack.Services), "simulator")...); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(tmp, "logs")
	st, err := stack.Start(ctx, stack.Options{
		BinDir: bin, LogDir: logs,
		// History so that baselines exist; a modest rate keeps the backfill short.
		BackfillDays:  8,
		SimulatorArgs: []string{"-rate", "2", "-seed", "1"},
		// Past outages, none in the last 12 hours (the history keeps its
		// end quiet), so the replay has incidents to find and the test's
		// own burst does not depend on the clock.
		BackfillArgs: []string{"-outage-every", "36h"},
		Env: map[string][]string{
			"ingest":   {"LAPOR_TRUSTED_PROXIES=127.0.0.0/8", "LAPOR_REPORTER_SECRET=browser", "LAPOR_RATE_LIMIT_IP=1000-M", "LAPOR_RATE_LIMIT_NET=100000-M"},
			"worker":   {"LAPOR_FLUSH_INTERVAL=200ms"},
			"detector": {"LAPOR_INTERVAL=1s"},
		},
	})
	if err != nil {
		if st != nil {
			st.Stop()
		}
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Stop(); err != nil {
			t.Errorf("stop stack: %v", err)
		}
		if t.Failed() {
			for _, name := range stack.Services {
				b, _ := os.ReadFile(filepath.Join(logs, name+".log"))
				if len(b) > 3000 {
					b = b[len(b)-3000:]
				}
				t.Logf("--- %s log (tail)\n%s", name, b)
			}
		}
	})

	openIncident(t, st, "tiktok")
	pastIncident(ctx, t, st, "gojek")
	elevated(ctx, t, st, elevatedSlug)

	shots := filepath.Join(root, "frontend", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "frontend", "tests", "browser.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LAPOR_BASE_URL="+st.URL("web"), "LAPOR_SCREENSHOT_DIR="+shots, "LAPOR_ELEVATED_SLUG="+elevatedSlug)
	// Streamed, so that a long run shows where it is.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser test: %v", err)
	}
}

// pastIncident stores an incident of slug that ended two days ago because
// its reports stayed high (the detector needs half a day of that, longer
// than the test can wait), so the pages can be checked for why it ended.
func pastIncident(ctx context.Context, t *testing.T, st *stack.Stack, slug string) {
	t.Helper()
	conn, err := st.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now().UTC().Add(-62 * time.Hour).Truncate(time.Minute)
	end := start.Add(14 * time.Hour)
	in := lapor.Incident{
		ID: "browser-past-" + slug, Service: slug, Level: lapor.LevelDetected, Status: lapor.StatusResolved,
		StartedAt: start, UpdatedAt: end, EndedAt: end, EndReason: lapor.EndNewNormal,
		Peak: 90, PeakAt: start.Add(time.Hour), Baseline: 12, LastCount: 60,
		TopSymptoms: []lapor.SymptomShare{{Symptom: "app", Share: 1}}, Version: 1,
	}
	if err := clickhouse.SaveIncidents(ctx, conn, []lapor.Incident{in}); err != nil {
		t.Fatal(err)
	}
}

// elevatedSlug is the service whose reports elevated says are over the
// alert threshold with no incident open.
const elevatedSlug = "spotify"

// elevated stores a judgement of slug whose last 15 minutes hold 1200
// reporters where 150 were expected, over its threshold of 400, as after
// an incident that ended as faded while reports stay high (the detector
// needs an outage's whole course for that). Its bucket is ten minutes
// ahead so that it stays the service's latest while the test runs.
func elevated(ctx context.Context, t *testing.T, st *stack.Stack, slug string) {
	t.Helper()
	conn, err := st.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	at := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Minute)
	row := clickhouse.Expectation{Service: slug, Bucket: at, Length: time.Minute, Expected: 10, Spans: []spike.Judgement{
		{Span: 1, Count: 80, Expected: 10, Possible: 100, Detected: 200},
		{Span: 15, Count: 1200, Expected: 150, Possible: 400, Detected: 800},
	}}
	if err := clickhouse.SaveExpectations(ctx, conn, []clickhouse.Expectation{row}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// openIncident has a crowd report a service at once and waits until the
// web lists the "detected" incident it opens. A crowd that straddles a
// minute, at a busy hour of the history, may only reach "possible" (each
// minute's share under four times the usual count); a bigger crowd then
// follows and escalates it, so the test does not depend on the clock.
func openIncident(t *testing.T, st *stack.Stack, slug string) {
	t.Helper()
	person := 0
	for _, crowd := range []int{120, 400, 1200} {
		postCrowd(t, st, slug, person, crowd)
		person += crowd
		if waitDetected(t, st, slug, 30*time.Second) {
			return
		}
		t.Logf("a crowd of %d opened no detected incident of %s in 30 s; a bigger one follows", crowd, slug)
	}
	t.Fatalf("no detected incident of %s", slug)
}

func postCrowd(t *testing.T, st *stack.Stack, slug string, first, n int) {
	t.Helper()
	for j := 0; j < n; j++ {
		i := first + j
		body, _ := json.Marshal(map[string]string{"service": slug, "symptom": "app", "platform": "web"})
		req, _ := http.NewRequest(http.MethodPost, st.URL("ingest")+"/api/v1/reports", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		// Each person on a /24 of their own: the ingest counts few per network.
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.%d.%d.%d", 18+i/62500%2, i%250, i/250%250+1))
		req.Header.Set("User-Agent", "lapor-browser-test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("post report: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("report %d: status %d, want 202", i, resp.StatusCode)
		}
	}
}

// waitDetected says whether the web lists an open "detected" incident of
// slug within d.
func waitDetected(t *testing.T, st *stack.Stack, slug string, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		var out struct {
			Incidents []struct {
				Level string `json:"level"`
			} `json:"incidents"`
		}
		resp, err := http.Get(st.URL("web") + "/api/v1/incidents?status=open&service=" + slug)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
		}
		if err == nil && len(out.Incidents) > 0 && out.Incidents[0].Level == "detected" {
			return true
		}
		time.Sleep(500 * time.Millisecond)
	}
	return false
}
