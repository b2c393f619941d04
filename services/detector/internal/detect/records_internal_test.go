package detect

import (
	"math"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/spike"
)

func TestRecordEncoding(t *testing.T) {
	r := spike.Record{At: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	for i := range r.Spread {
		r.Spread[i] = spike.Moments{Num: float64(i) + 0.25, Den: math.Pi * float64(i+1)}
		r.Tail[i] = spike.Tail{Rate: 1e-3 * float64(i+1), Excess: 4e-4}
	}
	got, err := decodeRecord(encodeRecord(r))
	if err != nil || got != r {
		t.Fatalf("round trip of %+v = %+v, %v", r, got, err)
	}
	for _, bad := range []string{"", "1 2 3", "x" + encodeRecord(r)[1:], encodeRecord(r) + " y", encodeRecord(r)[:len(encodeRecord(r))-1] + "z", "1 2 3 4"} {
		t.Run(bad, func(t *testing.T) {
			if r, err := decodeRecord(bad); err == nil {
				t.Fatalf("decodeRecord(%q) = %+v, want an error", bad, r)
			}
		})
	}
}
