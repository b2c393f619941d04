package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalCommand(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "..", "shared", "datasets", "nab")
	if _, err := os.Stat(filepath.Join(dir, "labels", "combined_windows.json")); err != nil {
		t.Skipf("NAB data not here: %v", err)
	}
	tests := []struct {
		name string
		args []string
		want []string // in the output, or in the error when err is set
		err  bool
	}{
		{
			name: "table and summary",
			want: []string{"threshold     best      loo    alert     open", "realTweets standard: best threshold "},
		},
		{
			name: "leave-one-out detail",
			args: []string{"-loo-detail", "realTweets"},
			want: []string{"leave-one-out, realTweets, profile standard: each file at the best threshold of the other 4", "realTweets/Twitter_volume_", "total"},
		},
		{
			name: "leave-one-out of a single file",
			args: []string{"-loo-detail", "realKnownCause"},
			want: []string{"undefined: one file"},
		},
		{
			name: "explain includes the detail",
			args: []string{"-explain", "realTweets"},
			want: []string{"leave-one-out, realTweets", "detections at threshold"},
		},
		{name: "unknown corpus", args: []string{"-loo-detail", "realTweet"}, want: []string{`-loo-detail "realTweet": no such corpus`}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"eval", "-quick", "-nab", dir}, tt.args...)
			err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			got := stdout.String()
			if tt.err {
				if err == nil {
					t.Fatalf("run(%q) succeeded, want an error", args)
				}
				got = err.Error()
			} else if err != nil {
				t.Fatalf("run(%q) = %v", args, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("lacks %q:\n%s", want, got)
				}
			}
		})
	}
}
