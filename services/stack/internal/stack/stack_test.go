package stack

import (
	"slices"
	"testing"
)

func TestPassOn(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"none", nil, nil},
		{"others only", []string{"-outages", "x@+1m:5m:10x", "-random-outages=false"}, nil},
		{"separate values", []string{"-rate", "50", "-concurrency", "4", "-seed", "7"}, []string{"-rate", "50", "-seed", "7"}},
		{"with equals and double dash", []string{"--rate=2.5", "-seed=9"}, []string{"-rate", "2.5", "-seed", "9"}},
		{"prefix is not the flag", []string{"-rate-limit", "3", "-seeds", "1"}, nil},
		{"missing value", []string{"-rate"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passOn(tt.args, "rate", "seed"); !slices.Equal(got, tt.want) {
				t.Errorf("passOn(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}
