package outage

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		spec    string
		want    Outage
		wantErr bool
	}{
		{spec: "whatsapp@+2m:10m:20x", want: Outage{Service: "whatsapp", Start: now.Add(2 * time.Minute), Duration: 10 * time.Minute, Multiplier: 20}},
		{spec: "bca@+5m:15m:8x:spike", want: Outage{Service: "bca", Start: now.Add(5 * time.Minute), Duration: 15 * time.Minute, Multiplier: 8, Shape: Spike}},
		{spec: "bca@+0s:1h:2.5:ramp", want: Outage{Service: "bca", Start: now, Duration: time.Hour, Multiplier: 2.5, Shape: Ramp}},
		{spec: "gojek@now:90s:3X:step", want: Outage{Service: "gojek", Start: now, Duration: 90 * time.Second, Multiplier: 3}},
		{spec: "bri@-5m:10m:4x", want: Outage{Service: "bri", Start: now.Add(-5 * time.Minute), Duration: 10 * time.Minute, Multiplier: 4}},
		{spec: "telkomsel@2026-05-11T12:30:00Z:20m:10x", want: Outage{Service: "telkomsel", Start: time.Date(2026, 5, 11, 12, 30, 0, 0, time.UTC), Duration: 20 * time.Minute, Multiplier: 10}},
		{spec: "telkomsel@2026-05-11T19:30:00+07:00:20m:10x:spike", want: Outage{Service: "telkomsel", Start: time.Date(2026, 5, 11, 12, 30, 0, 0, time.UTC), Duration: 20 * time.Minute, Multiplier: 10, Shape: Spike}},
		{spec: "whatsapp", wantErr: true},
		{spec: "@+2m:10m:20x", wantErr: true},
		{spec: "whatsapp@+2m:10m", wantErr: true},
		{spec: "whatsapp@+2m:10m:20x:wobble:extra", wantErr: true},
		{spec: "whatsapp@+2m:10m:lots", wantErr: true},
		{spec: "whatsapp@+2m:10m:1x", wantErr: true},
		{spec: "whatsapp@+2m:10m:0.5x", wantErr: true},
		{spec: "whatsapp@+2m:10m:-3x", wantErr: true},
		{spec: "whatsapp@+2m:10m:NaNx", wantErr: true},
		{spec: "whatsapp@+2m:0s:20x", wantErr: true},
		{spec: "whatsapp@+2m:-1m:20x", wantErr: true},
		{spec: "whatsapp@+2m:ten:20x", wantErr: true},
		{spec: "whatsapp@+2q:10m:20x", wantErr: true},
		{spec: "whatsapp@tomorrow:10m:20x", wantErr: true},
		{spec: "whatsapp@2026-05-11:10m:20x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := Parse(tt.spec, now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(tt.want.Start) {
				t.Errorf("start %v, want %v", got.Start, tt.want.Start)
			}
			got.Start, tt.want.Start = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	now := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	known := func(s string) bool { return s == "whatsapp" || s == "bca" }
	tests := []struct {
		name    string
		specs   []string
		want    int
		wantErr bool
	}{
		{"empty", nil, 0, false},
		{"two", []string{"whatsapp@+2m:10m:20x", " bca@+5m:15m:8x:spike "}, 2, false},
		{"blank entries skipped", []string{"", "bca@+5m:15m:8x"}, 1, false},
		{"unknown service", []string{"whatsapp@+2m:10m:20x", "nosuch@+1m:1m:2x"}, 0, true},
		{"one bad", []string{"whatsapp@+2m:10m:20x", "bca@+5m"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseList(tt.specs, now, known)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d outages, want %d", len(got), tt.want)
			}
		})
	}
}

func TestFactorShapes(t *testing.T) {
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	at := func(frac float64) time.Time { return start.Add(time.Duration(frac * float64(10*time.Minute))) }
	base := Outage{Service: "x", Start: start, Duration: 10 * time.Minute, Multiplier: 20}
	tests := []struct {
		shape Shape
		frac  float64
		want  float64
	}{
		{Step, -0.01, 1}, {Step, 0, 20}, {Step, 0.5, 20}, {Step, 0.999, 20}, {Step, 1, 1},
		{Spike, 0, 1}, {Spike, 0.05, 20}, {Spike, 1.01, 1},
		{Ramp, 0, 1}, {Ramp, 0.3, 10.5}, {Ramp, 0.6, 20}, {Ramp, 0.9, 20}, {Ramp, 1, 1},
	}
	for _, tt := range tests {
		o := base
		o.Shape = tt.shape
		if got := o.Factor(at(tt.frac)); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%v at %.2f: factor %.3f, want %.3f", tt.shape, tt.frac, got, tt.want)
		}
	}
	spike := base
	spike.Shape = Spike
	if a, b, c := spike.Factor(at(0.1)), spike.Factor(at(0.5)), spike.Factor(at(0.95)); !(a > b && b > c && c > 1 && c < 2) {
		t.Errorf("spike does not decay: %.2f %.2f %.2f", a, b, c)
	}
}

func TestExtra(t *testing.T) {
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	o := Outage{Service: "x", Start: start, Duration: time.Minute, Multiplier: 11}
	if got := o.Extra(start, 0.5); math.Abs(got-5) > 1e-9 {
		t.Errorf("extra %.3f, want 5", got)
	}
	if got := o.Extra(start.Add(-time.Second), 0.5); got != 0 {
		t.Errorf("extra before start %.3f", got)
	}
	o.MinBase = 2
	if got := o.Extra(start, 0.5); math.Abs(got-20) > 1e-9 {
		t.Errorf("extra with floor %.3f, want 20", got)
	}
}

func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 5, 11, 8, 0, 0, 0, time.UTC)
	shapes := map[Shape]int{}
	for range 500 {
		o := Random(rng, start)
		if !o.Start.Equal(start) || o.Duration < 5*time.Minute || o.Duration >= 25*time.Minute ||
			o.Multiplier < 6 || o.Multiplier > 30 || o.MinBase <= 0 || o.Service != "" {
			t.Fatalf("outage out of range: %+v", o)
		}
		shapes[o.Shape]++
	}
	if shapes[Step] < shapes[Spike] || shapes[Spike] < shapes[Ramp] || shapes[Ramp] == 0 {
		t.Errorf("shape mix %v, want steps most, then spikes, then ramps", shapes)
	}
}
