package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/logging"
)

// Should go-redis ever print a password it was given, it is cut out.
func TestPasswordsAreRedacted(t *testing.T) {
	tests := []struct {
		name, format string
		args         []any
	}{
		{"in an argument", "redis: dial %s: %v", []any{"redis://:s3cret-pass@10.0.0.1:6379", errors.New("refused")}},
		{"in the format", "auth with s3cret-pass failed", nil},
		{"with a stack trace", "panic: %v\n%s\n", []any{"s3cret-pass", "goroutine 1 [running]:\nmain.main()"}},
	}
	hidden.add("s3cret-pass")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := logging.New(&buf, "test", "warn"); err != nil {
				t.Fatal(err)
			}
			slogPrinter{}.Printf(context.Background(), tt.format, tt.args...)
			out := strings.TrimSpace(buf.String())
			if strings.Count(out, "\n") != 0 {
				t.Fatalf("more than one line: %q", out)
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("not JSON: %q: %v", out, err)
			}
			if strings.Contains(out, "s3cret-pass") || !strings.Contains(out, "[redacted]") {
				t.Errorf("password not redacted: %s", out)
			}
		})
	}
}
