package spike_test

import (
	"math"
	"testing"

	"github.com/lapor/lapor/services/shared/spike"
)

// TestTrackerRecordsSurviveRestart checks that a tracker given another's
// records decides a service's next burst as that tracker does, where a
// tracker without them would open it at once.
func TestTrackerRecordsSurviveRestart(t *testing.T) {
	b := spike.Baseline{Expected: 40, Scale: 1.8, Source: spike.FromWeeks}
	old, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// bursty: a large ten-minute burst, then quiet hours; calm: never a burst.
	minute := 0
	for _, s := range []struct {
		n     int
		count uint32
	}{{30, 40}, {10, 800}, {120, 40}} {
		for range s.n {
			old.StepBaseline("bursty", at(minute), s.count, b)
			old.StepBaseline("calm", at(minute), 40, b)
			minute++
		}
	}
	// The detector saves while the newest bucket is still filling.
	old.StepPartial("bursty", at(minute), 41, b)
	old.StepPartial("calm", at(minute), 41, b)

	recs := map[string]spike.Record{}
	old.Records(func(s string, r spike.Record) { recs[s] = r })
	if _, ok := recs["calm"]; ok {
		t.Errorf("calm service has a record: %+v", recs["calm"])
	}
	r, ok := recs["bursty"]
	if !ok || r.Open <= 0 || r.Score <= 0 {
		t.Fatalf("bursty service's record = %+v, %v; want its burst's evidence", r, ok)
	}
	if r.Chat > 0 {
		t.Errorf("bursty service's burst was an incident, yet its chatter record is %v", r.Chat)
	}
	if want := at(minute - 1); !r.At.Equal(want) {
		t.Errorf("record stands at %v, want %v (the bucket before the one filling)", r.At, want)
	}

	cases := []struct {
		name    string
		restore map[string]spike.Record
		// opensAt is the bucket of the 200-count burst at which the
		// restored tracker opens: 0 at once, 1 on the second bucket.
		opensAt int
	}{
		{"with the records", recs, 1},
		{"without records", nil, 0},
		{"with records that are not numbers", map[string]spike.Record{"bursty": {At: r.At, Open: math.NaN(), Chat: math.Inf(1), Score: -1}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := spike.NewTracker(spike.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			for s, r := range tc.restore {
				tr.RestoreRecord(s, r)
			}
			m := minute
			tr.StepBaseline("bursty", at(m), 40, b) // the bucket that was filling, now complete
			m++
			for k := 0; k < 2; k++ {
				d := tr.StepBaseline("bursty", at(m+k), 200, b)
				if want := k == tc.opensAt; (d.Kind == spike.Opened) != want {
					t.Fatalf("bucket %d of the burst: %v, want opened %v", k, d.Kind, want)
				}
				if d.Kind == spike.Opened {
					return
				}
			}
		})
	}
}

// TestTrackerRecordsOfBurstsUnderWay checks that a burst not yet over
// joins the record once it has had an incident (a restart must not make
// it new again), and not before (a restart must not make it look
// ordinary).
func TestTrackerRecordsOfBurstsUnderWay(t *testing.T) {
	b := spike.Baseline{Expected: 40, Scale: 1.8, Source: spike.FromWeeks}
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for m := range 30 {
		tr.StepBaseline("outage", at(m), 40, b)
		tr.StepBaseline("chatter", at(m), 40, b)
	}
	// outage: "detected" at once; chatter: one "possible" bucket, which
	// opens nothing alone. Both bursts are still under way after them.
	tr.StepBaseline("outage", at(30), 800, b)
	if d := tr.StepBaseline("chatter", at(30), 90, b); d.Open {
		t.Fatal("one possible bucket opened an incident")
	}
	tr.StepPartial("outage", at(31), 800, b)
	tr.StepPartial("chatter", at(31), 40, b)
	got := map[string]spike.Record{}
	tr.Records(func(s string, r spike.Record) { got[s] = r })
	if r, ok := got["outage"]; !ok || r.Open <= 0 || r.Chat != 0 {
		t.Errorf("outage's record = %+v, %v; want its burst as an opening record only", r, ok)
	}
	if r, ok := got["chatter"]; ok && (r.Open > 0 || r.Chat > 0) {
		t.Errorf("chatter's record = %+v, want no opening record while its burst is under way", r)
	}
}

// TestRestoredRecordReadsBack checks that a record restored and not
// stepped since is reported as it was restored, however often it is read.
func TestRestoredRecordReadsBack(t *testing.T) {
	tr, err := spike.NewTracker(spike.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want := spike.Record{At: at(7), Open: 2.5, Chat: 1.25, Score: 3}
	tr.RestoreRecord("s", want)
	for range 3 {
		var got []spike.Record
		tr.Records(func(_ string, r spike.Record) { got = append(got, r) })
		if len(got) != 1 || got[0] != want {
			t.Fatalf("records = %+v, want [%+v]", got, want)
		}
	}
}
