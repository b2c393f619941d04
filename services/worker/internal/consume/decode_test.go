package consume

import (
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// decodeSeeds are entry values of every shape: what ingest writes today,
// older reports, and what only the fallback may decode or refuse.
var decodeSeeds = []string{
	`{"id":"r1","service":"gojek","symptom":"login","ts":"2025-01-02T03:04:05Z","country":"ID","region":"Jakarta","city":"Jakarta","asn":7713,"isp":"Telkom","platform":"web","reporter":"ab12","network":"cd34","comment":"down"}`,
	`{"id":"r2","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05.123456789+07:00","reporter":"k"}`,
	` { "id" : "r3" , "service":"bca", "symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k" } `,
	`{"id":"r4","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","comment":"Tidak bisa masuk 😡 sejak pagi"}`,
	`{"id":"r5","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","comment":"line\nbreak \"quoted\" \u00e9"}`,
	`{"ID":"r6","Service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k"}`,
	`{"id":"r7","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","extra":[1,{"a":null}]}`,
	`{"id":"r8","service":null,"symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k"}`,
	`{"id":"r9","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","asn":1e3}`,
	`{"id":"r10","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","asn":4294967296}`,
	`{"id":"r11","service":"bca","symptom":"app","ts":"2025-01-02 03:04:05","reporter":"k"}`,
	`{"id":"r12","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","asn":-1}`,
	`{"id":"r13","id":"r14","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k"}`,
	"{\"id\":\"r15\",\"service\":\"bca\",\"symptom\":\"app\",\"ts\":\"2025-01-02T03:04:05Z\",\"reporter\":\"k\",\"comment\":\"bad \xff byte\"}",
	`{"id":"r16","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k"} x`,
	`{"id":"r17","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k",}`,
	`{"id":"r18","service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k","asn":007}`,
	`{"service":"bca","symptom":"app","ts":"2025-01-02T03:04:05Z","reporter":"k"}`,
	`{}`, `[]`, `null`, ``, `not json`, `{"id":"r19"`, `{"id":`,
}

// FuzzDecodeReport holds the hand-written decoder to lapor.DecodeReport:
// the same report, or an error on both sides.
//
//	go test -run '^$' -fuzz FuzzDecodeReport -fuzztime 30s ./services/worker/internal/consume/
func FuzzDecodeReport(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	for _, r := range realisticReports("fz", 12) {
		v, err := r.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := lapor.DecodeReport(s)
		got, err := decodeReport(s)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeReport(%q) error %v, lapor.DecodeReport error %v", s, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("decodeReport(%q) = %+v, want %+v", s, got, want)
		}
		if err != nil && strings.HasPrefix(wantErr.Error(), "invalid report") && err.Error() != wantErr.Error() {
			t.Fatalf("decodeReport(%q) error %q, want %q", s, err, wantErr)
		}
	})
}

// TestDecodeFastTakesWhatIngestWrites checks that what ingest writes takes
// the fast path rather than the fallback, and the odd shapes do not.
func TestDecodeFastTakesWhatIngestWrites(t *testing.T) {
	written := realisticReports("fast", 20)
	written[0].Comment = "Tidak bisa masuk 😡"
	written[1].Time = time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("WIB", 7*3600))
	tests := []struct {
		name string
		in   string
		fast bool
	}{
		{name: "escaped comment", in: decodeSeeds[4], fast: false},
		{name: "differently cased key", in: decodeSeeds[5], fast: false},
		{name: "unknown key", in: decodeSeeds[6], fast: false},
		{name: "null", in: decodeSeeds[7], fast: false},
		{name: "spaces", in: decodeSeeds[2], fast: true},
	}
	for i, r := range written {
		v, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			name string
			in   string
			fast bool
		}{name: "written " + r.ID + string(rune('a'+i%26)), in: v, fast: true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r lapor.Report
			if got := decodeFast(tt.in, &r); got != tt.fast {
				t.Errorf("decodeFast(%s) = %v, want %v", tt.in, got, tt.fast)
			}
		})
	}
}

// BenchmarkDecodeReport compares the hand-written decoder with
// lapor.DecodeReport on what ingest writes.
//
//	go test -run '^$' -bench DecodeReport -benchmem ./services/worker/internal/consume/
func BenchmarkDecodeReport(b *testing.B) {
	reps := realisticReports("bd", 1000)
	vals := make([]string, len(reps))
	for i, r := range reps {
		v, err := r.Encode()
		if err != nil {
			b.Fatal(err)
		}
		vals[i] = v
	}
	for _, bb := range []struct {
		name   string
		decode func(string) (lapor.Report, error)
	}{
		{"encoding-json", lapor.DecodeReport},
		{"hand-written", decodeReport},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := bb.decode(vals[i%len(vals)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
