package webhook

import (
	"io"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/config"
)

func TestRetryDelayIsFullJitterUnderTheCeiling(t *testing.T) {
	r := Retry{Base: time.Second, Factor: 2, Cap: 10 * time.Second, MaxAttempts: 10}
	tests := []struct {
		failed int
		want   time.Duration // the ceiling
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 10 * time.Second}, // capped
		{60, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			if got := r.ceiling(tt.failed); got != tt.want {
				t.Fatalf("ceiling(%d) = %s, want %s", tt.failed, got, tt.want)
			}
			var low bool
			for range 200 {
				d := r.Delay(tt.failed)
				if d < 0 || d > tt.want {
					t.Fatalf("Delay(%d) = %s, outside [0, %s]", tt.failed, d, tt.want)
				}
				low = low || d < tt.want/2
			}
			if !low {
				t.Errorf("Delay(%d) never fell in the lower half: not full jitter", tt.failed)
			}
		})
	}
}

func TestRetryValidate(t *testing.T) {
	tests := []struct {
		name string
		r    Retry
		ok   bool
	}{
		{"default", DefaultRetry(), true},
		{"no base", Retry{Cap: time.Second, Factor: 2, MaxAttempts: 1}, false},
		{"cap below base", Retry{Base: time.Second, Cap: time.Millisecond, Factor: 2, MaxAttempts: 1}, false},
		{"shrinking", Retry{Base: time.Second, Cap: time.Second, Factor: 0.5, MaxAttempts: 1}, false},
		{"no attempts", Retry{Base: time.Second, Cap: time.Second, Factor: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.r.validate(); (err == nil) != tt.ok {
				t.Fatalf("validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestConfigBindsFlagsAndEnvironment(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c Config) {
			if c.AllowPrivate || !c.Dispatch || c.Timeout != DefaultTimeout || c.Retry != DefaultRetry() {
				t.Errorf("got %+v", c)
			}
		}},
		{"env and flags", map[string]string{"LAPOR_WEBHOOK_ALLOW_PRIVATE": "true", "LAPOR_WEBHOOK_MAX_ATTEMPTS": "3"},
			[]string{"-webhook-retry-base", "10ms", "-webhook-retry-cap", "1s", "-webhook-dispatch=false"}, func(t *testing.T, c Config) {
				want := Retry{Base: 10 * time.Millisecond, Factor: 2, Cap: time.Second, MaxAttempts: 3}
				if !c.AllowPrivate || c.Dispatch || c.Retry != want {
					t.Errorf("got %+v, want private allowed, no dispatch, retry %+v", c, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := config.New("web", func(k string) string { return tt.env[k] }, io.Discard)
			var c Config
			c.Bind(l)
			if err := l.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}
