package spike

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzTracker steps a few services with whatever the bytes say: buckets
// out of order and repeated, partial and full steps, counts from zero to
// the largest, baselines that are NaN, infinite, negative or huge. Nothing
// may panic, and every decision must be well formed.
func FuzzTracker(f *testing.F) {
	f.Add([]byte{0, 1, 0, 20, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Add([]byte{1, 0, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 2, 5, 0, 40, 0, 0, 0, 0, 0, 0, 0x24, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := NewTracker(DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		at := map[int]int{}
		const step = 12 // bytes per step
		for len(data) >= step {
			svc := int(data[0] % 3)
			at[svc] += int(int8(data[1])) // may go back or stay
			count := uint32(binary.LittleEndian.Uint16(data[2:4]))
			if data[0]&0x80 != 0 {
				count = math.MaxUint32 - count
			}
			e := math.Float64frombits(binary.LittleEndian.Uint64(data[4:12]))
			name := string(rune('a' + svc))
			bucket := w0.Add(time.Duration(at[svc]) * time.Minute)
			var d Decision
			if data[0]&0x40 != 0 {
				d = tr.StepPartial(name, bucket, count, Baseline{Expected: e})
			} else {
				d = tr.StepBaseline(name, bucket, count, Baseline{Expected: e})
			}
			if !(d.Onset >= 0 && d.Onset <= 1) || !(d.Evidence >= 0) || math.IsInf(d.Evidence, 1) || !(d.Expected >= 0) {
				t.Fatalf("decision %+v for count %d against %v", d, count, e)
			}
			if d.Kind == Resolved && d.Incident.End == EndNone {
				t.Fatalf("resolved without a reason: %+v", d)
			}
			data = data[step:]
		}
		tr.Records(func(string, Record) {})
	})
}
