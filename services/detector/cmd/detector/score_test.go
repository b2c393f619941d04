package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "timestamp,value\n2015-02-26 21:42:53,3\n2015-02-26 21:47:53,4\n2015-02-26 21:52:53,2\n")
	tests := []struct {
		name string
		args []string
		want string // error substring, empty for success
	}{
		{"scores a file", []string{"score", "--in", good, "--out", filepath.Join(dir, "out.csv")}, ""},
		{"needs an input", []string{"score", "--out", filepath.Join(dir, "x.csv")}, "--in is required"},
		{"missing input file", []string{"score", "--in", filepath.Join(dir, "nope.csv")}, "open input"},
		{"missing header", []string{"score", "--in", write("nohdr.csv", "2015-02-26 21:42:53,3\n")}, "want timestamp,value"},
		{"bad timestamp", []string{"score", "--in", write("badts.csv", "timestamp,value\nyesterday,3\n")}, "timestamp"},
		{"non-numeric value", []string{"score", "--in", write("badv.csv", "timestamp,value\n2015-02-26 21:42:53,lots\n")}, "not a number"},
		{"unknown flag", []string{"score", "--in", good, "--threshold", "3"}, "parse flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("run = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error about %q", err, tt.want)
			}
		})
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 || lines[0] != "timestamp,value,anomaly_score,alert,open" || !strings.HasPrefix(lines[1], "2015-02-26 21:42:53,3,") {
		t.Fatalf("output = %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
		t.Fatal("a failed run left an output file")
	}
}
