package spike

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestJudgementsAreWhereJudgeChangesItsMind checks that each span's
// Possible and Detected are exactly the counts at which series.judge
// first gives that span the level: one reporter fewer does not.
func TestJudgementsAreWhereJudgeChangesItsMind(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64 // expected reporters per bucket
	}{
		{"quiet service", 0.2},
		{"small service", 3},
		{"busy service", 120},
		{"huge service", 25000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tr, err := NewTracker(p)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			const svc = "svc"
			b := Baseline{Expected: tc.rate}
			for m := range 600 { // ten hours teach the dispersion and the tail
				tr.StepBaseline(svc, minute(m), uint32(poisson(rng, tc.rate)), b)
			}
			js := tr.Judgements(svc, nil)
			if len(js) != len(Scales) {
				t.Fatalf("%d judgements, want one per scale (%d)", len(js), len(Scales))
			}
			s := tr.series[svc]
			for j, jd := range js {
				if jd.Span != Scales[j] {
					t.Fatalf("judgement %d is of span %d, want %d", j, jd.Span, Scales[j])
				}
				if c, e, _ := s.sums(jd.Span); math.Abs(c-jd.Count) > 1e-9 || math.Abs(e-jd.Expected) > 1e-9 {
					t.Fatalf("span %d: count %v expected %v, the ring holds %v and %v", jd.Span, jd.Count, jd.Expected, c, e)
				}
				if !(jd.Possible <= jd.Detected) || math.IsInf(jd.Detected, 0) {
					t.Fatalf("span %d: possible %v, detected %v", jd.Span, jd.Possible, jd.Detected)
				}
				for _, lv := range []struct {
					at    float64
					level Level
				}{{jd.Possible, LevelPossible}, {jd.Detected, LevelDetected}} {
					if got := spanLevelAt(s, p, j, lv.at); got < lv.level {
						t.Errorf("span %d at %v reporters (expected %.2f): level %v, want at least %v", jd.Span, lv.at, jd.Expected, got, lv.level)
					}
					if got := spanLevelAt(s, p, j, lv.at-1); got >= lv.level {
						t.Errorf("span %d at %v reporters (expected %.2f): level %v already", jd.Span, lv.at-1, jd.Expected, got)
					}
				}
			}
		})
	}
}

// spanLevelAt is the level judge gives span j when the latest bucket's
// count makes the span hold total, with the rest of the series as it is.
func spanLevelAt(s *series, p Params, j int, total float64) Level {
	saved := s.counts[s.head]
	c, _, _ := s.sums(Scales[j])
	s.counts[s.head] = saved + total - c
	defer func() { s.counts[s.head] = saved }()
	var out [nScales]span
	s.judge(p, &out)
	return out[j].level
}

func poisson(rng *rand.Rand, mean float64) float64 {
	if mean > 500 {
		return math.Max(0, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64()))
	}
	l, k, prod := math.Exp(-mean), 0.0, rng.Float64()
	for prod > l {
		k++
		prod *= rng.Float64()
	}
	return k
}
