package detect_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/detect"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/draw"
	"github.com/lapor/lapor/services/shared/spike"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestDetectorAgreesWithStream checks that the detector service, reading
// its counts and history from ClickHouse minute by minute, opens and ends
// the same incidents as spike.Stream, which the offline score, the NAB
// evaluation and the synthetic suite use, on the same series: what the
// evaluations measure is what runs.
func TestDetectorAgreesWithStream(t *testing.T) {
	s := setup(t)
	const (
		historyDays = 3 // the daily baseline applies (two days make one)
		evalMinutes = 6 * 60
	)
	t0 := now.Truncate(time.Minute).Add(-historyDays * 24 * time.Hour)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	evalFrom := historyDays * 24 * 60
	total := evalFrom + evalMinutes
	// A daily curve with Poisson noise, and in the evaluated hours a step,
	// a ramp, a long modest rise and a second wave ten minutes after it.
	r := rand.New(rand.NewPCG(7, 11))
	counts := make([]int, total)
	for m := range counts {
		day := float64(m%1440) / 1440
		mean := 12 + 10*math.Sin(2*math.Pi*day)
		switch e := m - evalFrom; {
		case e >= 60 && e < 75:
			mean *= 10
		case e >= 150 && e < 190:
			mean *= 1 + 8*float64(e-150)/40
		case e >= 240 && e < 320: // long enough to move an unfrozen recent level
			mean *= 3
		case e >= 330 && e < 350: // and back ten minutes later
			mean *= 4
		}
		counts[m] = max(1, draw.Poisson(r, mean)) // a report every minute: the history starts at t0 for both
	}
	reports := func(m int) []lapor.Report {
		return burst("parity", counts[m], counts[m], at(m), 50*time.Second, []string{"app"}, []string{"ID"})
	}

	// The offline side.
	cfg := detect.DefaultConfig()
	st, err := spike.NewStream(cfg.Params, cfg.Bucket, cfg.RecentWindow, cfg.Weeks)
	if err != nil {
		t.Fatal(err)
	}
	type span struct{ start, end time.Time }
	var (
		want   []span
		learnt []spike.Record // what the stream had learnt at the end of the history
	)
	for m := range total {
		if m == evalFrom {
			st.Records(func(_ string, r spike.Record) { learnt = append(learnt, r) })
		}
		p := st.Observe(at(m), float64(counts[m]))
		if m < evalFrom {
			if p.Kind == spike.Opened && m > 60 {
				t.Fatalf("the history opened an incident at minute %d: it must be calm", m)
			}
			continue
		}
		switch p.Kind {
		case spike.Opened:
			want = append(want, span{start: p.Started})
		case spike.Resolved:
			want[len(want)-1].end = at(m)
		}
	}
	if len(want) < 4 {
		t.Fatalf("the stream found %d incidents, want at least the four outages", len(want))
	}

	// The service: the history written at once, then each minute written
	// and judged once complete, the next one still empty. It starts with
	// what the stream learnt of the series in the history (its dispersion
	// and tails), saved as the detector saves its own for a restart: the
	// detector did not run through the history, the stream did.
	var hist []lapor.Report
	for m := range evalFrom {
		hist = append(hist, reports(m)...)
	}
	s.insert(t, hist)
	for _, r := range learnt {
		if err := s.rdb.HSet(testenv.Ctx(t), "lapor:detector:records:60s", "parity", detect.EncodeRecord(r)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	d := s.detector(t)
	for m := evalFrom; m < total; m++ {
		s.insert(t, reports(m))
		cycle(t, d, at(m+1).Add(30*time.Second))
	}
	var got []span
	incs := s.incidents(t, clickhouse.IncidentFilter{Service: "parity", Limit: 100})
	for i := len(incs) - 1; i >= 0; i-- { // newest first
		in := incs[i]
		sp := span{start: in.StartedAt.UTC()}
		if in.Status == lapor.StatusResolved {
			sp.end = in.EndedAt.UTC()
		}
		got = append(got, sp)
	}
	// The stream reports a resolution at the bucket that ends the quiet
	// run; the service stores when the quiet run began.
	quiet := cfg.Params.ResolveAfter - cfg.Bucket
	for i := range want {
		if !want[i].end.IsZero() {
			want[i].end = want[i].end.Add(-quiet)
		}
	}
	if !reflect.DeepEqual(got, want) {
		show := func(spans []span) string {
			var b strings.Builder
			for _, sp := range spans {
				fmt.Fprintf(&b, "  %s – %s\n", sp.start.Format(time.TimeOnly), sp.end.Format(time.TimeOnly))
			}
			return b.String()
		}
		t.Fatalf("incidents of the service:\n%sof the stream:\n%s", show(got), show(want))
	}
}
