package detect

import (
	"math"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

func TestRecordEncoding(t *testing.T) {
	r := spike.Record{At: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), Open: 15.25, Chat: 1e-3, Score: math.Pi}
	got, err := decodeRecord(encodeRecord(r))
	if err != nil || got != r {
		t.Fatalf("round trip of %+v = %+v, %v", r, got, err)
	}
	for _, bad := range []string{"", "1 2 3", "x 1 2 3", "1 2 3 y", "1 2 3 4 5"} {
		t.Run(bad, func(t *testing.T) {
			if r, err := decodeRecord(bad); err == nil {
				t.Fatalf("decodeRecord(%q) = %+v, want an error", bad, r)
			}
		})
	}
}
