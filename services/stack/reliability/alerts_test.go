package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/web/client"
)

// Burst sizes of the alert scenarios' outages. A service without history
// expects three reporters a minute (the detector's floor): twenty in a
// minute open an incident as "possible" (a chance of about 1e-10), sixty
// more make it "detected".
const (
	openBurst     = 20
	escalateBurst = 60
)

// logged is one entry of the alert log that belongs to the scenario.
type logged struct {
	cursor string
	ev     lapor.AlertEvent
}

// alertRun is scenarios 9 and 6, run in the background while the storage
// scenarios run in the foreground: outages that open, escalate and end
// incidents while the detector is SIGKILLed each time it publishes (and,
// in some rounds, runs twice), and a partner's event stream that must see
// every event once while the web is SIGKILLed under it.
type alertRun struct {
	rounds [][]lapor.Service
	slugs  []string
	start  string // the alert log's last cursor before the scenario
	began  time.Time

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced whenever entries grow
	entries       []logged
	detectorKills int
	killBudget    int // detector kills left in the current round
	webKills      int
	twoDetectors  time.Duration
	streamed      []string // cursors the partner's stream delivered, in order
	reconnects    int
	streamErrs    []string
	errs          []string      // what makes scenario 9 fail, besides duplicates
	unresolved    int           // incidents the short run did not wait to see end
	foreground    chan struct{} // closed when the foreground scenarios are done
	tally         *tally
	took          time.Duration
	done          chan struct{}
}

// startAlertRun starts the background scenarios; wait collects them.
func startAlertRun(ctx context.Context) *alertRun {
	a := &alertRun{began: time.Now(), changed: make(chan struct{}), tally: newTally(), done: make(chan struct{}),
		foreground: make(chan struct{})}
	for i := 0; i < run.rounds; i++ {
		ss := svcs.take(run.alertServices)
		a.rounds = append(a.rounds, ss)
		a.slugs = append(a.slugs, slugs(ss)...)
	}
	go a.run(ctx)
	return a
}

func (a *alertRun) fail(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, fmt.Sprintf(format, args...))
}

func (a *alertRun) run(ctx context.Context) {
	defer close(a.done)
	defer func() { a.took = time.Since(a.began) }()
	last, err := redis.NewAlertLog(rdb).Last(ctx)
	if err != nil {
		a.fail("read the alert log: %v", err)
		return
	}
	if last == "" {
		last = "0"
	}
	a.start = last
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); a.watch(wctx) }()
	sctx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	var streamDone chan struct{}
	if run.has("6") {
		key, err := createKey(ctx, "reliability stream")
		if err != nil {
			a.fail("%v", err)
		} else {
			streamDone = make(chan struct{})
			go func() { defer close(streamDone); a.stream(sctx, key) }()
		}
	}
	for i, round := range a.rounds {
		// Each round gets its share of the kills, so the last round's
		// incidents are crashed on too.
		a.mu.Lock()
		a.killBudget = run.detectorKills / run.rounds
		if i == run.rounds-1 {
			a.killBudget = run.detectorKills - a.detectorKills
		}
		a.mu.Unlock()
		two := slices.Contains(run.twoDetectors, i)
		var twoSince time.Time
		if two {
			if err := startReplica(ctx, "detector", "detector2"); err != nil {
				a.fail("%v", err)
				two = false
			}
			twoSince = time.Now()
		}
		// An outage that starts late in a minute would escalate in the
		// next one and end a minute later: start early in one.
		if s := time.Now().Second(); s > 40 {
			pause(ctx, time.Duration(61-s)*time.Second)
		}
		var wg sync.WaitGroup
		for _, svc := range round {
			wg.Add(1)
			go func() { defer wg.Done(); a.outage(ctx, svc) }()
		}
		wg.Wait()
		if two {
			if err := stopReplica("detector2"); err != nil {
				a.fail("%v", err)
			}
			a.mu.Lock()
			a.twoDetectors += time.Since(twoSince)
			a.mu.Unlock()
		}
	}
	// A killed detector may still publish again after the outages ended:
	// wait for the log to be quiet, then stop watching it, so that the
	// entries judged are fixed before the stream is judged against them.
	for quiet := a.entryCount(); ; {
		pause(ctx, 5*time.Second)
		n := a.entryCount()
		if n == quiet {
			break
		}
		quiet = n
	}
	stopWatch()
	<-watched
	// The stream has until the last of those entries to catch up.
	if streamDone != nil {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && !a.streamCaughtUp() {
			pause(ctx, 200*time.Millisecond)
		}
		stopStream()
		<-streamDone
	}
}

func (a *alertRun) entryCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.entries)
}

// watch follows the alert log, keeps the scenario's entries, and kills the
// detector the moment it has published one (when it is most likely not
// yet to have stored the incident the event announces), and now and then
// the web under the partner's stream.
func (a *alertRun) watch(ctx context.Context) {
	cursor := a.start
	for ctx.Err() == nil {
		res, err := rdb.XRead(ctx, &goredis.XReadArgs{Streams: []string{redis.Alerts, cursor}, Block: time.Second, Count: 100}).Result()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			// Redis is being killed by scenario 4: try again.
			pause(ctx, 200*time.Millisecond)
			continue
		}
		for _, m := range res[0].Messages {
			cursor = m.ID
			payload, _ := m.Values[redis.AlertField].(string)
			ev, err := lapor.DecodeAlertEvent(payload)
			if err != nil {
				a.fail("undecodable alert %s: %v", m.ID, err)
				continue
			}
			if !slices.Contains(a.slugs, ev.Service) {
				continue
			}
			a.mu.Lock()
			a.entries = append(a.entries, logged{cursor: m.ID, ev: ev})
			n := len(a.entries)
			close(a.changed)
			a.changed = make(chan struct{})
			killDetector := run.has("9") && a.killBudget > 0
			if killDetector {
				a.detectorKills++
				a.killBudget--
			}
			killWeb := run.has("6") && a.webKills < run.webKills && n%2 == 0 && !webQuiet.Load()
			if killWeb {
				a.webKills++
			}
			a.mu.Unlock()
			if killDetector {
				kill("detector")
				if err := restart(ctx, "detector"); err != nil {
					a.fail("%v", err)
				}
			}
			if killWeb {
				// Somewhere in the moment the stream writes the event.
				pause(ctx, time.Duration(rand.IntN(300))*time.Millisecond)
				kill("web")
				pause(ctx, 500*time.Millisecond)
				if err := restart(ctx, "web"); err != nil {
					a.fail("%v", err)
				}
			}
		}
	}
}

// outage has people report a problem with svc in two bursts and waits for
// the incident to open, escalate and end.
func (a *alertRun) outage(ctx context.Context, svc lapor.Service) {
	a.burst(ctx, svc, openBurst)
	last := time.Now() // every report of the outage has been answered
	opened, ok := a.waitFor(ctx, 30*time.Second, func(e logged) bool { return e.ev.Service == svc.Slug && e.ev.Kind == lapor.AlertOpened })
	if !ok {
		a.fail("%s: no incident opened within 30 s of %d reporters", svc.Slug, openBurst)
		return
	}
	if opened.ev.Level != lapor.LevelDetected {
		a.burst(ctx, svc, escalateBurst)
		last = time.Now()
		// Eighty reporters against three expected are "detected" beyond
		// doubt: an event must say so.
		_, ok := a.waitFor(ctx, 30*time.Second, func(e logged) bool {
			return e.ev.Service == svc.Slug && e.ev.Kind != lapor.AlertResolved && e.ev.Level == lapor.LevelDetected
		})
		if !ok {
			a.fail("%s: lost alert: %d reporters in a minute never announced as detected", svc.Slug, openBurst+escalateBurst)
		}
	}
	// Quiet now: the incident ends after one quiet minute, judged once
	// that minute is complete, so not before the start of the minute
	// after the next.
	earliest := last.Truncate(time.Minute).Add(2 * time.Minute)
	wctx := ctx
	if !run.full {
		// The short run ends with the foreground scenarios: an incident
		// that ends by then is judged, the full run waits for every end.
		var cancel context.CancelFunc
		wctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-a.foreground:
				pause(wctx, 20*time.Second)
				cancel()
			case <-wctx.Done():
			}
		}()
	}
	resolved, ok := a.waitFor(wctx, 4*time.Minute, func(e logged) bool { return e.ev.Service == svc.Slug && e.ev.Kind == lapor.AlertResolved })
	switch {
	case !ok && !run.full && ctx.Err() == nil && time.Now().Before(earliest.Add(30*time.Second)):
		a.mu.Lock()
		a.unresolved++
		a.mu.Unlock()
	case !ok:
		a.fail("%s: incident not resolved within 4 min", svc.Slug)
	case resolved.ev.At.Before(earliest.Add(-2 * time.Second)):
		a.fail("%s: wrong resolve: resolved at %s while reports came until %s (it cannot end before %s)",
			svc.Slug, resolved.ev.At.Format("15:04:05"), last.UTC().Format("15:04:05"), earliest.UTC().Format("15:04:05"))
	}
}

// burst has n new people report about svc at once, each until the ingest
// answers (the foreground scenarios make it refuse now and then).
func (a *alertRun) burst(ctx context.Context, svc lapor.Service, n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.tally.add(reportPersistently(ctx, svc.Slug, svc.Indicators[0], newPerson()))
		}()
	}
	wg.Wait()
}

// waitFor waits up to d for an entry that match accepts.
func (a *alertRun) waitFor(ctx context.Context, d time.Duration, match func(logged) bool) (logged, bool) {
	deadline := time.After(d)
	for {
		a.mu.Lock()
		for _, e := range a.entries {
			if match(e) {
				a.mu.Unlock()
				return e, true
			}
		}
		changed := a.changed
		a.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return logged{}, false
		case <-ctx.Done():
			return logged{}, false
		}
	}
}

// stream is the partner: it follows /v1/alerts/stream for the scenario's
// services from where the log stood, and reconnects with Last-Event-ID
// whenever the stream breaks.
func (a *alertRun) stream(ctx context.Context, key string) {
	c := client.New(serviceURL("web"), key, &client.Options{HTTPClient: &http.Client{}})
	last := a.start
	for ctx.Err() == nil {
		err := c.Stream(ctx, last, client.Filter{Services: a.slugs}, func(e client.Entry) error {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.streamed = append(a.streamed, e.Cursor)
			last = e.Cursor
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		a.mu.Lock()
		a.reconnects++
		if err != nil && !errors.Is(err, context.Canceled) && len(a.streamErrs) < 3 {
			a.streamErrs = append(a.streamErrs, err.Error())
		}
		a.mu.Unlock()
		pause(ctx, 200*time.Millisecond)
	}
}

// streamCaughtUp says whether the stream has delivered the scenario's
// newest log entry (or gone past it).
func (a *alertRun) streamCaughtUp() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) == 0 {
		return true
	}
	return len(a.streamed) > 0 && !cursorBefore(a.streamed[len(a.streamed)-1], a.entries[len(a.entries)-1].cursor)
}

// cursorBefore says whether alert log cursor x comes before y. Cursors are
// Redis stream ids, "<ms>-<seq>", which order by both numbers.
func cursorBefore(x, y string) bool {
	xm, xs := splitCursor(x)
	ym, ys := splitCursor(y)
	return xm < ym || xm == ym && xs < ys
}

func splitCursor(c string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(c, "-")
	m, _ := strconv.ParseUint(ms, 10, 64)
	n, _ := strconv.ParseUint(seq, 10, 64)
	return m, n
}

// wait tells the background scenarios that the foreground is done and
// waits for them to end.
func (a *alertRun) wait() {
	close(a.foreground)
	<-a.done
}

// duplicates counts the entries whose event id, or whose (incident, kind,
// level) — for updates, (incident, level, count) — came before.
func duplicates(entries []logged) (int, []string) {
	ids := map[string]bool{}
	keys := map[string]bool{}
	n := 0
	var what []string
	for _, e := range entries {
		key := e.ev.IncidentID + "/" + string(e.ev.Kind) + "/" + string(e.ev.Level)
		if e.ev.Kind == lapor.AlertUpdated {
			key += fmt.Sprintf("/%d", e.ev.Count)
		}
		if ids[e.ev.ID] || keys[key] {
			n++
			if len(what) < 4 {
				what = append(what, fmt.Sprintf("%s %s %s again", e.ev.Service, e.ev.Kind, e.ev.Level))
			}
		}
		ids[e.ev.ID], keys[key] = true, true
	}
	return n, what
}

// detectorRow judges scenario 9.
func (a *alertRun) detectorRow(ctx context.Context) row {
	a.mu.Lock()
	entries := slices.Clone(a.entries)
	r := row{scenario: fmt.Sprintf("9. detector SIGKILLed on publishing (%d×), %d outages", a.detectorKills, len(a.slugs)),
		took: a.took}
	if a.twoDetectors > 0 {
		r.scenario += fmt.Sprintf("; two detectors for %.0f s", a.twoDetectors.Seconds())
	}
	errs := slices.Clone(a.errs)
	a.mu.Unlock()
	r.alertsDuplicated, r.notes = duplicates(entries)
	kinds := map[lapor.AlertKind]int{}
	incidents := map[string]map[string]bool{}
	for _, e := range entries {
		kinds[e.ev.Kind]++
		if incidents[e.ev.Service] == nil {
			incidents[e.ev.Service] = map[string]bool{}
		}
		incidents[e.ev.Service][e.ev.IncidentID] = true
	}
	split := 0
	for _, ids := range incidents {
		split += len(ids) - 1
	}
	// An incident announced after it was resolved was resolved wrongly:
	// the partner was told an outage ended while it went on.
	reopened := 0
	ended := map[string]bool{}
	for _, e := range entries {
		if ended[e.ev.IncidentID] && e.ev.Kind != lapor.AlertResolved {
			reopened++
		}
		if e.ev.Kind == lapor.AlertResolved {
			ended[e.ev.IncidentID] = true
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("events: %d opened, %d escalated, %d updated, %d resolved",
		kinds[lapor.AlertOpened], kinds[lapor.AlertEscalated], kinds[lapor.AlertUpdated], kinds[lapor.AlertResolved]))
	if split > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d outages split into more than one incident", split))
	}
	if reopened > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d events announced incidents already resolved (a wrong resolve)", reopened))
	}
	if a.unresolved > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d incidents still open when the short run ended (the full run waits for every end)", a.unresolved))
	}
	r.notes = append(r.notes, errs...)
	// The outages' reports count like any others.
	a.tally.mu.Lock()
	r.sent, r.accepted = a.tally.sent, len(a.tally.ids)
	ids := map[string]bool{}
	for _, id := range a.tally.ids {
		ids[id] = true
	}
	a.tally.mu.Unlock()
	r.stored, r.lost, r.doubled = 0, 0, 0
	for _, slug := range a.slugs {
		c, err := countStored(ctx, slug, a.began.Add(-time.Minute))
		if err != nil {
			r.notes = append(r.notes, err.Error())
			r.stored, r.lost, r.doubled = -1, -1, -1
			break
		}
		r.stored += c.distinct
		r.doubled += max(0, c.readPath-c.distinct)
		for id := range ids {
			if _, ok := c.ids[id]; ok {
				delete(ids, id)
			}
		}
	}
	if r.lost >= 0 {
		r.lost = len(ids)
	}
	r.pass = r.alertsDuplicated == 0 && reopened == 0 && len(errs) == 0 && r.lost == 0 && r.doubled == 0 && a.detectorKills > 0
	return r
}

// streamRow judges scenario 6.
func (a *alertRun) streamRow() row {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := row{scenario: fmt.Sprintf("6. web SIGKILLed %d× under a partner's event stream", a.webKills),
		sent: -1, accepted: -1, stored: -1, lost: -1, doubled: -1, took: a.took}
	want := make([]string, len(a.entries))
	for i, e := range a.entries {
		want[i] = e.cursor
	}
	// What the stream got after the last entry watched is not judged.
	var streamed []string
	for _, c := range a.streamed {
		if len(want) > 0 && !cursorBefore(want[len(want)-1], c) {
			streamed = append(streamed, c)
		}
	}
	seen := map[string]int{}
	for _, c := range streamed {
		seen[c]++
	}
	missed := 0
	for _, c := range want {
		if seen[c] == 0 {
			missed++
		}
	}
	for _, n := range seen {
		r.alertsDuplicated += max(0, n-1)
	}
	inOrder := slices.Equal(want, streamed)
	r.pass = inOrder && a.webKills > 0 && len(want) > 0
	r.notes = append(r.notes, fmt.Sprintf("%d events in the log, %d streamed, %d missed; the client reconnected with Last-Event-ID %d times",
		len(want), len(streamed), missed, a.reconnects))
	if !inOrder && missed == 0 && r.alertsDuplicated == 0 {
		r.notes = append(r.notes, "out of order")
	}
	if len(want) == 0 {
		r.notes = append(r.notes, "no events to stream")
	}
	if !r.pass {
		for i, c := range want {
			if seen[c] == 0 {
				r.notes = append(r.notes, fmt.Sprintf("missed event %d of %d (%s %s %s)", i+1, len(want), a.entries[i].ev.Service, a.entries[i].ev.Kind, a.entries[i].ev.Level))
			}
		}
		r.notes = append(r.notes, a.streamErrs...)
	}
	return r
}

// createKey makes a partner API key with the web's admin command, as an
// operator would.
func createKey(ctx context.Context, name string) (string, error) {
	cmd := exec.CommandContext(ctx, binDir+"/web", "keys", "create", "-name", name, "-scopes", "alerts:read", "-quota", "6000-M")
	cmd.Env = st.CommonEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("web keys create: %w: %s", err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// webQuiet holds off the web kills of scenario 6 while scenario 8 counts
// the web's answers.
var webQuiet atomic.Bool

// perKeyStreams is how many event streams one key may hold open on one web
// process by default.
const perKeyStreams = 5

// scenarioStreamExhaustion opens 120 event streams with one partner key:
// past the per-key limit they must be refused with 429, and another
// partner's request must still be answered.
func scenarioStreamExhaustion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	webQuiet.Store(true)
	defer webQuiet.Store(false)
	r := row{scenario: "8. 120 event streams from one partner key", sent: -1, accepted: -1, stored: -1, lost: -1, doubled: -1, alertsDuplicated: -1}
	// Scenario 6 may be restarting the web right now.
	if err := waitHealthy(ctx, serviceURL("web")+"/readyz", 30*time.Second); err != nil {
		r.notes, r.took = []string{err.Error()}, time.Since(began)
		results.add(t, r)
		return
	}
	greedy, err := createKey(ctx, "reliability greedy")
	var other string
	if err == nil {
		other, err = createKey(ctx, "reliability other")
	}
	if err != nil {
		r.notes, r.took = []string{err.Error()}, time.Since(began)
		results.add(t, r)
		return
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	sctx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		failed   int
		wg       sync.WaitGroup
	)
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(sctx, http.MethodGet, serviceURL("web")+"/v1/alerts/stream", nil)
			req.Header.Set("Authorization", "Bearer "+greedy)
			req.Header.Set("Accept", "text/event-stream")
			resp, err := hc.Do(req)
			mu.Lock()
			if err != nil {
				failed++
			} else {
				statuses[resp.StatusCode]++
			}
			mu.Unlock()
			if err == nil && resp.StatusCode != http.StatusOK {
				resp.Body.Close()
			}
			// An open stream stays open (its body unread) until the
			// scenario ends and cancels it.
		}()
	}
	wg.Wait()
	// Another partner, while the streams that were let in stay open.
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL("web")+"/v1/alerts?limit=10", nil)
	req.Header.Set("Authorization", "Bearer "+other)
	resp, err := http.DefaultClient.Do(req)
	latency := time.Since(t0)
	otherStatus := 0
	if err == nil {
		otherStatus = resp.StatusCode
		resp.Body.Close()
	}
	closeStreams()
	r.took = time.Since(began)
	opened, refused := statuses[http.StatusOK], statuses[http.StatusTooManyRequests]
	r.notes = append(r.notes, fmt.Sprintf("%d streams opened, %d refused with 429 (limit %d a key), %d other answers, %d failed",
		opened, refused, perKeyStreams, 120-opened-refused-failed, failed))
	if err != nil {
		r.notes = append(r.notes, fmt.Sprintf("the other partner got no answer: %v", err))
	} else {
		r.notes = append(r.notes, fmt.Sprintf("the other partner's GET /v1/alerts: %d in %d ms", otherStatus, latency.Milliseconds()))
	}
	r.pass = opened <= perKeyStreams && opened > 0 && refused == 120-opened && otherStatus == http.StatusOK
	results.add(t, r)
}

// waitHealthy waits up to d for url to answer 200.
func waitHealthy(ctx context.Context, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s: %w", url, d, err)
		}
		pause(ctx, 200*time.Millisecond)
	}
}
