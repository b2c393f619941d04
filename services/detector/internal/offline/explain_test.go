package offline

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/detector/internal/nab"
)

func TestExplain(t *testing.T) {
	const n = 100 // probation: the first 15 rows
	t0 := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
	f := &nab.File{Name: "c/f.csv", Windows: []nab.Window{{Start: 40, End: 59}, {Start: 80, End: 89}}}
	for i := range n {
		f.Times = append(f.Times, t0.Add(time.Duration(i)*5*time.Minute))
		f.Values = append(f.Values, 1)
	}
	f.Scores, f.Alerts = make([]float64, n), make([]bool, n)
	f.Scores[5] = 0.9  // in probation: not listed
	f.Scores[45] = 0.8 // window 1 at +5
	f.Scores[70] = 0.6 // outside
	f.Scores[71] = 0.1 // below the threshold
	for _, i := range []int{50, 51, 65, 66, 67, 95} {
		f.Alerts[i] = true
	}
	var b bytes.Buffer
	if err := Explain(&b, []*nab.File{f}, 0.5, nab.Profiles[0]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"window 1, 2015-03-01 03:20 .. 2015-03-01 04:55 (20 rows): score +5 (0.25) at 0.800, alert +10 (0.50)",
		"window 2, 2015-03-01 06:40 .. 2015-03-01 07:25 (10 rows): score missed, alert missed",
		"outside the windows, score: 1 rows: 2015-03-01 05:50 (0.600, value 1)",
		"outside the windows, alert: 4 rows in 2 runs: 2015-03-01 05:25 ×3, 2015-03-01 07:55 ×1",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, b.String())
		}
	}
}
