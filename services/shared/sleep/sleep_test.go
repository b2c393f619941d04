package sleep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/sleep"
)

func TestFor(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		d       time.Duration
		want    error
		atLeast time.Duration
	}{
		{"waits out the duration", context.Background(), 20 * time.Millisecond, nil, 20 * time.Millisecond},
		{"no duration does not wait", context.Background(), 0, nil, 0},
		{"an ended context ends the wait", cancelled, time.Hour, context.Canceled, 0},
		{"an ended context with no duration says so", cancelled, 0, context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if err := sleep.For(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Fatalf("For = %v, want %v", err, tt.want)
			}
			if took := time.Since(start); took < tt.atLeast || took > time.Minute {
				t.Fatalf("took %s, want at least %s", took, tt.atLeast)
			}
		})
	}
}
