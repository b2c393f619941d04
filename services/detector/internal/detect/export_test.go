package detect

import (
	"context"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
)

// Levels exposes levels to the package's external tests.
func (d *Detector) Levels(ctx context.Context, prev time.Time, refresh bool) (map[string][]float64, error) {
	return d.levels(ctx, prev, refresh)
}

// KeptLevels is the common recent window as the last cycle left it.
func (d *Detector) KeptLevels() map[string][]float64 { return d.recentLevels.counts }

// EndName is endName, for the black-box tests.
var EndName = endName

// EncodeRecord is encodeRecord, so a test can save a record the way the
// detector does.
var EncodeRecord = encodeRecord

// ErrCrashed is what Flush returns when CrashAt made it stop.
var ErrCrashed = errCrashed

// CrashAt makes Flush stop dead after a step (decided, published,
// archived, checkpointed, saved, cleared) whenever crash says so, given
// the number of events the Flush publishes: the detector must then be
// dropped, as a process killed there would be.
func (d *Detector) CrashAt(crash func(step string, events int) bool) { d.crashAt = crash }

// SetClock sets the clock of Run's cycles.
func (d *Detector) SetClock(now func() time.Time) { d.now = now }

// TakeLeaseOver gives this detector the lease whoever held it, as when
// the holder died and its lease expired. It holds it until another takes
// it: tests that drive cycles by hand have no Run to renew it.
func (d *Detector) TakeLeaseOver(ctx context.Context) error {
	if err := d.rdb.Set(ctx, redis.DetectorLeaseKey, d.lease.Holder(), 0).Err(); err != nil {
		return err
	}
	d.leading.Store(true)
	return nil
}

// EventID is eventID.
var EventID = eventID

// Holder is the value the lease key holds while this detector has it.
func (d *Detector) Holder() string { return d.lease.Holder() }
