package detect

import (
	"context"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/redis"
)

// Store is what the detector reads from and writes to ClickHouse:
// clickhouse.DetectorStore holds the SQL. The statistics, the decisions
// and the order of the writes stay here.
type Store interface {
	// Ping checks that the store answers (readiness).
	Ping(ctx context.Context) error

	// Reporters streams distinct reporters per service and bucket.
	Reporters(ctx context.Context, q clickhouse.ReporterQuery, row func(service string, bucket int64, reporters uint64)) error
	// ReportersBefore streams the whole history before a time, service by
	// service (Replay).
	ReportersBefore(ctx context.Context, bucket time.Duration, before time.Time, row func(service string, bucket int64, reporters uint64) error) error
	// HistoryStarts is each service's first minute since a time.
	HistoryStarts(ctx context.Context, since time.Time) (map[string]time.Time, error)
	// ReportsBySymptomAndCountry is what incidents' reports are about.
	ReportsBySymptomAndCountry(ctx context.Context, since map[string]time.Time, until time.Time) ([]clickhouse.SymptomCountryCount, error)
	// ReportersByNetwork is the network check's count (see withhold).
	ReportersByNetwork(ctx context.Context, since map[string]time.Time, to time.Time) (map[string]clickhouse.NetworkReporters, error)
	// FinalizeBefore finalises the counts of the minutes before a time
	// whose reports are all written, and returns the watermark (see
	// finalize).
	FinalizeBefore(ctx context.Context, before time.Time) (time.Time, error)

	SaveIncidents(ctx context.Context, incs []lapor.Incident) error
	Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error)
	IncidentVersions(ctx context.Context, ids []string) (map[string]uint64, error)
	SaveExpectations(ctx context.Context, rows []clickhouse.Expectation, at time.Time) error
	SaveAlertEvents(ctx context.Context, es []redis.AlertEntry) error
}

// The detector runs on ClickHouse.
var _ Store = (*clickhouse.DetectorStore)(nil)

// State is what the detector keeps in Redis: redis.DetectorState holds the
// keys and scripts. Its lease is a redis.Lease of its own.
type State interface {
	// Ping checks that Redis answers (readiness).
	Ping(ctx context.Context) error
	// OldestUnwritten is when the oldest report not yet in ClickHouse was
	// ingested (see writtenBefore).
	OldestUnwritten(ctx context.Context, streams []string) (oldest time.Time, waiting bool, err error)

	// Publish publishes events and incident states, fenced by the lease.
	Publish(ctx context.Context, b redis.AlertBatch) ([]redis.Published, error)
	// AlertsAfter reads the alert log after a cursor; LastAlert is the
	// newest entry's cursor.
	AlertsAfter(ctx context.Context, cursor string, n int64) ([]redis.AlertEntry, error)
	LastAlert(ctx context.Context) (string, error)
	// Archived and SetArchived read and move the alert_events checkpoint.
	Archived(ctx context.Context) (string, error)
	SetArchived(ctx context.Context, cursor string) error
	// IncidentStates are the published states not yet cleared, encoded
	// (redis.EncodeIncidentState); ClearIncidentStates clears those that
	// still hold the given values.
	IncidentStates(ctx context.Context) (map[string]string, error)
	ClearIncidentStates(ctx context.Context, states map[string]string) error

	// SaveRecords and Records write and read the learnt records, encoded,
	// by service (see "Records" in the package doc).
	SaveRecords(ctx context.Context, bucket time.Duration, records map[string]string) error
	Records(ctx context.Context, bucket time.Duration) (map[string]string, error)
}

// The detector keeps its state in Redis.
var _ State = (*redis.DetectorState)(nil)
