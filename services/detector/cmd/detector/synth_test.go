package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSynthFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // empty: the run succeeds
		want    []string
	}{
		{"main suite", []string{"synth", "-quick", "-services", "2"}, "",
			[]string{"Synthetic outage suite (main)", "2 services", "HEADLINE"}},
		{"alt suite", []string{"synth", "-suite", "alt", "-quick", "-services", "2"}, "",
			[]string{"Synthetic outage suite (alt", "2 services", "3 weeks of history + 7 days", "HEADLINE"}},
		{"unknown suite", []string{"synth", "-suite", "other"}, "unknown suite", nil},
		{"stray argument", []string{"synth", "now"}, "unexpected arguments", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run(%q) = %v, want an error about %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%q): %v (%s)", tt.args, err, stderr.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("output lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}
