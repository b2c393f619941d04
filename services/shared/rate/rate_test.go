package rate

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		ok     bool
		limit  int64
		period time.Duration
	}{
		{"60-M", true, 60, time.Minute},
		{"1200-M", true, 1200, time.Minute},
		{"5-S", true, 5, time.Second},
		{"1000-h", true, 1000, time.Hour},
		{"0-M", false, 0, 0},
		{"-1-M", false, 0, 0},
		{"60", false, 0, 0},
		{"x-M", false, 0, 0},
		{"60-Y", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (r.Limit != tt.limit || r.Period != tt.period) {
				t.Fatalf("rate %+v", r)
			}
		})
	}
}
