package logging

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		level   string
		ok      bool
		debugOn bool
	}{
		{"", true, false},
		{"info", true, false},
		{"DEBUG", true, true},
		{"warning", true, false},
		{"error", true, false},
		{"loud", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New(&buf, "svc", tt.level)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok = %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			l.Debug("d")
			if got := buf.Len() > 0; got != tt.debugOn {
				t.Errorf("debug logged = %v, want %v", got, tt.debugOn)
			}
		})
	}
}

// Process is the logger New built last, so that libraries logging through a
// process-wide hook write the service's JSON.
func TestProcessIsTheLastLoggerBuilt(t *testing.T) {
	var first, last bytes.Buffer
	for _, w := range []*bytes.Buffer{&first, &last} {
		if _, err := New(w, "svc", "info"); err != nil {
			t.Fatal(err)
		}
	}
	Process().Warn("from a library", "detail", "x")
	if first.Len() != 0 {
		t.Errorf("an earlier logger got %q", first.String())
	}
	var rec struct{ Level, Msg, Service, Detail string }
	if err := json.Unmarshal(last.Bytes(), &rec); err != nil {
		t.Fatalf("not JSON: %q: %v", last.String(), err)
	}
	if rec.Level != "WARN" || rec.Msg != "from a library" || rec.Service != "svc" || rec.Detail != "x" {
		t.Errorf("logged %+v", rec)
	}
}
