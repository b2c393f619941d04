package detect

import (
	"context"
	"time"
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
