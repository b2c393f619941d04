package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lapor/lapor/services/ingest/internal/geo"
	"github.com/lapor/lapor/services/ingest/internal/geo/geotest"
	"github.com/lapor/lapor/services/ingest/internal/ingest"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

// streamComments returns the comments of the reports in the stream, oldest
// first.
func (f *fixture) streamComments(t *testing.T) []string {
	t.Helper()
	msgs, err := f.rdb.XRange(context.Background(), redis.Reports, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, m := range msgs {
		raw, _ := m.Values[redis.ReportField].(string)
		r, err := lapor.DecodeReport(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Comment)
	}
	return out
}

// TestCommentOncePerWindow: a comment travels only with a counted report,
// so dedupe (one report per host, service and window) and the network cap
// are also the comments' rate limit; no limit of their own is needed.
func TestCommentOncePerWindow(t *testing.T) {
	// Dedupe keys expire on Redis's clock, so the window is short and the
	// last step waits it out.
	const window = 3 * time.Second
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.NetCap = 2; d.DedupeWindow = window })
	steps := []struct {
		name         string
		remote, body string
		advance      time.Duration // waited, on both clocks, before the step
		status       int
		want         []string // the stream's comments after the step
	}{
		{"a first report keeps its comment", "203.0.113.5:1", `{"service":"bca","symptom":"atm","comment":"ATM mati"}`, 0, 202,
			[]string{"ATM mati"}},
		{"a repeat in the window drops its comment", "203.0.113.5:2", `{"service":"bca","symptom":"login","comment":"spam 1"}`, 0, 200,
			[]string{"ATM mati"}},
		{"a repeat with another user agent drops it too", "203.0.113.5:3", `{"service":"bca","symptom":"login","comment":"spam 2"}`, 0, 200,
			[]string{"ATM mati"}},
		{"the same host comments on another service", "203.0.113.5:4", `{"service":"gojek","symptom":"app","comment":"Gojek juga"}`, 0, 202,
			[]string{"ATM mati", "Gojek juga"}},
		{"a neighbour fills the network's cap", "203.0.113.6:1", `{"service":"bca","symptom":"atm","comment":"sama"}`, 0, 202,
			[]string{"ATM mati", "Gojek juga", "sama"}},
		{"past the network's cap a comment is dropped", "203.0.113.7:1", `{"service":"bca","symptom":"atm","comment":"spam 3"}`, 0, 200,
			[]string{"ATM mati", "Gojek juga", "sama"}},
		{"after the window the host comments again", "203.0.113.5:5", `{"service":"bca","symptom":"atm","comment":"masih mati"}`, window, 202,
			[]string{"ATM mati", "Gojek juga", "sama", "masih mati"}},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.advance > 0 {
				time.Sleep(s.advance + 100*time.Millisecond)
				f.clock.Set(f.clock.Now().Add(s.advance))
			}
			w := f.post(s.remote, fmt.Sprintf("ua-%d", i), s.body)
			if w.Code != s.status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
			if got := f.streamComments(t); !slices.Equal(got, s.want) {
				t.Fatalf("stream comments %q, want %q", got, s.want)
			}
		})
	}
}

// TestCommentControlCharacters: a comment holding a control character
// other than newline and tab is refused whole with 422, and nothing
// reaches the stream; what is allowed is stored trimmed, as sent.
func TestCommentControlCharacters(t *testing.T) {
	f := newFixture(t, env.RedisClient(t), nil)
	tests := []struct {
		name    string
		comment string // a JSON string literal's contents
		status  int
		stored  string
	}{
		{"NUL", `a\u0000b`, 422, ""},
		{"bell", `a\u0007b`, 422, ""},
		{"escape sequence", `\u001b[2Jcleared`, 422, ""},
		{"carriage return", `a\rb`, 422, ""},
		{"vertical tab at the end, which trimming would hide", `gagal\u000b`, 422, ""},
		{"DEL", `a\u007fb`, 422, ""},
		{"C1 next line", `a\u0085b`, 422, ""},
		{"C1 control sequence introducer", `\u009b31m`, 422, ""},
		{"newline and tab", `baris satu\n\tbaris dua`, 202, "baris satu\n\tbaris dua"},
		{"surrounding spaces are trimmed", `  pelan  `, 202, "pelan"},
		{"markup is text", `<b>down</b> & out`, 202, "<b>down</b> & out"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.streamComments(t))
			// One host per case, so that dedupe never answers first.
			w := f.post(fmt.Sprintf("198.51.%d.1:1", 100+i), "ua", `{"service":"bca","symptom":"atm","comment":"`+tt.comment+`"}`)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			got := f.streamComments(t)
			if tt.status != http.StatusAccepted {
				if e := errorCode(t, w); e.Code != "invalid_comment" || e.Field != "comment" {
					t.Fatalf("error %+v, want invalid_comment on comment", e)
				}
				if len(got) != before {
					t.Fatalf("a refused report reached the stream: %q", got)
				}
				return
			}
			if len(got) != before+1 || got[len(got)-1] != tt.stored {
				t.Fatalf("stream comments %q, want %q last", got, tt.stored)
			}
		})
	}
}

// TestReplyCountry: every answer to a report tells the reporter the
// country they were located in, for "Is it just me?", and nothing when it
// is unknown.
func TestReplyCountry(t *testing.T) {
	db := geotest.Write(t, geotest.City{Network: "203.0.113.0/24", Country: "ID", Region: "JK", City: "Jakarta"})
	locator, err := geo.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locator.Close() })
	f := newFixture(t, env.RedisClient(t), func(d *ingest.Deps) { d.Geo = locator })
	body := `{"service":"bca","symptom":"atm"}`
	steps := []struct {
		name    string
		remote  string
		status  int
		country string
	}{
		{"counted", "203.0.113.10:1", 202, "ID"},
		{"a repeat", "203.0.113.10:2", 200, "ID"},
		{"an address the database does not know", "198.51.100.1:1", 202, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			w := f.post(s.remote, "ua", body)
			if w.Code != s.status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			c, has := got["country"]
			if s.country == "" && has {
				t.Fatalf("answer %s names a country it does not know", w.Body)
			}
			if s.country != "" && c != s.country {
				t.Fatalf("answer %s, want country %q", w.Body, s.country)
			}
		})
	}
}
