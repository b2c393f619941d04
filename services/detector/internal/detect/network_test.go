package detect_test

import (
	"fmt"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
)

// hosts is how many distinct reporters one network sends; network ""
// stands for reports stored before networks were.
type hosts struct {
	network string
	n       int
}

// fromNetworks makes one report from each host of each network, spread
// evenly over [from, from+span), the networks interleaved.
func fromNetworks(service string, from time.Time, span time.Duration, nets []hosts) []lapor.Report {
	var who []lapor.Report
	for k, h := range nets {
		for j := range h.n {
			who = append(who, lapor.Report{
				Service:  service,
				Symptom:  "login",
				Country:  "ID",
				Reporter: fmt.Sprintf("%s-net%d-host%d", service, k, j),
				Network:  h.network,
			})
		}
	}
	// Interleave: report i goes to host i·stride mod len, stride coprime.
	out := make([]lapor.Report, len(who))
	stride := 7
	for len(who)%stride == 0 {
		stride++
	}
	for i := range out {
		seq++
		r := who[i*stride%len(who)]
		r.ID = fmt.Sprintf("r-%d", seq)
		r.Time = from.Add(span * time.Duration(i) / time.Duration(len(out)))
		out[i] = r
	}
	return out
}

// TestOneNetworkCannotOpenAnIncident checks the network rule at opening:
// a quiet small service's incident needs MinReporters (5) distinct
// reporters outside its largest network, so one network's capped 20 open
// nothing, while a crowd spread over networks, or reports from before
// networks were stored, open as before.
func TestOneNetworkCannotOpenAnIncident(t *testing.T) {
	tests := []struct {
		name string
		nets []hosts
		open bool
	}{
		{"one network's 20 reporters", []hosts{{"net-a", 20}}, false},
		{"the same 20 stored before networks were", []hosts{{"", 20}}, true},
		{"a carrier's NAT pool: 160 reporters from 8 networks", []hosts{
			{"nat-1", 20}, {"nat-2", 20}, {"nat-3", 20}, {"nat-4", 20},
			{"nat-5", 20}, {"nat-6", 20}, {"nat-7", 20}, {"nat-8", 20},
		}, true},
		{"one network's 20 and one reporter each from six others", []hosts{
			{"net-a", 20}, {"net-b", 1}, {"net-c", 1}, {"net-d", 1}, {"net-e", 1}, {"net-f", 1}, {"net-g", 1},
		}, true},
		{"one network's 20 and one each from four others", []hosts{
			{"net-a", 20}, {"net-b", 1}, {"net-c", 1}, {"net-d", 1}, {"net-e", 1},
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			t0 := now.Truncate(time.Minute)
			at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
			// Two hours of a report every ten minutes.
			for m := -120; m < 0; m += 10 {
				s.insert(t, burst("bank", 1, 1, at(m).Add(5*time.Second), time.Second, []string{"login"}, []string{"ID"}))
			}
			s.insert(t, fromNetworks("bank", at(0), 15*time.Minute, tt.nets))
			d := s.detector(t)
			opened := -1
			for k := 0; k <= 15 && opened < 0; k++ {
				cycle(t, d, now.Add(time.Duration(k)*time.Minute))
				if len(s.incidents(t, clickhouse.IncidentFilter{Status: lapor.StatusOpen})) > 0 {
					opened = k
				}
			}
			evs := kinds(s.events(t))
			if !tt.open {
				if opened >= 0 || len(evs) != 0 || len(s.incidents(t, clickhouse.IncidentFilter{})) != 0 {
					t.Fatalf("opened in minute %d, events %v: want no incident, no event", opened, evs)
				}
				return
			}
			if opened < 0 {
				t.Fatal("no incident opened in the 15 minutes of the crowd")
			}
			if len(evs) != 1 || evs[0] != "bank:opened" {
				t.Fatalf("alert stream = %v, want bank:opened", evs)
			}
		})
	}
}
