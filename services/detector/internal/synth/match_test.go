package synth

import (
	"math"
	"reflect"
	"testing"
)

// alerts builds an alert sequence of n buckets from a pattern: '#' is an
// alerting bucket.
func alerts(pattern string) []bool {
	out := make([]bool, len(pattern))
	for i, c := range pattern {
		out[i] = c == '#'
	}
	return out
}

func TestIncidents(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Span
	}{
		{"", nil},
		{"....", nil},
		{"#...", []Span{{0, 1}}},
		{"..##..###", []Span{{2, 4}, {6, 9}}},
		{"####", []Span{{0, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			if got := Incidents(alerts(tt.pattern)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string // alerts; outages below
		outages []Span
		grace   int
		want    []Detection
		isTrue  []bool
	}{
		{
			name:    "detected at once",
			pattern: ".....####.....",
			outages: []Span{{5, 9}}, grace: 2,
			want:   []Detection{{Detected: true, Delay: 0, Incidents: 1}},
			isTrue: []bool{true},
		},
		{
			name:    "detected late",
			pattern: "........###...",
			outages: []Span{{5, 12}}, grace: 2,
			want:   []Detection{{Detected: true, Delay: 3, Incidents: 1}},
			isTrue: []bool{true},
		},
		{
			name:    "detected within the grace after the end",
			pattern: "..........#...",
			outages: []Span{{5, 9}}, grace: 2,
			want:   []Detection{{Detected: true, Delay: 5, Incidents: 1}},
			isTrue: []bool{true},
		},
		{
			name:    "too late, after the grace: a miss and a false incident",
			pattern: "...........#..",
			outages: []Span{{5, 9}}, grace: 2,
			want:   []Detection{{}},
			isTrue: []bool{false},
		},
		{
			name:    "missed",
			pattern: "..............",
			outages: []Span{{5, 9}}, grace: 2,
			want: []Detection{{}},
		},
		{
			name:    "open before the outage: delay 0",
			pattern: "..######......",
			outages: []Span{{5, 9}}, grace: 2,
			want:   []Detection{{Detected: true, Delay: 0, Incidents: 1}},
			isTrue: []bool{true},
		},
		{
			name:    "false incident far from the outage",
			pattern: "##...###......",
			outages: []Span{{5, 9}}, grace: 2,
			want:   []Detection{{Detected: true, Delay: 0, Incidents: 1}},
			isTrue: []bool{false, true},
		},
		{
			name:    "split outage: first incident sets the delay",
			pattern: "......##.##...",
			outages: []Span{{5, 12}}, grace: 0,
			want:   []Detection{{Detected: true, Delay: 1, Incidents: 2}},
			isTrue: []bool{true, true},
		},
		{
			name:    "two outages, one found",
			pattern: "..##..........",
			outages: []Span{{1, 4}, {8, 12}}, grace: 1,
			want:   []Detection{{Detected: true, Delay: 1, Incidents: 1}, {}},
			isTrue: []bool{true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det, isTrue := Match(tt.outages, Incidents(alerts(tt.pattern)), tt.grace)
			if !reflect.DeepEqual(det, tt.want) {
				t.Fatalf("detections %+v, want %+v", det, tt.want)
			}
			if len(isTrue) == 0 {
				isTrue = nil
			}
			if !reflect.DeepEqual(isTrue, tt.isTrue) {
				t.Fatalf("true incidents %v, want %v", isTrue, tt.isTrue)
			}
		})
	}
}

func TestHeadline(t *testing.T) {
	c := DefaultConfig() // MinTotal 20
	tests := []struct {
		name string
		o    Outage
		want bool
	}{
		{"loud and long", Outage{Size: 5, Len: 30, Added: 50}, true},
		{"faint but long: 0.1 a minute for 4 hours", Outage{Size: 3, Len: 240, Added: 0.1}, true},
		{"exactly the total", Outage{Size: 3, Len: 10, Added: 2}, true},
		{"just under the total", Outage{Size: 3, Len: 10, Added: 1.99}, false},
		{"0.3 a minute for an hour", Outage{Size: 4, Len: 60, Added: 0.3}, false},
		{"loud but too short", Outage{Size: 10, Len: 9, Added: 100}, false},
		{"long and loud but under 3×", Outage{Size: 2.9, Len: 60, Added: 100}, false},
		{"in the history", Outage{Size: 5, Len: 30, Added: 50, History: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Headline(tt.o); got != tt.want {
				t.Fatalf("Headline(%+v) = %v, want %v (total %v)", tt.o, got, tt.want, tt.o.Total())
			}
		})
	}
	// MinTotal is the rule's one knob.
	c.MinTotal = 50
	if c.Headline(Outage{Size: 5, Len: 30, Added: 1.5}) {
		t.Fatal("45 reporters in total counted with MinTotal 50")
	}
}

// Precision, recall, delays and false incidents per service-week, summed
// up over hand-made results.
func TestResultMetrics(t *testing.T) {
	c := QuickConfig()
	c.Services, c.EvalDays = 2, 7
	big := Outage{Size: 4, Len: 20, Added: 50}
	faint := Outage{Size: 4, Len: 200, Added: 0.2} // 40 in total: a headline outage
	res := &Result{
		Config: c,
		Outages: []OutageResult{
			{Outage: big, Detection: Detection{Detected: true, Delay: 1, Incidents: 1}},
			{Outage: big, Detection: Detection{Detected: true, Delay: 5, Incidents: 2}},
			{Outage: faint, Detection: Detection{Detected: true, Delay: 2, Incidents: 1}},
			{Outage: faint},
			{Outage: Outage{Size: 2, Len: 20, Added: 50}},                // too small for the headline
			{Outage: Outage{Size: 4, Len: 5, Added: 50}},                 // too short
			{Outage: Outage{Size: 4, Len: 20, Added: 0.9}},               // too faint: 18 in total
			{Outage: Outage{Size: 4, Len: 20, Added: 50, History: true}}, // in the history
		},
		Incidents: []IncidentResult{
			{Phase: EvalPhase, True: true},
			{Phase: EvalPhase, True: true},
			{Phase: EvalPhase, True: true},
			{Phase: EvalPhase},
			{Phase: SettledPhase}, // not in the evaluation span
		},
	}
	h := res.HeadlineStat()
	if h.N != 4 || h.Detected != 3 || h.Recall() != 0.75 || h.Split != 1 {
		t.Fatalf("headline %+v recall %v", h, h.Recall())
	}
	if m, p90 := h.Delay(0.5), h.Delay(0.9); m != 2 || p90 != 5 {
		t.Fatalf("delays median %d p90 %d, want 2 and 5", m, p90)
	}
	if p := res.Precision(); p != 0.75 {
		t.Fatalf("precision %v, want 0.75", p)
	}
	// One false incident over 2 services × 1 week.
	if f := res.FalsePerServiceWeek(); f != 0.5 {
		t.Fatalf("false incidents per service-week %v, want 0.5", f)
	}
	if d := (Stat{}).Delay(0.5); d != -1 {
		t.Fatalf("delay of nothing detected %d, want -1", d)
	}
}

// Each volume class gets its own headline and false incidents.
func TestClassStat(t *testing.T) {
	c := QuickConfig()
	c.Services, c.EvalDays = 4, 14
	big := Outage{Size: 5, Len: 30, Added: 10}
	res := &Result{
		Config:  c,
		Classes: [numClasses]int{Low: 3, Busy: 1},
		Outages: []OutageResult{
			{Class: Low, Outage: big, Detection: Detection{Detected: true, Delay: 4, Incidents: 1}},
			{Class: Low, Outage: big},
			{Class: Low, Outage: Outage{Size: 5, Len: 30, Added: 0.5}}, // 15 in total
			{Class: Busy, Outage: big, Detection: Detection{Detected: true, Delay: 1, Incidents: 1}},
		},
		Incidents: []IncidentResult{
			{Class: Low, Phase: EvalPhase, True: true},
			{Class: Low, Phase: EvalPhase},
			{Class: Low, Phase: EvalPhase},
			{Class: Low, Phase: NewServicePhase}, // not in the evaluation span
			{Class: Busy, Phase: EvalPhase, True: true},
		},
	}
	tests := []struct {
		class                Class
		n, detected          int
		median               int
		incidents, falseOnes int
		perWeek              float64 // NaN with no services
	}{
		{Sparse, 0, 0, -1, 0, 0, math.NaN()},
		{Low, 2, 1, 4, 3, 2, 2.0 / 3 / 2}, // 2 false over 3 services × 2 weeks
		{Busy, 1, 1, 1, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			s := res.ClassStat(tt.class)
			if s.Headline.N != tt.n || s.Headline.Detected != tt.detected || s.Headline.Delay(0.5) != tt.median {
				t.Fatalf("headline %+v", s.Headline)
			}
			if s.Incidents != tt.incidents || s.False != tt.falseOnes {
				t.Fatalf("%d incidents, %d false; want %d and %d", s.Incidents, s.False, tt.incidents, tt.falseOnes)
			}
			got := s.FalsePerServiceWeek(c)
			if math.IsNaN(tt.perWeek) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.perWeek) > 1e-12) {
				t.Fatalf("false per service-week %v, want %v", got, tt.perWeek)
			}
		})
	}
}
