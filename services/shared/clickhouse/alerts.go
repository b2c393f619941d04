package clickhouse

import (
	"context"
	"fmt"

	"github.com/lapor/lapor/services/shared/redis"
)

// SaveAlertEvents archives alert log entries in alert_events, each with
// the payload exactly as it was published. The table folds rows with the
// same id and time, so archiving an entry again (after a failure or a
// crash) leaves one event.
func (s *DetectorStore) SaveAlertEvents(ctx context.Context, es []redis.AlertEntry) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO alert_events (id, incident_id, service, kind, level, at, count, baseline, payload)")
	if err != nil {
		return fmt.Errorf("prepare alert event batch: %w", err)
	}
	for _, en := range es {
		e := en.Event
		if err := batch.Append(e.ID, e.IncidentID, e.Service, string(e.Kind), string(e.Level), e.At.UTC(), e.Count, e.Baseline, en.Payload); err != nil {
			batch.Abort()
			return fmt.Errorf("append alert event %s: %w", e.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert batch of %d alert events: %w", len(es), err)
	}
	return nil
}
