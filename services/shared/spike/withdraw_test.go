package spike_test

import (
	"reflect"
	"testing"

	"github.com/lapor/lapor/services/shared/spike"
)

// records is what a tracker learnt, by service.
func records(tr *spike.Tracker) map[string]spike.Record {
	out := map[string]spike.Record{}
	tr.Records(func(s string, r spike.Record) { out[s] = r })
	return out
}

func TestTrackerWithdraw(t *testing.T) {
	tests := []struct {
		name     string
		next     uint32 // the count of the bucket after the withdrawn opening
		wantKind spike.Kind
		wantOpen bool
	}{
		{"a burst that goes on is proposed again", 20, spike.Opened, true},
		{"a burst that ends leaves no incident", 2, spike.None, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// tr withdraws the opening; twin keeps it, so what both learnt
			// can be compared.
			tr, _ := spike.NewTracker(spike.DefaultParams())
			twin, _ := spike.NewTracker(spike.DefaultParams())
			for _, x := range []*spike.Tracker{tr, twin} {
				quietHour(x, "svc", 2)
				if d := x.StepBaseline("svc", at(0), 20, base(2)); d.Kind != spike.Opened {
					t.Fatalf("20 where 2 are usual: %v, want opened", d.Kind)
				}
			}
			tr.Withdraw("svc")
			if _, open := tr.Lookup("svc"); open || tr.Len() != 0 {
				t.Fatalf("after Withdraw: open %v, %d open incidents; want none", open, tr.Len())
			}
			if !reflect.DeepEqual(records(tr), records(twin)) {
				t.Fatal("Withdraw changed what the series learnt")
			}

			d := tr.StepBaseline("svc", at(1), tt.next, base(2))
			twin.StepBaseline("svc", at(1), tt.next, base(2))
			if d.Kind != tt.wantKind {
				t.Fatalf("next bucket of %d: %v, want %v", tt.next, d.Kind, tt.wantKind)
			}
			if _, open := tr.Lookup("svc"); open != tt.wantOpen {
				t.Fatalf("next bucket of %d: open %v, want %v", tt.next, open, tt.wantOpen)
			}
			// The withdrawn bucket taught as an incident's does: nothing.
			if !reflect.DeepEqual(records(tr), records(twin)) {
				t.Fatal("the withdrawn burst taught the series what an incident's would not")
			}
		})
	}
}
