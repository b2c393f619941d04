package synth

// Span is a half-open range of buckets [Start, End).
type Span struct{ Start, End int }

// overlaps reports whether two spans share a bucket.
func (s Span) overlaps(o Span) bool { return s.Start < o.End && o.Start < s.End }

// Incidents returns the runs of alerting buckets, in order.
func Incidents(alert []bool) []Span {
	var out []Span
	start := -1
	for i, a := range alert {
		switch {
		case a && start < 0:
			start = i
		case !a && start >= 0:
			out = append(out, Span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, Span{start, len(alert)})
	}
	return out
}

// Detection is the verdict on one outage.
type Detection struct {
	Detected  bool
	Delay     int // buckets from the outage's start to the first alerting bucket
	Incidents int // incidents that overlap the outage (more than one: it was split)
}

// Match pairs outages with incidents. An outage is detected when an
// incident covers a bucket of [start, end+grace); its delay is the first
// such bucket minus its start (0 if an incident was already open). An
// incident is true when it overlaps some outage's [start, end+grace).
func Match(outages, incidents []Span, grace int) (det []Detection, isTrue []bool) {
	det = make([]Detection, len(outages))
	isTrue = make([]bool, len(incidents))
	for k, o := range outages {
		w := Span{o.Start, o.End + grace}
		for j, in := range incidents {
			if !in.overlaps(w) {
				continue
			}
			isTrue[j] = true
			first := max(in.Start, w.Start)
			d := &det[k]
			if !d.Detected || first-w.Start < d.Delay {
				d.Detected, d.Delay = true, first-w.Start
			}
			d.Incidents++
		}
	}
	return det, isTrue
}
