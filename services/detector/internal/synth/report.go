package synth

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Stat sums up the detections of a set of outages.
type Stat struct {
	N, Detected int
	Split       int   // detected outages covered by more than one incident
	Delays      []int // of the detected ones, in buckets
}

func (s *Stat) add(o OutageResult) {
	s.N++
	if o.Detected {
		s.Detected++
		s.Delays = append(s.Delays, o.Delay)
		if o.Incidents > 1 {
			s.Split++
		}
	}
}

// Recall is the share of outages detected (NaN with none).
func (s Stat) Recall() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return float64(s.Detected) / float64(s.N)
}

// Delay returns the q-quantile of the delays by nearest rank, in buckets
// (-1 with none detected).
func (s Stat) Delay(q float64) int {
	if len(s.Delays) == 0 {
		return -1
	}
	d := append([]int(nil), s.Delays...)
	sort.Ints(d)
	k := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(k, 0), len(d)-1)]
}

// Headline reports whether an outage counts in the headline recall: in
// the evaluation span, at least 3× the baseline, at least 10 minutes long,
// adding at least MinTotal reporters over its length.
func (c Config) Headline(o Outage) bool {
	return !o.History && c.headlineLike(o)
}

// headlineLike is the headline's rule on size, length and reporters added
// in total, whatever the phase. The total, not the rate a minute, is what
// makes a quiet service's outage visible: a long faint one leaves as many
// reports to see as a short loud one.
func (c Config) headlineLike(o Outage) bool {
	return o.Size >= 3 && o.Len >= 10 && o.Total() >= c.MinTotal
}

// Stat sums up the outages for which keep says true.
func (r *Result) Stat(keep func(OutageResult) bool) Stat {
	var s Stat
	for _, o := range r.Outages {
		if keep(o) {
			s.add(o)
		}
	}
	return s
}

// HeadlineStat sums up the headline outages.
func (r *Result) HeadlineStat() Stat {
	return r.Stat(func(o OutageResult) bool { return r.Config.Headline(o.Outage) })
}

// IncidentCount counts a phase's incidents, and how many of them are false.
func (r *Result) IncidentCount(ph Phase, keep func(IncidentResult) bool) (all, falseOnes int) {
	for _, in := range r.Incidents {
		if in.Phase != ph || (keep != nil && !keep(in)) {
			continue
		}
		all++
		if !in.True {
			falseOnes++
		}
	}
	return all, falseOnes
}

// Precision is the share of the evaluation span's incidents that overlap
// an outage (NaN with none).
func (r *Result) Precision() float64 {
	all, f := r.IncidentCount(EvalPhase, nil)
	if all == 0 {
		return math.NaN()
	}
	return float64(all-f) / float64(all)
}

// FalsePerServiceWeek is the evaluation span's false incidents per
// service-week.
func (r *Result) FalsePerServiceWeek() float64 {
	_, f := r.IncidentCount(EvalPhase, nil)
	return float64(f) / (float64(r.Config.Services) * r.Config.evalWeeks())
}

// Targets are the goals the suite prints against; they are informational.
var Targets = struct {
	Recall       float64 // headline recall
	MedianDelay  int     // headline median delay, in buckets (minutes)
	FalsePerWeek float64 // false incidents per service-week
	Class        Class   // the volume class with a recall target of its own
	ClassRecall  float64 // headline recall of that class
}{Recall: 0.93, MedianDelay: 5, FalsePerWeek: 0.05, Class: Low, ClassRecall: 0.85}

// ClassStat is the headline and the false incidents of one volume class.
type ClassStat struct {
	Services  int
	Headline  Stat
	Incidents int // in the evaluation span
	False     int // of those
}

// FalsePerServiceWeek is the class's false incidents per service-week in
// the evaluation span (NaN with no services).
func (s ClassStat) FalsePerServiceWeek(c Config) float64 {
	if s.Services == 0 {
		return math.NaN()
	}
	return float64(s.False) / (float64(s.Services) * c.evalWeeks())
}

// Precision is the share of the class's evaluation-span incidents that
// overlap an outage (NaN with none).
func (s ClassStat) Precision() float64 {
	if s.Incidents == 0 {
		return math.NaN()
	}
	return float64(s.Incidents-s.False) / float64(s.Incidents)
}

// ClassStat sums up one volume class.
func (r *Result) ClassStat(k Class) ClassStat {
	s := ClassStat{Services: r.Classes[k]}
	s.Headline = r.Stat(func(o OutageResult) bool { return o.Class == k && r.Config.Headline(o.Outage) })
	s.Incidents, s.False = r.IncidentCount(EvalPhase, func(in IncidentResult) bool { return in.Class == k })
	return s
}

// suiteNote is the header's short description of each suite.
var suiteNote = [numSuites]string{
	MainSuite: "main",
	AltSuite:  "alt, held-out generator: sinusoid days, Poisson × gamma day level, step outages 3–100× with no floor",
}

// Write prints the run as readable tables.
func (r *Result) Write(w io.Writer) error {
	c := r.Config
	p := &printer{w: w}
	p.f("Synthetic outage suite (%s): seed %d, %d services, %d weeks of history + %d days evaluated, %g-minute buckets\n",
		suiteNote[c.Suite], c.Seed, c.Services, c.WarmupWeeks, c.EvalDays, c.Step.Minutes())
	p.f("detector params %+v, recent window %s, %d weeks\n", c.Params, c.Recent, c.Weeks)
	var cls []string
	for k := range numClasses {
		cls = append(cls, fmt.Sprintf("%s %d", k, r.Classes[k]))
	}
	p.f("services by mean reporters a minute: %s\n", strings.Join(cls, ", "))
	eval := func(o OutageResult) bool { return !o.History }
	all, f := r.IncidentCount(EvalPhase, nil)
	p.f("evaluation span: %d outages, %d incidents (%d false)\n\n", r.Stat(eval).N, all, f)

	h := r.HeadlineStat()
	p.f("HEADLINE: outages ≥3× baseline, ≥10 min, adding ≥%g reporters in total (any rate a minute), evaluation span\n", c.MinTotal)
	p.f("  n %d  recall %s  delay median %s p90 %s buckets  split %d\n", h.N, ratio(h.Recall()), delay(h.Delay(0.5)), delay(h.Delay(0.9)), h.Split)
	p.f("  precision %s  false incidents %.3f per service-week\n\n", ratio(r.Precision()), r.FalsePerServiceWeek())

	p.f("targets (informational, not asserted):\n")
	p.f("  %s headline recall ≥ %.2f: %s\n", mark(h.Recall() >= Targets.Recall), Targets.Recall, ratio(h.Recall()))
	md := h.Delay(0.5)
	p.f("  %s headline median delay ≤ %d min: %s\n", mark(md >= 0 && md <= Targets.MedianDelay), Targets.MedianDelay, delay(md))
	p.f("  %s false incidents ≤ %.2f per service-week: %.3f\n", mark(r.FalsePerServiceWeek() <= Targets.FalsePerWeek), Targets.FalsePerWeek, r.FalsePerServiceWeek())
	tc := r.ClassStat(Targets.Class).Headline
	p.f("  %s headline recall of %s services ≥ %.2f: %s (n %d)\n\n", mark(tc.Recall() >= Targets.ClassRecall), Targets.Class, Targets.ClassRecall, ratio(tc.Recall()), tc.N)

	p.f("By volume class (mean reporters a minute), evaluation span: headline outages, and false incidents per service-week\n")
	p.table(func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "class\tservices\tn\trecall\tmedian\tp90\tincidents\tfalse\tfalse/service-week\tprecision\t\n")
		for k := range numClasses {
			cs := r.ClassStat(k)
			fmt.Fprintf(t, "%s\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t\n", k, cs.Services,
				cs.Headline.N, ratio(cs.Headline.Recall()), delay(cs.Headline.Delay(0.5)), delay(cs.Headline.Delay(0.9)),
				cs.Incidents, cs.False, rate(cs.FalsePerServiceWeek(c)), ratio(cs.Precision()))
		}
	})

	p.f("\nRecall of all evaluation-span outages (delay in buckets; split: detected outages covered by more than one incident)\n")
	p.table(func(t *tabwriter.Writer) {
		row := func(name string, s Stat) {
			fmt.Fprintf(t, "  %s\t%d\t%s\t%s\t%s\t%d\t\n", name, s.N, ratio(s.Recall()), delay(s.Delay(0.5)), delay(s.Delay(0.9)), s.Split)
		}
		head := func(title string) { fmt.Fprintf(t, "%s\tn\trecall\tmedian\tp90\tsplit\t\n", title) }
		head("by size")
		for k := range sizeBuckets {
			row(sizeBuckets[k].name, r.Stat(func(o OutageResult) bool { return eval(o) && sizeBucket(o.Size) == k }))
		}
		head("by length")
		for k := range lengthBuckets {
			row(lengthBuckets[k].name, r.Stat(func(o OutageResult) bool { return eval(o) && lengthBucket(o.Len) == k }))
		}
		head("by shape")
		for s := range numOutageShapes {
			row(s.String(), r.Stat(func(o OutageResult) bool { return eval(o) && o.Shape == s }))
		}
		head("by volume class")
		for k := range numClasses {
			row(k.String(), r.Stat(func(o OutageResult) bool { return eval(o) && o.Class == k }))
		}
		head("by reporters/min added")
		for k := range addedBuckets {
			row(addedBuckets[k].name, r.Stat(func(o OutageResult) bool { return eval(o) && addedBucket(o.Added) == k }))
		}
		head("by reporters added in total")
		for k := range totalBuckets {
			row(totalBuckets[k].name, r.Stat(func(o OutageResult) bool { return eval(o) && totalBucket(o.Total()) == k }))
		}
		head("≥3×, ≥10 min")
		big := func(o OutageResult) bool { return eval(o) && o.Size >= 3 && o.Len >= 10 }
		row("any total", r.Stat(big))
		row(fmt.Sprintf("under %g in total", c.MinTotal), r.Stat(func(o OutageResult) bool { return big(o) && o.Total() < c.MinTotal }))
	})

	p.f("\nRecall by size × length × shape, evaluation span (n recall median/p90)\n")
	p.table(func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "size\tlength")
		for s := range numOutageShapes {
			fmt.Fprintf(t, "\t%s", s)
		}
		fmt.Fprintf(t, "\t\n")
		for i := range sizeBuckets {
			for j := range lengthBuckets {
				var cells []string
				n := 0
				for s := range numOutageShapes {
					st := r.Stat(func(o OutageResult) bool {
						return eval(o) && sizeBucket(o.Size) == i && lengthBucket(o.Len) == j && o.Shape == s
					})
					n += st.N
					if st.N == 0 {
						cells = append(cells, "-")
						continue
					}
					cells = append(cells, fmt.Sprintf("%d %s %s/%s", st.N, ratio(st.Recall()), delay(st.Delay(0.5)), delay(st.Delay(0.9))))
				}
				if n == 0 {
					continue // the alt suite has no small or short outages
				}
				fmt.Fprintf(t, "%s\t%s\t%s\t\n", sizeBuckets[i].name, lengthBuckets[j].name, strings.Join(cells, "\t"))
			}
		}
	})

	// Only the main suite's counts have a per-service dispersion.
	if c.Suite == MainSuite {
		p.f("\nFalse incidents per service-week in the evaluation span by volume class and the service's dispersion φ (services)\n")
		p.table(func(t *tabwriter.Writer) {
			fmt.Fprintf(t, "class")
			for _, b := range phiBuckets {
				fmt.Fprintf(t, "\tφ %s", b.name)
			}
			fmt.Fprintf(t, "\t\n")
			for k := range numClasses {
				fmt.Fprintf(t, "%s", k)
				for j := range phiBuckets {
					var n, f int
					for _, sv := range r.Services {
						if sv.Class == k && find(phiBuckets, sv.Dispersion) == j {
							n++
							_, fs := r.IncidentCount(EvalPhase, func(in IncidentResult) bool { return in.Service == sv.Index })
							f += fs
						}
					}
					if n == 0 {
						fmt.Fprintf(t, "\t-")
						continue
					}
					fmt.Fprintf(t, "\t%.3f (%d)", float64(f)/(float64(n)*c.evalWeeks()), n)
				}
				fmt.Fprintf(t, "\t\n")
			}
		})
	}
	var causes []string
	for k := range numCauses {
		_, f := r.IncidentCount(EvalPhase, func(in IncidentResult) bool { return in.Cause == k })
		causes = append(causes, fmt.Sprintf("%s %d", k, f))
	}
	p.f("false incidents by likely cause: %s\n", strings.Join(causes, ", "))

	p.f("\nWarm-up (not in the headline)\n")
	newWeeks := float64(c.newServiceRegime()) / minutesPerWeek
	settledWeeks := float64(c.warmup()-c.newServiceRegime()) / minutesPerWeek
	_, fNew := r.IncidentCount(NewServicePhase, nil)
	_, fSet := r.IncidentCount(SettledPhase, nil)
	p.f("  new-service regime (first %.0f weeks, no weekly baseline yet): %d false incidents, %.3f per service-week\n",
		newWeeks, fNew, float64(fNew)/(float64(c.Services)*newWeeks))
	if fNew > 0 {
		// When in a new service's life its false incidents come, and why:
		// the first day has no daily baseline at all, the first weeks no
		// weekly one.
		var days []string
		for _, d := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 7}, {7, 14}} {
			_, f := r.IncidentCount(NewServicePhase, func(in IncidentResult) bool {
				day := in.Span.Start / minutesPerDay
				return day >= d[0] && day < d[1]
			})
			name := fmt.Sprintf("day %d", d[0]+1)
			if d[1]-d[0] > 1 {
				name = fmt.Sprintf("days %d–%d", d[0]+1, d[1])
			}
			days = append(days, fmt.Sprintf("%s %d", name, f))
		}
		var causes []string
		for k := range numCauses {
			_, f := r.IncidentCount(NewServicePhase, func(in IncidentResult) bool { return in.Cause == k })
			causes = append(causes, fmt.Sprintf("%s %d", k, f))
		}
		p.f("    by day: %s; by likely cause: %s\n", strings.Join(days, ", "), strings.Join(causes, ", "))
	}
	if settledWeeks > 0 {
		p.f("  settled (remaining %.0f weeks): %d false incidents, %.3f per service-week\n",
			settledWeeks, fSet, float64(fSet)/(float64(c.Services)*settledWeeks))
	}
	hist := r.Stat(func(o OutageResult) bool { return o.History })
	histH := r.Stat(func(o OutageResult) bool {
		return o.History && c.headlineLike(o.Outage)
	})
	p.f("  outages in the history: n %d recall %s; headline-like n %d recall %s median %s p90 %s\n",
		hist.N, ratio(hist.Recall()), histH.N, ratio(histH.Recall()), delay(histH.Delay(0.5)), delay(histH.Delay(0.9)))
	return p.err
}

type bucket struct {
	name   string
	lo, hi float64
}

var (
	sizeBuckets = []bucket{
		{"1.5–2×", 0, 2}, {"2–3×", 2, 3}, {"3–5×", 3, 5}, {"5–10×", 5, 10}, {"≥10×", 10, math.Inf(1)},
	}
	lengthBuckets = []bucket{
		{"3–9 min", 0, 10}, {"10–29 min", 10, 30}, {"30–119 min", 30, 120}, {"2–6 h", 120, math.Inf(1)},
	}
	phiBuckets = []bucket{
		{"<0.01", 0, 0.01}, {"0.01–0.02", 0.01, 0.02}, {"0.02–0.05", 0.02, 0.05}, {"≥0.05", 0.05, math.Inf(1)},
	}
	addedBuckets = []bucket{
		{"<0.3", 0, 0.3}, {"0.3–1", 0.3, 1}, {"1–3", 1, 3}, {"3–10", 3, 10},
		{"10–30", 10, 30}, {"30–100", 30, 100}, {"≥100", 100, math.Inf(1)},
	}
	totalBuckets = []bucket{
		{"<5", 0, 5}, {"5–20", 5, 20}, {"20–100", 20, 100}, {"100–1000", 100, 1000}, {"≥1000", 1000, math.Inf(1)},
	}
)

func find(bs []bucket, v float64) int {
	for k, b := range bs {
		if v < b.hi {
			return k
		}
	}
	return len(bs) - 1
}

func sizeBucket(m float64) int  { return find(sizeBuckets, m) }
func lengthBucket(n int) int    { return find(lengthBuckets, float64(n)) }
func addedBucket(a float64) int { return find(addedBuckets, a) }
func totalBucket(a float64) int { return find(totalBuckets, a) }

func ratio(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func rate(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func delay(d int) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprint(d)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// printer writes until the first error and keeps it.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table(fill func(*tabwriter.Writer)) {
	if p.err != nil {
		return
	}
	t := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fill(t)
	p.err = t.Flush()
}
