package read_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/webtest"
)

func TestMain(m *testing.M) { os.Exit(webtest.Main(m)) }

var v7 = webtest.V7

func TestCommentByID(t *testing.T) {
	f := webtest.New(t)
	ts := webtest.Now.Add(-time.Hour).Truncate(time.Second)
	with, without := v7(ts, 1), v7(ts, 2)
	f.Insert(t,
		webtest.Row{ID: with, Service: "bca", Symptom: "atm", Country: "ID", Reporter: "r1", Comment: "ATM mati", TS: ts},
		webtest.Row{ID: without, Service: "bca", Symptom: "atm", Country: "ID", Reporter: "r2", TS: ts},
	)
	store := read.NewStore(clickhouse.NewPageStore(f.Conn))
	tests := []struct {
		name, id  string
		found     bool
		wantError error
	}{
		{"a report with a comment", with, true, nil},
		{"a report without one", without, false, nil},
		{"an id no report has", v7(ts, 3), false, nil},
		{"an id made far from its report's time", v7(ts.Add(-2*read.ReportIDWindow), 1), false, nil},
		{"not a UUID", "abc", false, read.ErrNotReportID},
		{"a UUIDv4", "1b4e28ba-2fa1-41d2-883f-0016d3cca427", false, read.ErrNotReportID},
		{"a UUIDv7 with a bad variant", strings.Replace(with, "-8000-", "-c000-", 1), false, read.ErrNotReportID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, found, err := store.CommentByID(f.Ctx, tt.id)
			if !errors.Is(err, tt.wantError) || found != tt.found {
				t.Fatalf("CommentByID = %+v, %v, %v; want found %v, error %v", c, found, err, tt.found, tt.wantError)
			}
			if found && (c.ID != tt.id || c.Service != "bca" || c.Text != "ATM mati" || !c.Time.Equal(ts)) {
				t.Fatalf("comment %+v", c)
			}
		})
	}
}

func TestUUIDv7Time(t *testing.T) {
	at := time.Date(2025, 3, 10, 12, 0, 0, 123e6, time.UTC)
	got, ok := read.UUIDV7Time(v7(at, 1))
	if !ok || !got.Equal(at) {
		t.Fatalf("uuidV7Time = %v, %v; want %v", got, ok, at)
	}
}
