package detect

import (
	"context"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/alert"
	"github.com/lapor/lapor/services/shared/clickhouse"
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

	SaveIncidents(ctx context.Context, incs []lapor.Incident) error
	Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error)
	IncidentVersions(ctx context.Context, ids []string) (map[string]uint64, error)
	SaveExpectations(ctx context.Context, rows []clickhouse.Expectation, at time.Time) error
	SaveAlertEvents(ctx context.Context, es []alert.Entry) error
}

// The detector runs on ClickHouse.
var _ Store = (*clickhouse.DetectorStore)(nil)
