package consume

import (
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

func encode(t *testing.T, r lapor.Report) string {
	t.Helper()
	s, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodReport(id string) lapor.Report {
	return lapor.Report{ID: id, Service: "gojek", Symptom: "login", Time: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), Reporter: "k"}
}

func TestClassify(t *testing.T) {
	good := goodReport("a1")
	noService := good
	noService.Service = ""
	tooOld := good
	tooOld.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	tooNew := good
	tooNew.Time = time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)
	longComment := good
	longComment.Comment = strings.Repeat("x", lapor.MaxCommentRunes+1)

	tests := []struct {
		name       string
		values     map[string]any
		wantReport *lapor.Report
		wantReason string // substring; empty means the entry is good
		wantRaw    string
	}{
		{name: "valid report", values: map[string]any{redis.ReportField: encode(t, good)}, wantReport: &good},
		{name: "extra fields are ignored", values: map[string]any{redis.ReportField: encode(t, good), "x": "y"}, wantReport: &good},
		{name: "not JSON", values: map[string]any{redis.ReportField: "{nope"}, wantReason: "decode report", wantRaw: "{nope"},
		{name: "JSON of the wrong shape", values: map[string]any{redis.ReportField: `[1,2]`}, wantReason: "decode report", wantRaw: `[1,2]`},
		{name: "fails validation", values: map[string]any{redis.ReportField: encode(t, noService)}, wantReason: "service missing", wantRaw: encode(t, noService)},
		{name: "comment too long", values: map[string]any{redis.ReportField: encode(t, longComment)}, wantReason: "comment"},
		{name: "time before 1970", values: map[string]any{redis.ReportField: encode(t, tooOld)}, wantReason: "outside what ClickHouse DateTime can hold"},
		{name: "time after 2106", values: map[string]any{redis.ReportField: encode(t, tooNew)}, wantReason: "outside what ClickHouse DateTime can hold"},
		{name: "missing report field keeps the entry", values: map[string]any{"other": "v"}, wantReason: `no "r" field`, wantRaw: `{"other":"v"}`},
		{name: "deleted entry", values: nil, wantReason: "deleted from the stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, dead := Classify(redis.Entry{ID: "1-1", Values: tt.values})
			if tt.wantReason == "" {
				if dead != nil {
					t.Fatalf("dead-lettered a good entry: %+v", dead)
				}
				if !rep.Time.Equal(tt.wantReport.Time) {
					t.Errorf("time = %v, want %v", rep.Time, tt.wantReport.Time)
				}
				rep.Time = tt.wantReport.Time
				if rep != *tt.wantReport {
					t.Errorf("report = %+v, want %+v", rep, *tt.wantReport)
				}
				return
			}
			if dead == nil {
				t.Fatalf("accepted a bad entry as %+v", rep)
			}
			if dead.ID != "1-1" {
				t.Errorf("dead id = %q, want 1-1", dead.ID)
			}
			if !strings.Contains(dead.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", dead.Reason, tt.wantReason)
			}
			if tt.wantRaw != "" && dead.Raw != tt.wantRaw {
				t.Errorf("raw = %q, want %q", dead.Raw, tt.wantRaw)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.Next(); got != w*time.Millisecond {
			t.Fatalf("wait %d = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 100*time.Millisecond {
		t.Fatalf("after Reset: %v, want 100ms", got)
	}
}
