package publicapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/read"

	"github.com/lapor/lapor/services/shared/clickhouse"
)

// commentRow is one raw report with a comment.
type commentRow struct {
	id, service, symptom, country, reporter, comment string
	ts                                               time.Time
}

func (f *fixture) insertComments(t *testing.T, rows ...commentRow) {
	t.Helper()
	batch, err := f.conn.PrepareBatch(f.ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, comment)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := batch.Append(r.id, r.service, r.symptom, r.ts.UTC(), r.country, "", "", uint32(0), "", "web", r.reporter, r.comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

type commentsBody struct {
	Service  string    `json:"service"`
	Since    time.Time `json:"since"`
	Comments []struct {
		ID      string    `json:"id"`
		Time    time.Time `json:"time"`
		Symptom string    `json:"symptom"`
		Country string    `json:"country"`
		Text    string    `json:"text"`
	} `json:"comments"`
}

func commentIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var b commentsBody
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	ids := []string{}
	for _, c := range b.Comments {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestComments(t *testing.T) {
	clock, advance := settableClock()
	f := newFixture(t, func(o *Options) { o.Now = clock })
	at := func(ago time.Duration) time.Time { return testNow.Add(-ago).Truncate(time.Second) }
	var (
		old     = v7(at(time.Hour), 1)
		recent  = v7(at(2*time.Minute), 2)
		hidden  = v7(at(3*time.Minute), 3)
		markup  = v7(at(20*time.Minute), 4)
		none    = v7(at(10*time.Minute), 5)
		stale   = v7(at(read.CommentWindow+time.Hour), 6)
		blank   = v7(at(30*time.Minute), 7)
		gojek   = v7(at(5*time.Minute), 8)
		noComnt = v7(at(4*time.Minute), 9)
	)
	rows := []commentRow{
		{old, "whatsapp", "messages", "ID", "secret-reporter-1", "Pesan gak terkirim, centang satu terus", at(time.Hour)},
		{recent, "whatsapp", "app", "", "secret-reporter-2", "Down for me too", at(2 * time.Minute)},
		// The same report again, as a retried batch writes it.
		{recent, "whatsapp", "app", "", "secret-reporter-2", "Down for me too", at(2 * time.Minute)},
		{hidden, "whatsapp", "login", "SG", "secret-reporter-3", "buy followers at example.com", at(3 * time.Minute)},
		// Written past ingest's checks: a control character is dropped,
		// markup stays text for the page to escape.
		{markup, "whatsapp", "app", "ID", "secret-reporter-4", "bad\u0007bell <script>alert(1)</script>", at(20 * time.Minute)},
		{none, "whatsapp", "app", "ID", "secret-reporter-5", "", at(10 * time.Minute)},
		{stale, "whatsapp", "app", "ID", "secret-reporter-6", "last week", at(read.CommentWindow + time.Hour)},
		{blank, "whatsapp", "app", "ID", "secret-reporter-7", "\u0007\u0008", at(30 * time.Minute)},
		{gojek, "gojek", "payments", "ID", "secret-reporter-8", "GoPay gagal", at(5 * time.Minute)},
		{noComnt, "gojek", "app", "ID", "secret-reporter-9", "", at(4 * time.Minute)},
	}
	f.insertComments(t, rows...)

	// An operator hides one comment, as `web comments hide` does.
	store := read.NewStore(clickhouse.NewPageStore(f.conn))
	c, found, err := store.CommentByID(f.ctx, hidden)
	if err != nil || !found || c.Service != "whatsapp" || c.Text != "buy followers at example.com" || c.Hidden {
		t.Fatalf("CommentByID(%s) = %+v, %v, %v", hidden, c, found, err)
	}
	if err := store.SetCommentHidden(f.ctx, c, true, testNow); err != nil {
		t.Fatal(err)
	}

	all := []string{recent, markup, old}
	tests := []struct {
		target string
		want   []string
	}{
		{"/api/v1/services/whatsapp/comments", all},
		{"/api/v1/services/whatsapp/comments?limit=2", all[:2]},
		{"/api/v1/services/whatsapp/comments?limit=100", all},
		{"/api/v1/services/gojek/comments", []string{gojek}},
		{"/api/v1/services/bca/comments", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f.checkKeys(t, tt.target, commentIDs, tt.want)
		})
	}

	t.Run("fields", func(t *testing.T) {
		rec := f.get(t, "/api/v1/services/whatsapp/comments")
		if strings.Contains(rec.Body.String(), "secret-reporter") {
			t.Fatalf("the answer names a reporter: %s", rec.Body)
		}
		if rec.Header().Get("Cache-Control") == "" {
			t.Error("no Cache-Control")
		}
		var b commentsBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		if want := testNow.Add(-read.CommentWindow); b.Service != "whatsapp" || !b.Since.Equal(want) {
			t.Errorf("service %q since %v, want whatsapp since %v", b.Service, b.Since, want)
		}
		first, second := b.Comments[0], b.Comments[1]
		if first.Text != "Down for me too" || first.Symptom != "app" || first.Country != "" || !first.Time.Equal(at(2*time.Minute)) {
			t.Errorf("newest comment %+v", first)
		}
		if second.Text != "badbell <script>alert(1)</script>" {
			t.Errorf("comment text %q: want control characters dropped and markup kept as text", second.Text)
		}
	})

	for _, bad := range []string{"0", "101", "x", "-1"} {
		t.Run("limit="+bad, func(t *testing.T) {
			f.checkBadParameter(t, "/api/v1/services/whatsapp/comments?limit="+bad, "limit")
		})
	}
	t.Run("unknown service", func(t *testing.T) {
		if rec := f.get(t, "/api/v1/services/nope/comments"); rec.Code != http.StatusNotFound {
			t.Fatalf("status %d", rec.Code)
		}
	})

	// The operator's listing shows the hidden comment, marked; showing it
	// again brings it back to the page once the cache expires.
	list, err := store.Comments(f.ctx, read.CommentFilter{Service: "whatsapp", Since: testNow.Add(-read.CommentWindow), Limit: 10, WithHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, fmt.Sprintf("%s:%v", c.ID, c.Hidden))
	}
	// blank is listed here: the operator sees what is stored.
	if want := []string{recent + ":false", hidden + ":true", markup + ":false", blank + ":false", old + ":false"}; !slices.Equal(got, want) {
		t.Fatalf("operator's listing %v, want %v", got, want)
	}
	if err := store.SetCommentHidden(f.ctx, c, false, testNow.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	f.checkKeys(t, "/api/v1/services/whatsapp/comments", commentIDs, all) // still cached
	advance(read.CacheTTL + time.Second)
	f.checkKeys(t, "/api/v1/services/whatsapp/comments", commentIDs, all) // stale, refreshed behind
	eventually(t, "the shown comment", func() bool {
		return slices.Equal(commentIDs(t, f.get(t, "/api/v1/services/whatsapp/comments").Body.Bytes()), []string{recent, hidden, markup, old})
	})
}
