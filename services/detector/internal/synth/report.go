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
// adding at least MinAdded reporters a minute.
func (c Config) Headline(o Outage) bool {
	return !o.History && c.headlineLike(o)
}

// headlineLike is the headline's rule on size, length and added reporters,
// whatever the phase.
func (c Config) headlineLike(o Outage) bool {
	return o.Size >= 3 && o.Len >= 10 && o.Added >= c.MinAdded
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
	Recall       float64
	MedianDelay  int
	FalsePerWeek float64
}{Recall: 0.97, MedianDelay: 3, FalsePerWeek: 0.1}

// Write prints the run as readable tables.
func (r *Result) Write(w io.Writer) error {
	c := r.Config
	p := &printer{w: w}
	p.f("Synthetic outage suite: seed %d, %d services, %d weeks of history + %d days evaluated, %g-minute buckets\n",
		c.Seed, c.Services, c.WarmupWeeks, c.EvalDays, c.Step.Minutes())
	p.f("detector params %+v, recent window %s, %d weeks\n", c.Params, c.Recent, c.Weeks)
	var cls []string
	for k := range numClasses {
		cls = append(cls, fmt.Sprintf("%s %d", k, r.Classes[k]))
	}
	p.f("services: %s\n", strings.Join(cls, ", "))
	eval := func(o OutageResult) bool { return !o.History }
	all, f := r.IncidentCount(EvalPhase, nil)
	p.f("evaluation span: %d outages, %d incidents (%d false)\n\n", r.Stat(eval).N, all, f)

	h := r.HeadlineStat()
	p.f("HEADLINE: outages ≥3× baseline, ≥10 min, adding ≥%g reporters/min, evaluation span\n", c.MinAdded)
	p.f("  n %d  recall %s  delay median %s p90 %s buckets  split %d\n", h.N, ratio(h.Recall()), delay(h.Delay(0.5)), delay(h.Delay(0.9)), h.Split)
	p.f("  precision %s  false incidents %.3f per service-week\n\n", ratio(r.Precision()), r.FalsePerServiceWeek())

	p.f("targets (informational, not asserted):\n")
	p.f("  %s recall ≥ %.2f: %s\n", mark(h.Recall() >= Targets.Recall), Targets.Recall, ratio(h.Recall()))
	md := h.Delay(0.5)
	p.f("  %s median delay ≤ %d buckets: %s\n", mark(md >= 0 && md <= Targets.MedianDelay), Targets.MedianDelay, delay(md))
	p.f("  %s false incidents ≤ %.1f per service-week: %.3f\n\n", mark(r.FalsePerServiceWeek() <= Targets.FalsePerWeek), Targets.FalsePerWeek, r.FalsePerServiceWeek())

	p.f("Recall of all evaluation-span outages (delay in buckets; split: detected outages covered by more than one incident)\n")
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
		head("≥3×, ≥10 min, any added")
		row("all", r.Stat(func(o OutageResult) bool { return eval(o) && o.Size >= 3 && o.Len >= 10 }))
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
				fmt.Fprintf(t, "%s\t%s", sizeBuckets[i].name, lengthBuckets[j].name)
				for s := range numOutageShapes {
					st := r.Stat(func(o OutageResult) bool {
						return eval(o) && sizeBucket(o.Size) == i && lengthBucket(o.Len) == j && o.Shape == s
					})
					if st.N == 0 {
						fmt.Fprintf(t, "\t-")
						continue
					}
					fmt.Fprintf(t, "\t%d %s %s/%s", st.N, ratio(st.Recall()), delay(st.Delay(0.5)), delay(st.Delay(0.9)))
				}
				fmt.Fprintf(t, "\t\n")
			}
		}
	})

	p.f("\nIncidents in the evaluation span by volume class\n")
	p.table(func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "class\tservices\tincidents\tfalse\tfalse/service-week\tprecision\t\n")
		for k := range numClasses {
			a, f := r.IncidentCount(EvalPhase, func(in IncidentResult) bool { return in.Class == k })
			perWeek := math.NaN()
			if r.Classes[k] > 0 {
				perWeek = float64(f) / (float64(r.Classes[k]) * c.evalWeeks())
			}
			prec := math.NaN()
			if a > 0 {
				prec = float64(a-f) / float64(a)
			}
			fmt.Fprintf(t, "%s\t%d\t%d\t%d\t%.3f\t%s\t\n", k, r.Classes[k], a, f, perWeek, ratio(prec))
		}
	})

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
		{"1.5–2×", 0, 2}, {"2–3×", 2, 3}, {"3–5×", 3, 5}, {"5–10×", 5, 10}, {"10–50×", 10, math.Inf(1)},
	}
	lengthBuckets = []bucket{
		{"3–9 min", 0, 10}, {"10–29 min", 10, 30}, {"30–119 min", 30, 120}, {"2–6 h", 120, math.Inf(1)},
	}
	phiBuckets = []bucket{
		{"<0.01", 0, 0.01}, {"0.01–0.02", 0.01, 0.02}, {"0.02–0.05", 0.02, 0.05}, {"≥0.05", 0.05, math.Inf(1)},
	}
	addedBuckets = []bucket{
		{"<3", 0, 3}, {"3–10", 3, 10}, {"10–30", 10, 30}, {"30–100", 30, 100}, {"≥100", 100, math.Inf(1)},
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

func ratio(v float64) string {
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
