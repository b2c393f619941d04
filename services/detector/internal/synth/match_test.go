package synth

import (
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

// Precision, recall, delays and false incidents per service-week, summed
// up over hand-made results.
func TestResultMetrics(t *testing.T) {
	c := QuickConfig()
	c.Services, c.EvalDays = 2, 7
	big := Outage{Size: 4, Len: 20, Added: 50}
	res := &Result{
		Config: c,
		Outages: []OutageResult{
			{Outage: big, Detection: Detection{Detected: true, Delay: 1, Incidents: 1}},
			{Outage: big, Detection: Detection{Detected: true, Delay: 5, Incidents: 2}},
			{Outage: big, Detection: Detection{Detected: true, Delay: 2, Incidents: 1}},
			{Outage: big},
			{Outage: Outage{Size: 2, Len: 20, Added: 50}},                // too small for the headline
			{Outage: Outage{Size: 4, Len: 5, Added: 50}},                 // too short
			{Outage: Outage{Size: 4, Len: 20, Added: 3}},                 // too faint
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
