// Package read is what every audience of the web reads and derives from
// storage: the pages, the public read API and the partner API all count
// reports, expectations and incidents through it, so that they never
// disagree. It holds the storage interface the web declares (PageStorage,
// implemented by clickhouse.PageStore), the derived reads (Series,
// Countries, CommentByID), the short-lived caches that let many pollers
// share one query (refreshed in the background, and holding each answer
// encoded once: Cache, Body), the services' status, and which buckets are
// final. It serves no HTTP itself.
package read

import (
	"context"
	"log/slog"
	"math"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// Limits every audience shares.
const (
	// MaxIncidents is the most incidents one read lists: the API's
	// largest page, the sitemap and the status snapshot's open incidents.
	MaxIncidents = 1000
	// MaxIDLength bounds ids taken from paths before they reach a query;
	// longer ones are no incident's.
	MaxIDLength = 64
	// RetryAfter is what clients are told to wait when the store is down.
	RetryAfter = 5 * time.Second
	// CacheTTL is how long the answers that pages poll are shared, and
	// then served stale for as long again while they are read anew (see
	// Reader.CacheConfig).
	CacheTTL = 5 * time.Second
	// MaxCacheKeys bounds each set of per-query caches.
	MaxCacheKeys = 256
	// DefaultStatusTTL is how long the services' status is reused between
	// queries; the pages poll every few seconds.
	DefaultStatusTTL = 2 * time.Second
)

// PageStorage is what the web reads from (and the operator's comment
// tool writes to) ClickHouse: clickhouse.PageStore holds the SQL. What the
// web derives from its rows (a series' expected line, a country's usual
// level, a report id's time) stays in Store.
type PageStorage interface {
	// Ping checks that the store answers (readiness).
	Ping(ctx context.Context) error

	Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error)
	LatestExpectations(ctx context.Context, since time.Time) (map[string]clickhouse.Expectation, error)
	ExpectationSeries(ctx context.Context, service string, from time.Time, step time.Duration, n int) ([]clickhouse.ExpectationBucket, error)

	Activity(ctx context.Context, since time.Time) (Activity, error)
	ReportSeries(ctx context.Context, service string, from time.Time, step time.Duration, n int) ([]Counts, error)
	Sparklines(ctx context.Context, from time.Time, step time.Duration, n int) (map[string][]uint64, error)
	Breakdown(ctx context.Context, service string, by Dimension, from, to time.Time) ([]Breakdown, error)
	Recent(ctx context.Context, service, country string, from time.Time) (all, inCountry Counts, err error)
	CountryWindows(ctx context.Context, service string, from, to time.Time, days int) ([]clickhouse.CountryWindow, error)
	HistoryStart(ctx context.Context, service string) (first time.Time, known bool, err error)

	Comments(ctx context.Context, f CommentFilter) ([]Comment, error)
	CommentBetween(ctx context.Context, id string, from, to time.Time) (c Comment, found bool, err error)
	SetCommentHidden(ctx context.Context, c Comment, hidden bool, at time.Time) error
}

// The web runs on ClickHouse.
var _ PageStorage = (*clickhouse.PageStore)(nil)

// Store is the web's reads: the storage's, and what the web derives from
// them (Series, Countries, CommentByID).
type Store struct {
	PageStorage
}

// NewStore returns a Store over db.
func NewStore(db PageStorage) *Store { return &Store{PageStorage: db} }

// Counts are distinct reports and reporters over some span.
type Counts = clickhouse.ReportCounts

// Breakdown is a count by one dimension (symptom or country).
type Breakdown = clickhouse.ReportBreakdown

// Activity is every service's recent reports.
type Activity = clickhouse.Activity

// Dimension is what a breakdown counts by: a column of reports_minute.
type Dimension = clickhouse.Dimension

// The dimensions reports can be broken down by.
const (
	ByCountry = clickhouse.ByCountry
	BySymptom = clickhouse.BySymptom
)

// Point is one bucket of a series.
type Point struct {
	T         time.Time
	Reports   uint64
	Reporters uint64
	// Judged says the detector judged the bucket, or some of it: Expected
	// is then its expected count, for the part of it up to the series' end
	// (a bucket still filling is expected to hold only what its elapsed
	// part should). A bucket partly judged (the detector was down for some
	// of it) is expected at the rate of the part it judged.
	Judged   bool
	Expected float64
	// Possible and Detected are the counts at which the detector's span as
	// long as the bucket, ending with it, reaches each level; NaN where it
	// judges no such span (the step is not one of its spans, or the bucket
	// is not complete yet).
	Possible, Detected float64
}

// Expectation is the bucket's expected count as the APIs write it: nil
// (JSON's null) where the detector judged nothing, or where what it
// expected is not a finite number.
func (p Point) Expectation() *float64 {
	if !p.Judged {
		return nil
	}
	return Known(p.Expected)
}

// Known is x, or nil for NaN and infinities, which JSON cannot hold.
func Known(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Series returns a service's reports in buckets of step starting at from
// (which must be aligned to step), every bucket that starts before to,
// each with what the detector judged it against (clickhouse.ExpectationSeries). Buckets
// without reports are zero.
func (s *Store) Series(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]Point, error) {
	stepSec := int64(step / time.Second)
	n := (to.Unix() - from.Unix() + stepSec - 1) / stepSec

	counts, err := s.PageStorage.ReportSeries(ctx, service, from, step, int(n))
	if err != nil {
		return nil, err
	}
	points := make([]Point, n)
	for i := range points {
		points[i] = Point{T: time.Unix(from.Unix()+int64(i)*stepSec, 0).UTC(), Possible: math.NaN(), Detected: math.NaN()}
		points[i].Reports, points[i].Reporters = counts[i].Reports, counts[i].Reporters
	}

	judged, err := s.PageStorage.ExpectationSeries(ctx, service, from, step, int(n))
	if err != nil {
		return nil, err
	}
	for i, b := range judged {
		if b.Judged <= 0 {
			continue
		}
		p := &points[i]
		covered := min(step, to.Sub(p.T))
		p.Judged, p.Expected = true, b.Expected(covered)
		if b.End != nil && covered == step {
			p.Possible, p.Detected = b.End.Possible, b.End.Detected
		}
	}
	return points, nil
}

// Options are what a Reader needs.
type Options struct {
	Log   *slog.Logger
	Store PageStorage // clickhouse.PageStore
	Now   func() time.Time
	// StatusTTL is how long the services' status is reused
	// (DefaultStatusTTL in production; zero reads it every time).
	StatusTTL time.Duration
	// Backlog tells which reports are not written yet, so that
	// FinalBefore can say which buckets are final; nil judges by time
	// alone.
	Backlog Backlog
}

// Reader is the Store with what every audience shares over it: the
// services' status, series points and which buckets are final, each
// cached for a moment so that many pages polling at once cost one query,
// and refreshed in the background so that no reader waits on a refresh.
type Reader struct {
	*Store
	ctx     context.Context // the server's: background loads end with it
	log     *slog.Logger
	now     func() time.Time
	status  *Cache[Status]
	series  *Caches[[]Point]  // series points, by range
	backlog Backlog           // nil without one
	final   *Cache[time.Time] // FinalBefore, shared for a moment
}

// New returns a Reader whose caches load in the background under ctx
// (the server's: they stop with it); Log, Store and Now are required.
func New(ctx context.Context, o Options) *Reader {
	r := &Reader{Store: NewStore(o.Store), ctx: ctx, log: o.Log, now: o.Now, backlog: o.Backlog}
	r.status = NewCache[Status](r.CacheConfig(o.StatusTTL))
	r.series = NewCaches[[]Point](r.CacheConfig(CacheTTL))
	// Which buckets are final may be answered from a stale value too: an
	// older answer is earlier, so it only calls fewer buckets final.
	r.final = NewCache[time.Time](r.CacheConfig(time.Second))
	return r
}

// CacheConfig is how the web's caches keep what they load for ttl: under
// the reader's context, log and clock, served stale for another ttl while
// one background load refreshes it (so a value read while the store
// answers is at most twice ttl old, and about ttl plus one load when it is
// read continually), for DefaultStaleIfError past ttl while the store
// fails, with at most MaxCacheKeys keys.
func (r *Reader) CacheConfig(ttl time.Duration) CacheConfig {
	return CacheConfig{
		Ctx: r.ctx, Log: r.log, Now: r.now,
		TTL: ttl, StaleWhileRevalidate: ttl, StaleIfError: DefaultStaleIfError,
		MaxKeys: MaxCacheKeys,
	}
}
