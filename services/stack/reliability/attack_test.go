package reliability

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

// historyDays is how much past the attacked services get: over two weeks,
// so that the detector compares with the same time of week.
const historyDays = 15

// seedHistory writes historyDays of a few reports a minute (1 to 5, three
// on average) for each service straight into the rollup, ending three
// minutes ago, so that each has a baseline the detector trusts. It is what
// "simulator backfill" does for the whole catalog, for a handful of
// services in a second.
func seedHistory(ctx context.Context, ss []lapor.Service) (time.Time, error) {
	end := time.Now().UTC().Truncate(time.Minute).Add(-3 * time.Minute)
	minutes := historyDays * 24 * 60
	start := end.Add(-time.Duration(minutes) * time.Minute)
	err := withConn(ctx, func(conn driver.Conn) error {
		for _, s := range ss {
			// No bound arguments: an INSERT with them hangs on 18.16. The
			// slug and symptom come from the embedded catalog.
			q := fmt.Sprintf(`INSERT INTO reports_minute (service, minute, symptom, country, reports, reporters)
SELECT service, minute, symptom, country, uniqExactState(id), uniqExactState(id) FROM (
    SELECT '%[1]s' AS service, toDateTime(%[2]d + intDiv(number, 5) * 60) AS minute, '%[3]s' AS symptom,
        '' AS country, concat('history/%[1]s/', toString(number)) AS id
    FROM numbers(%[4]d)
    WHERE number %% 5 < 1 + cityHash64(intDiv(number, 5)) %% 5)
GROUP BY service, minute, symptom, country`, s.Slug, start.Unix(), s.Indicators[0], minutes*5)
			if err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("write history of %s: %w", s.Slug, err)
			}
		}
		return nil
	})
	return end, err
}

// attack is one way of posing as many reporters, or one real crowd.
type attack struct {
	name   string
	svc    lapor.Service
	people []person
	// most is the most reporters it may count; 0 for the crowd, which
	// must open an incident instead.
	most int
	t    *tally
}

// attacks builds the scenarios of 7 over their five services.
func attacks(ss []lapor.Service) []*attack {
	var a, b, c, d, e []person
	for i := 0; i < 60; i++ {
		// One address, a new browser each time.
		a = append(a, person{ip: "60.17.3.9", ua: fmt.Sprintf("Mozilla/5.0 (attack a; agent %d)", i)})
		// One IPv6 /64, a new address (and browser) each time.
		b = append(b, person{ip: fmt.Sprintf("2a0d:5600:11:7::%x", 0x100+i), ua: fmt.Sprintf("Mozilla/5.0 (attack b; agent %d)", i)})
	}
	for i := 0; i < 256; i++ {
		// Every address of one IPv4 /24.
		c = append(c, person{ip: fmt.Sprintf("61.5.7.%d", i), ua: fmt.Sprintf("Mozilla/5.0 (attack c; agent %d)", i)})
		// 256 /64s of one IPv6 /48.
		d = append(d, person{ip: fmt.Sprintf("2a0d:5600:22:%x::1", i), ua: fmt.Sprintf("Mozilla/5.0 (attack d; agent %d)", i)})
	}
	// A carrier-grade NAT: the crowd shares 512 public addresses, 64 in
	// each of 8 /24s, each person with a phone of their own.
	for i := 0; i < run.crowd; i++ {
		addr := i % 512
		e = append(e, person{ip: fmt.Sprintf("103.10.%d.%d", addr/64, 1+addr%64), ua: fmt.Sprintf("Mozilla/5.0 (Linux; Android 14; phone %d)", i)})
	}
	return []*attack{
		{name: "7a. one IPv4 address, 60 reports with 60 user agents", svc: ss[0], people: a, most: 1},
		{name: "7b. 60 addresses in one IPv6 /64", svc: ss[1], people: b, most: 1},
		{name: "7c. 256 addresses in one IPv4 /24", svc: ss[2], people: c, most: netCap},
		{name: "7d. 256 /64s in one IPv6 /48", svc: ss[3], people: d, most: netCap},
		{name: fmt.Sprintf("7e. real outage: %d people behind a CGNAT (512 addresses, 8 /24s)", run.crowd), svc: ss[4], people: e},
	}
}

// scenarioAttacks runs the attacks (a)–(d) on services with a baseline of
// a few reports a minute, and a real crowd behind a carrier-grade NAT on
// another (e), all at once. Each attack may count no more reporters than
// one host (a, b) or one network's cap (c, d) and must open no incident;
// the crowd must open one.
func scenarioAttacks(t *testing.T, ss []lapor.Service) {
	ctx := context.Background()
	began := time.Now()
	as := attacks(ss)
	var wg sync.WaitGroup
	for _, a := range as {
		a.t = newTally()
		wg.Add(1)
		go func() {
			defer wg.Done()
			conc := 4
			if a.most == 0 {
				conc = 8
			}
			sendAll(ctx, a.svc.Slug, a.svc.Indicators[0], a.people, conc, a.t)
		}()
	}
	wg.Wait()
	sentBy := time.Now()
	since := began.Add(-time.Minute)
	if err := waitDrained(ctx, 90*time.Second); err != nil {
		t.Logf("attacks: %v", err)
	}
	// The crowd's incident, within a minute; by then the detector has
	// judged the attacks' minute many times over (once a second).
	crowd := as[len(as)-1]
	crowdIncident, crowdErr := waitIncident(ctx, crowd.svc.Slug, time.Minute)
	pause(ctx, time.Until(sentBy.Add(10*time.Second)))
	for _, a := range as {
		r := storageRow(ctx, a.name, a.svc.Slug, since, a.t, began)
		counted, err := countedReporters(ctx, a.svc.Slug, since)
		if err != nil {
			r.pass = false
			r.notes = append([]string{err.Error()}, r.notes...)
			results.add(t, r)
			continue
		}
		var incident bool
		if a.most == 0 {
			incident = crowdIncident
			if crowdErr != nil {
				r.notes = append(r.notes, crowdErr.Error())
			}
		} else if incident, err = hasIncident(ctx, a.svc.Slug); err != nil {
			r.notes = append(r.notes, err.Error())
		}
		var judged []string
		if a.most > 0 {
			judged = append(judged, fmt.Sprintf("counted reporters %d (at most %d)", counted, a.most))
			if counted > a.most || counted < 1 {
				r.pass = false
			}
			if incident {
				r.pass = false
				judged = append(judged, "an incident opened (want none)")
			} else {
				judged = append(judged, "no incident")
			}
		} else {
			judged = append(judged, fmt.Sprintf("counted reporters %d", counted))
			if incident {
				judged = append(judged, "incident opened")
			} else {
				r.pass = false
				judged = append(judged, "NO incident opened (want one)")
			}
		}
		r.notes = append(judged, r.notes...)
		// Storage columns still count: an attack's 202s are stored once.
		results.add(t, r)
	}
}

// countedReporters is how many distinct reporters the read path counts
// for slug since a moment: what the detector compares with the baseline.
func countedReporters(ctx context.Context, slug string, since time.Time) (int, error) {
	var n uint64
	err := withConn(ctx, func(conn driver.Conn) error {
		err := conn.QueryRow(ctx, "SELECT uniqExactMerge(reporters) FROM reports_minute WHERE service = ? AND minute >= ?",
			slug, since.UTC().Truncate(time.Minute)).Scan(&n)
		if err != nil {
			return fmt.Errorf("count reporters of %s: %w", slug, err)
		}
		return nil
	})
	return int(n), err
}

// hasIncident says whether the detector has ever opened an incident on
// slug (history written by seedHistory has none).
func hasIncident(ctx context.Context, slug string) (bool, error) {
	var n uint64
	err := withConn(ctx, func(conn driver.Conn) error {
		if err := conn.QueryRow(ctx, "SELECT count() FROM incidents WHERE service = ?", slug).Scan(&n); err != nil {
			return fmt.Errorf("read incidents of %s: %w", slug, err)
		}
		return nil
	})
	return n > 0, err
}

// waitIncident waits up to d for an incident on slug.
func waitIncident(ctx context.Context, slug string, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	var errs []string
	for time.Now().Before(deadline) {
		ok, err := hasIncident(ctx, slug)
		if err != nil {
			errs = append(errs, err.Error())
		}
		if ok {
			return true, nil
		}
		pause(ctx, 500*time.Millisecond)
	}
	if len(errs) > 0 {
		return false, fmt.Errorf("no incident on %s within %s: %s", slug, d, strings.Join(errs[max(0, len(errs)-1):], ""))
	}
	return false, nil
}
