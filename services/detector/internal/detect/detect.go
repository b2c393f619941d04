// Package detect is the detector's cycle: it reads every service's recent
// distinct reporters and their history from ClickHouse, steps a
// spike.Tracker, and stores and publishes what changed.
//
// # The partial bucket
//
// The current bucket is still filling while the detector looks at it.
// Each cycle judges two buckets: the previous one, complete, once (the
// first cycle that sees it complete), and the current one as a partial
// bucket (spike.Tracker.StepPartial). A distinct-reporter count only grows
// as its bucket fills, so a partial count that already reaches a level is
// evidence: a burst opens or escalates an incident within the cycle it
// happens in, and a partial bucket never counts as quiet, so an incident
// is resolved only on complete buckets. Nothing is extrapolated (scaling
// up three reports seen in the first seconds of a minute would be an
// outage made of noise). A bucket seen first partial and then complete is
// one bucket of the tracker's spans, exactly as spike.Stream counts
// complete buckets offline.
//
// The previous bucket counts as complete only once its reports have all
// reached ClickHouse: while the report stream still holds reports
// ingested before its end (a worker stalled or catching up), it is
// stepped as partial too, so reports not written yet never look like an
// outage ending (writtenBefore).
//
// # Baseline
//
// What is normal for a service comes from three histories, combined by
// spike.Params.Estimate: the level of the same slot in past weeks, once
// there are two weeks of it, else in past days, once there are two; and
// the recent level of its distinct reporters per bucket over the recent
// window (an hour by default) before the previous bucket, counting empty
// buckets as zero from the start of its history on. The expected count is
// the larger of the seasonal and the recent level, so both a busy time of
// day and recent growth count as normal. With none of these, the floor
// applies, so a burst on a brand-new service still opens an incident.
//
// While a service has an incident, and for the recent window's length
// after it, its recent window stays where it was when the incident
// opened, so an outage raises neither its own baseline nor the next
// one's; after the incident, the level is also at least that of the
// buckets since it ended (spike.History.Since). After FreezeFor (12
// hours) an incident's window moves again, as a count up for that long
// without fading is a new normal (spike, "Baseline"). Where the windows
// stand is kept in memory (calm) and rebuilt at start from the open and
// lately ended incidents. The
// exception is an incident opened on the floor for lack of history:
// there the window keeps moving, since the service's own traffic is the
// only evidence of its normal level, and a new busy service's "incident"
// ends once min-recent buckets show that level is steady.
//
// # Cycle
//
// One cycle is a fixed number of queries whatever the number of services:
// recent reporters for all services, the newest buckets of their recent
// level (the rest of the window is kept from the cycles before; see
// levels), their history at the same time of day and week, and (only for
// incidents that changed) their symptoms and countries, and (only for
// incidents about to open) their reporters by network, so that no single
// network opens an incident on its own (see withhold). When each
// service's history starts, and the whole recent window, are read at start
// and then hourly; a service that first reports in between starts its
// history at the bucket it is first seen in. BenchmarkDetectorCycle10k
// times a whole cycle, queries included, over 10,000 services.
//
// # Records
//
// The tracker learns, per service and span, the dispersion of its counts
// and the tail of its chance bursts (package spike, "Dispersion and
// calibration"). So every cycle steps every service with history in the
// weeks the baseline reads, with zero when nobody reported, not only the
// services with reports. What it learnt lives in memory and is saved to
// Redis every RecordsEvery and at shutdown (a hash per bucket size, one
// field per service); Load reads it back, so a restarted detector judges a
// news-driven service as warily as before instead of by the model alone.
// Records are soft state: if Redis lost them, or they cannot be read (one
// saved by a detector with other spans), the service starts from the
// model's prior, which it outgrows within days. The spans start, in the
// first cycle, with the recent window's counts at that cycle's expected
// count (spike.Tracker.Prime), so a slow outage under way at a restart is
// seen at once, not an hour later.
//
// # Each event once
//
// Every state change of an incident reaches the alert log, and so
// webhooks, polling and server-sent events, exactly once, and
// alert_events once, under one event ID, whatever instant the detector
// dies at and however many replicas run. Only the holder of a Redis lease
// (redis.DetectorLeaseKey, renewed every third of Config.LeaseTTL) runs cycles; the
// others stand by, ready, and one takes over within about a TTL of the
// holder dying, at once when it stops cleanly. Event IDs are derived from
// the incident and its transition (eventID). Publishing is one atomic
// Redis script that adds the events the log has not taken yet together
// with the incident states they announce, and only while the publisher
// holds the lease (redis.AlertLog.Publish), so a replica that lost the lease,
// even in a pause in the middle of a cycle, publishes nothing. The states
// stay in Redis until their ClickHouse rows are written, and Load stores
// them first, so a detector that died in between, or the replica that
// takes over, knows what went out and does not decide it again. See
// outbox for the order of the writes.
package detect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/baseline"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/spike"
)

// Config sets the detector's rhythm and thresholds.
type Config struct {
	Bucket         time.Duration // length of a bucket, a whole number of minutes
	Interval       time.Duration // time between cycles
	Weeks          int           // past weeks the baseline looks at
	RecentWindow   time.Duration // span of the recent level, for services without weeks of history
	HistoryRefresh time.Duration // how often to re-read when each service's history starts
	RecordsEvery   time.Duration // how often the learnt records are saved for a restart
	// LeaseTTL is how long the detector lease (redis.DetectorLeaseKey) outlives a
	// replica that stopped renewing it: only the holder runs cycles, so it
	// bounds the pause in detection after the holder dies.
	LeaseTTL time.Duration
	Params   spike.Params
	// Streams are the report streams whose backlog says which buckets
	// are complete (see writtenBefore); empty means redis.Reports alone.
	Streams []string
	// Beat, when set, is called each time Run goes round: every cycle
	// while leading, every attempt at the lease while standing by (the
	// detector's liveness check).
	Beat func()
}

// DefaultLeaseTTL is Config.LeaseTTL's default: a crashed detector's
// replacement resumes within about this, a quarter of a default bucket.
const DefaultLeaseTTL = 15 * time.Second

// DefaultConfig returns one-minute buckets checked every minute against
// four weeks of history, with spike.DefaultParams.
func DefaultConfig() Config {
	return Config{
		Bucket:         time.Minute,
		Interval:       time.Minute,
		Weeks:          4,
		RecentWindow:   time.Hour,
		HistoryRefresh: time.Hour,
		RecordsEvery:   5 * time.Minute,
		LeaseTTL:       DefaultLeaseTTL,
		Params:         spike.DefaultParams(),
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Bucket < time.Minute || c.Bucket%time.Minute != 0:
		return fmt.Errorf("bucket %s must be a whole number of minutes (the rollup is per minute)", c.Bucket)
	case (24*time.Hour)%c.Bucket != 0:
		return fmt.Errorf("bucket %s must divide a day", c.Bucket)
	case c.Interval <= 0:
		return fmt.Errorf("interval %s must be positive", c.Interval)
	case c.Weeks < 1:
		return fmt.Errorf("weeks %d must be at least 1", c.Weeks)
	case c.HistoryRefresh <= 0:
		return fmt.Errorf("history refresh %s must be positive", c.HistoryRefresh)
	case c.RecordsEvery <= 0:
		return fmt.Errorf("records-every %s must be positive", c.RecordsEvery)
	case c.LeaseTTL < 100*time.Millisecond:
		return fmt.Errorf("lease ttl %s must be at least 100ms", c.LeaseTTL)
	}
	if err := c.Params.Validate(); err != nil {
		return fmt.Errorf("thresholds: %w", err)
	}
	if n := c.recentBuckets(); n < c.Params.MinRecent {
		return fmt.Errorf("recent window %s holds %d buckets of %s, fewer than min-recent %d", c.RecentWindow, n, c.Bucket, c.Params.MinRecent)
	}
	return nil
}

// openInfo is what the detector knows of an open incident beyond the
// tracker's numbers.
type openInfo struct {
	id  string
	top breakdown
}

// Detector runs detection cycles. Cycle, Flush and SaveRecords are not
// safe for concurrent use; Ready and Leading are.
//
// Any number of detectors may run on the same stores: only the holder of
// the lease (redis.DetectorLeaseKey) runs cycles, and it publishes only while it holds
// it (see outbox). The others stand by, trying to take the lease every
// third of its TTL, and the one that takes it loads the incidents afresh
// (Load), so it goes on where the last holder stopped.
type Detector struct {
	store   Store
	rdb     goredis.UniversalClient
	state   State
	log     *slog.Logger
	cfg     Config
	lease   *redis.Lease
	tracker *spike.Tracker
	open    map[string]openInfo

	first   map[string]time.Time // start of each service's history
	firstAt time.Time            // when first was read (cycle time)

	lastFull time.Time // the latest complete bucket stepped

	recentLevels recentLevels          // every service's recent window, kept between cycles
	calm         map[string]spike.Calm // where each service's recent window stands around its incidents
	savedAt      time.Time             // when the learnt records were last saved

	out         outbox
	lastVersion uint64
	loaded      atomic.Bool
	leading     atomic.Bool // holds the lease, as Run last found
	standby     atomic.Bool // Run found the lease another's and waits for it

	now     func() time.Time                   // the clock of Run's cycles
	crashAt func(step string, events int) bool // set by tests only: see Flush
}

// New returns a detector over st (clickhouse.NewDetectorStore) and rdb,
// where it keeps its lease and state (redis.DetectorState). Call Load
// before the first cycle.
func New(st Store, rdb goredis.UniversalClient, log *slog.Logger, cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l, err := redis.NewLease(rdb, redis.DetectorLeaseKey, cfg.LeaseTTL, log)
	if err != nil {
		return nil, err
	}
	if len(cfg.Streams) == 0 {
		cfg.Streams = []string{redis.Reports}
	}
	d := &Detector{store: st, rdb: rdb, state: redis.NewDetectorState(rdb), log: log, cfg: cfg, lease: l, now: time.Now}
	if err := d.reset(); err != nil {
		return nil, err
	}
	return d, nil
}

// reset forgets everything learnt from the stores, as before Load: a
// replica that takes the lease over must go on from what the last holder
// stored, not from what it knew when it last held it.
func (d *Detector) reset() error {
	p := d.cfg.Params
	p.Bucket = d.cfg.Bucket // persistence is counted in the detector's buckets
	tr, err := spike.NewTracker(p)
	if err != nil {
		return err
	}
	d.tracker = tr
	d.open = make(map[string]openInfo)
	d.calm = make(map[string]spike.Calm)
	d.first, d.firstAt, d.lastFull = nil, time.Time{}, time.Time{}
	d.recentLevels = recentLevels{}
	d.out = outbox{}
	d.loaded.Store(false)
	return nil
}

// Leading says whether this detector held the lease when it last looked.
func (d *Detector) Leading() bool { return d.leading.Load() }

// Load restores the incidents that were open when the detector last
// stopped, or when the last holder of the lease did, so a restart or a
// takeover neither reopens nor forgets them, nor announces again what was
// announced. It first stores the incident states that were published but
// not saved (see outbox).
func (d *Detector) Load(ctx context.Context) error {
	top, err := d.repair(ctx)
	if err != nil {
		return err
	}
	d.lastVersion = max(d.lastVersion, top)
	incs, err := d.store.Incidents(ctx, clickhouse.IncidentFilter{Status: lapor.StatusOpen, Limit: 1000})
	if err != nil {
		return fmt.Errorf("load open incidents: %w", err)
	}
	for _, in := range incs {
		d.lastVersion = max(d.lastVersion, in.Version)
	}
	for _, in := range incs { // newest first
		if !in.Open() {
			continue
		}
		if _, dup := d.open[in.Service]; dup {
			d.log.Warn("more than one open incident for a service; tracking the newest", "service_slug", in.Service, "incident_id", in.ID)
			continue
		}
		d.tracker.Restore(in.Service, spike.Incident{
			Level:        levelFrom(in.Level),
			StartedAt:    in.StartedAt.UTC(),
			Peak:         in.Peak,
			PeakAt:       in.PeakAt.UTC(),
			PeakExpected: in.Baseline,
			Last:         in.LastCount,
			LastExpected: in.Baseline,
			Announced:    in.Peak,
			Span:         int(in.Span),
		})
		d.open[in.Service] = openInfo{id: in.ID, top: breakdown{symptoms: in.TopSymptoms, countries: in.TopCountries}}
	}
	if err := d.loadCalm(ctx); err != nil {
		d.log.Warn("starting without the windows of lately ended incidents", "err", err)
	}
	restored, bad, err := d.loadRecords(ctx)
	if err != nil {
		d.log.Warn("starting without the saved records", "err", err)
	}
	d.savedAt = time.Now() // what was just read needs no saving yet
	// A detector that died may have published events it did not archive.
	d.out.archive = true
	d.loaded.Store(true)
	d.log.Info("loaded open incidents and learnt records", "count", len(d.open), "records", restored, "unreadable_records", bad)
	return nil
}

// Ready reports whether the detector does its part and its stores
// answer: as the lease holder, once it has loaded its incidents; as a
// replica standing by, at once, since it serves nothing but its health
// and a standby that never got ready would stall a rolling update behind
// the holder.
func (d *Detector) Ready(ctx context.Context) error {
	if !d.loaded.Load() && !d.standby.Load() {
		return errors.New("open incidents not loaded yet")
	}
	if err := d.store.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	if err := d.state.Ping(ctx); err != nil {
		return err
	}
	return nil
}

// Run takes the lease whenever it is free and, while it holds it, loads
// the open incidents and runs a cycle every interval, until ctx ends. A
// cycle that has begun is finished, and whatever it could not write is
// tried once more, before Run returns.
func (d *Detector) Run(ctx context.Context) error {
	d.lease.Run(ctx, d.lead, func() {
		d.beat()
		d.leading.Store(false)
		d.standby.Store(true)
	})
	d.leading.Store(false)
	return nil
}

// beat tells the liveness check that Run went round.
func (d *Detector) beat() {
	if d.cfg.Beat != nil {
		d.cfg.Beat()
	}
}

// lead runs cycles while this detector holds the lease: ctx ends when it
// is lost or the detector stops.
func (d *Detector) lead(ctx context.Context) {
	d.leading.Store(true)
	d.standby.Store(false)
	defer d.leading.Store(false)
	if err := d.reset(); err != nil { // the last term's state is stale
		d.log.Error("reset detector", "err", err)
		return
	}
	tick := time.NewTicker(d.cfg.Interval)
	defer tick.Stop()
	for {
		d.beat()
		if !d.loaded.Load() {
			if err := d.withCycleCtx(ctx, d.Load); err != nil {
				d.log.Error("load open incidents", "err", err)
			}
		}
		if d.loaded.Load() { // at once after loading: a restart leaves no gap
			if err := d.runCycle(ctx); errors.Is(err, redis.ErrFenced) {
				d.log.Warn("another detector holds the lease now; standing by")
				d.loaded.Store(false)
				return
			}
			// After the cycle, so that a long first run over weeks of
			// history never delays one; it keeps what it did when cut
			// short and goes on next time.
			if err := d.withCycleCtx(ctx, func(ctx context.Context) error {
				until, err := d.finalize(ctx, d.now())
				d.log.Debug("final counts", "until", until)
				return err
			}); err != nil {
				d.log.Warn("final counts not moved on; reads count the open minutes from the rollup", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			d.stepDown(ctx)
			return
		case <-tick.C:
		}
	}
}

// stepDown ends a term: it writes what the last cycles could not and,
// while the lease is still this detector's, saves the learnt records.
func (d *Detector) stepDown(ctx context.Context) {
	defer d.loaded.Store(false)
	if !d.out.empty() {
		if err := d.withCycleCtx(ctx, d.Flush); err != nil {
			d.log.Error("unwritten alert events or incident states at shutdown; the next holder of the lease decides or stores them", "err", err)
		}
	}
	if !d.loaded.Load() {
		return
	}
	err := d.withCycleCtx(ctx, func(ctx context.Context) error {
		// Records are soft state, but a replica that lost the lease would
		// overwrite the new holder's with older ones.
		if ok, err := d.lease.Renew(ctx); err != nil || !ok {
			return errors.Join(errors.New("the lease is no longer this detector's"), err)
		}
		return d.SaveRecords(ctx)
	})
	if err != nil {
		d.log.Error("learnt records not saved at shutdown; the next detector uses an older save", "err", err)
	}
}

func (d *Detector) runCycle(ctx context.Context) error {
	start := time.Now()
	if err := d.withCycleCtx(ctx, func(ctx context.Context) error { return d.Cycle(ctx, d.now()) }); err != nil {
		d.log.Error("detection cycle", "err", err)
		return err
	}
	took := time.Since(start)
	if took > d.cfg.Interval/2 {
		// Cycles that eat most of the interval are late to see the next
		// bucket: worth a look before they overrun it.
		d.log.Warn("slow detection cycle", "took_ms", took.Milliseconds(), "interval_ms", d.cfg.Interval.Milliseconds(), "services", len(d.first))
	} else {
		d.log.Debug("detection cycle", "took_ms", took.Milliseconds(), "open", d.tracker.Len())
	}
	if time.Since(d.savedAt) >= d.cfg.RecordsEvery {
		if err := d.withCycleCtx(ctx, d.SaveRecords); err != nil {
			d.log.Warn("save learnt records", "err", err)
		}
	}
	return nil
}

// withCycleCtx runs f with a context that outlives ctx's cancellation, so
// that shutting down finishes the cycle under way instead of cutting it.
func (d *Detector) withCycleCtx(ctx context.Context, f func(context.Context) error) error {
	timeout := min(max(d.cfg.Interval, 5*time.Second), 30*time.Second)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	return f(cctx)
}

// bucketStart is the start of the bucket holding t, aligned like the
// queries' intDiv on Unix seconds.
func (d *Detector) bucketStart(t time.Time) time.Time {
	s := int64(d.cfg.Bucket / time.Second)
	u := t.Unix()
	return time.Unix(u-((u%s)+s)%s, 0).UTC()
}

// Cycle runs one detection pass as of now: it judges every service with
// recent reports or an open incident, then writes and publishes what
// changed. Tests pass their own now.
func (d *Detector) Cycle(ctx context.Context, now time.Time) error {
	cur := d.bucketStart(now)
	prev := cur.Add(-d.cfg.Bucket)
	refresh := d.first == nil || now.Sub(d.firstAt) >= d.cfg.HistoryRefresh || now.Before(d.firstAt)
	if refresh {
		first, err := d.firstSeen(ctx, prev.Add(-time.Duration(d.cfg.Weeks)*baseline.Week))
		if err != nil {
			return err
		}
		d.first, d.firstAt = first, now
	}
	recent, err := d.recent(ctx, prev, cur)
	if err != nil {
		return err
	}
	for s, p := range recent {
		// First seen since firstSeen last ran: its history starts now.
		if _, ok := d.first[s]; !ok {
			d.first[s] = cur
			if p.prev > 0 {
				d.first[s] = prev
			}
		}
	}
	levels, err := d.levels(ctx, prev, refresh)
	if err != nil {
		return err
	}
	hist, err := d.history(ctx, prev, cur)
	if err != nil {
		return err
	}

	// Every service with history is stepped, with zero when nobody
	// reported, so that its spans and what it learns follow every bucket;
	// d.first holds every service with reports in the weeks the baseline
	// reads, and recent's are in it.
	services := d.tracker.OpenServices(make([]string, 0, len(d.first)+d.tracker.Len()))
	for s := range d.first {
		if _, open := d.tracker.Lookup(s); !open {
			services = append(services, s)
		}
	}
	sort.Strings(services) // a stable order for the events of one cycle

	type change struct {
		service string
		d       spike.Decision
		from    spike.Source // where the baseline came from
	}
	var changes []change
	// Openings wait for the network check (see network.go) until every
	// service is stepped, so that it takes one query per cycle.
	openings := make(map[string]opening)
	note := func(s string, dec spike.Decision, from spike.Source) {
		if dec.Kind == spike.Opened {
			c, had := d.calm[s]
			openings[s] = opening{change: len(changes), from: d.openingFrom(dec.Incident), calm: c, hadCalm: had}
		}
		d.incidentChanged(s, dec)
		if dec.Kind != spike.None || dec.Save {
			changes = append(changes, change{s, dec, from})
		}
	}
	// The previous bucket is judged once, when it is first complete; the
	// current one every cycle, as a partial bucket.
	stepPrev := prev.After(d.lastFull)
	full := true // prev's reports have all reached ClickHouse
	if stepPrev {
		written, waiting, err := d.writtenBefore(ctx, cur)
		switch {
		case err != nil:
			// Without Redis nothing is in flight that could still land.
			d.log.Warn("cannot tell whether the previous bucket's reports are all written; judging it complete", "err", err)
		case !written:
			full = false
			d.log.Warn("reports not written yet; the previous bucket is judged as still filling", "waiting_since", waiting, "bucket", prev)
		}
	}
	common := d.cfg.recentSpan(prev)
	// What each complete bucket was judged against, for the pages' band.
	var judged []clickhouse.Expectation
	for _, s := range services {
		r := recent[s]
		sp := d.levelSpan(s, prev)
		level := window(levels[s], sp, d.firstOf(s, cur), d.cfg.Bucket)
		var since []float64
		if sp != common { // frozen: after an incident, what its tail left counts
			since = d.since(s, prev)
		}
		if stepPrev {
			b := d.expected(hist[s], level, since, s, prev)
			if d.lastFull.IsZero() {
				// The first cycle since start: the tracker's spans start
				// with the recent window instead of refilling over an hour.
				d.tracker.Prime(s, prev, window(levels[s], common, d.firstOf(s, cur), d.cfg.Bucket), b.Expected)
			}
			step := d.tracker.StepBaseline
			if !full {
				step = d.tracker.StepPartial // never quiet: nothing resolves on missing reports
			}
			// An incident restored at start may have opened in the bucket
			// now current: the bucket before it is no part of it, and
			// stepping it would count as the incident's first quiet one.
			if in, open := d.tracker.Lookup(s); !open || !prev.Before(in.StartedAt) {
				dec := step(s, prev, clampCount(r.prev), b)
				note(s, dec, b.Source)
				judged = append(judged, clickhouse.Expectation{Service: s, Bucket: prev, Length: d.cfg.Bucket,
					Expected: dec.Expected, Spans: d.tracker.Judgements(s, nil)})
			}
		}
		b := d.expected(hist[s], level, since, s, cur)
		note(s, d.tracker.StepPartial(s, cur, clampCount(r.cur), b), b.Source)
	}
	// Stepped once as the previous bucket, complete or not: stepping it
	// again after the current one would step the tracker back in time.
	d.lastFull = prev
	if err := d.store.SaveExpectations(ctx, judged, now); err != nil {
		// The band is for readers; detection goes on without it.
		d.log.Warn("store what the buckets were judged against", "buckets", len(judged), "err", err)
	}
	if len(openings) > 0 {
		// A withheld opening takes with it the changes after it: the
		// current bucket's step of an incident the previous one opened.
		if withheld := d.withhold(ctx, openings, cur.Add(d.cfg.Bucket)); len(withheld) > 0 {
			kept := changes[:0]
			for i, c := range changes {
				if !withheld[c.service] || i < openings[c.service].change {
					kept = append(kept, c)
				}
			}
			changes = kept
		}
	}
	if len(changes) > 0 {
		since := make(map[string]time.Time, len(changes))
		for _, c := range changes {
			// The count that opened it may be the previous full bucket's.
			since[c.service] = c.d.Incident.StartedAt.Add(-d.cfg.Bucket)
		}
		tops, err := d.breakdowns(ctx, since)
		if err != nil {
			// The numbers matter more than the breakdown: keep the last one.
			d.log.Warn("incident breakdown", "err", err)
		}
		var (
			events []pendingEvent
			incs   []lapor.Incident
		)
		for _, c := range changes {
			info, ok := d.open[c.service]
			if !ok || c.d.Kind == spike.Opened {
				info = openInfo{id: incidentID(c.service, c.d.Incident.StartedAt)}
			}
			if b, ok := tops[c.service]; ok {
				info.top = b
			}
			in := d.record(c.service, info, c.d, now)
			incs = append(incs, in)
			if c.d.Kind != spike.None {
				p, err := newEvent(in, c.d, now)
				if err != nil {
					return err
				}
				events = append(events, p)
				d.log.Info("incident "+c.d.Kind.String(), "service_slug", c.service, "incident_id", in.ID,
					"level", in.Level, "count", in.LastCount, "expected", c.d.Expected, "baseline_from", c.from.String(), "evidence", c.d.Evidence)
			}
			if c.d.Kind == spike.Resolved {
				delete(d.open, c.service)
			} else {
				d.open[c.service] = info
			}
		}
		d.out.add(events, incs)
	}
	if d.out.empty() {
		return nil
	}
	return d.Flush(ctx)
}

// clampCount fits a count of reporters into the tracker's counts.
func clampCount(n uint64) uint32 { return uint32(min(n, uint64(^uint32(0)))) }

// expected is a service's baseline for the bucket starting at t, from
// its slot levels in past weeks and days and its recent level.
func (d *Detector) expected(hist map[int64]float64, level, since []float64, service string, t time.Time) spike.Baseline {
	// No history known (first defaults to t): nothing to learn from.
	first := d.firstOf(service, t)
	h := spike.History{Recent: level, Since: since}
	for k := 1; k <= d.cfg.Weeks; k++ {
		if v, ok := d.slotLevel(hist, t.Add(-time.Duration(k)*baseline.Week), first); ok {
			h.Weeks = append(h.Weeks, v)
		} else {
			break
		}
	}
	for k := 1; k <= d.cfg.Params.Days; k++ {
		if v, ok := d.slotLevel(hist, t.Add(-time.Duration(k)*24*time.Hour), first); ok {
			h.Days = append(h.Days, v)
		} else {
			break
		}
	}
	return d.cfg.Params.Estimate(h)
}

// slotLevel is the mean count of the buckets around the slot starting at
// at (SlotHalfWidth either side) that lie inside the service's history,
// empty buckets as zero, as spike.Stream computes it; a slot before the
// history's start has no level.
func (d *Detector) slotLevel(hist map[int64]float64, at, first time.Time) (float64, bool) {
	if at.Before(first) {
		return 0, false
	}
	w := d.cfg.Params.SlotHalfWidth
	sum, n := 0.0, 0
	for x := -w; x <= w; x++ {
		b := at.Add(time.Duration(x) * d.cfg.Bucket)
		if b.Before(first) {
			continue
		}
		sum += hist[b.Unix()]
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// slotShifts are how far back the slots of past weeks and days lie.
func (d *Detector) slotShifts() []time.Duration {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for k := 1; k <= d.cfg.Weeks; k++ {
		out = append(out, time.Duration(k)*baseline.Week)
		seen[out[len(out)-1]] = true
	}
	for k := 1; k <= d.cfg.Params.Days; k++ {
		if s := time.Duration(k) * 24 * time.Hour; !seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// record is the stored form of the tracker's incident after a decision.
func (d *Detector) record(service string, info openInfo, dec spike.Decision, now time.Time) lapor.Incident {
	st := dec.Incident
	in := lapor.Incident{
		ID:           info.id,
		Service:      service,
		Level:        levelName(st.Level),
		Status:       lapor.StatusOpen,
		StartedAt:    st.StartedAt,
		UpdatedAt:    now.UTC(),
		Peak:         st.Peak,
		PeakAt:       st.PeakAt,
		Baseline:     st.PeakExpected,
		LastCount:    st.Last,
		TopSymptoms:  info.top.symptoms,
		TopCountries: info.top.countries,
		Version:      d.nextVersion(),
		Span:         uint16(min(st.Span, math.MaxUint16)),
	}
	if dec.Kind == spike.Resolved {
		in.Status = lapor.StatusResolved
		in.EndedAt = st.EndedAt
		in.EndReason = endName(st.End)
	}
	return in
}

// nextVersion is the wall clock in nanoseconds, forced to rise even when
// the clock steps back, and above every version Load read, so the newest
// incident state always wins, also over the states of a replica whose
// clock runs ahead, or that lost the lease and still writes the states
// it published before (see outbox).
func (d *Detector) nextVersion() uint64 {
	v := uint64(time.Now().UnixNano())
	if v <= d.lastVersion {
		v = d.lastVersion + 1
	}
	d.lastVersion = v
	return v
}

// newEvent is the event announcing a decision about incident in.
func newEvent(in lapor.Incident, dec spike.Decision, now time.Time) (pendingEvent, error) {
	kind := kindName(dec.Kind)
	ev := lapor.AlertEvent{
		ID:         eventID(in.ID, kind, in.Level, dec.Incident.Announced),
		Kind:       kind,
		IncidentID: in.ID,
		Service:    in.Service,
		Level:      in.Level,
		At:         now.UTC().Truncate(time.Second),
		Count:      in.LastCount,
		Baseline:   dec.Expected,
		Symptoms:   in.Symptoms(),
		Countries:  in.TopCountries,
		EndReason:  in.EndReason,
	}
	payload, err := ev.Encode()
	if err != nil {
		return pendingEvent{}, err
	}
	return pendingEvent{ev: ev, payload: payload}, nil
}

// incidentNamespace scopes incident IDs.
var incidentNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://lapor/incidents"))

// incidentID names the incident of a service that started in a bucket. It
// is derived, not random, so that a detector restarted before it stored a
// new incident gives the incident it decides again the same ID.
func incidentID(service string, started time.Time) string {
	return uuid.NewSHA1(incidentNamespace, []byte(service+"\x00"+strconv.FormatInt(started.Unix(), 10))).String()
}

func levelName(l spike.Level) lapor.Level {
	if l == spike.LevelDetected {
		return lapor.LevelDetected
	}
	return lapor.LevelPossible
}

func levelFrom(s lapor.Level) spike.Level {
	if s == lapor.LevelDetected {
		return spike.LevelDetected
	}
	return spike.LevelPossible
}

// endName is how a resolved incident's end is stored and published.
func endName(e spike.End) lapor.EndReason {
	switch e {
	case spike.EndNormal:
		return lapor.EndNormal
	case spike.EndFaded:
		return lapor.EndFaded
	case spike.EndNewNormal:
		return lapor.EndNewNormal
	default:
		return ""
	}
}

func kindName(k spike.Kind) lapor.AlertKind {
	switch k {
	case spike.Opened:
		return lapor.AlertOpened
	case spike.Escalated:
		return lapor.AlertEscalated
	case spike.Updated:
		return lapor.AlertUpdated
	default:
		return lapor.AlertResolved
	}
}
