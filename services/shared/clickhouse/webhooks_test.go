package clickhouse_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestWebhookSubscriptions checks that subscriptions read back as saved,
// the newest version of each, oldest first, one owner's apart from
// another's, and that a deleted one is gone.
func TestWebhookSubscriptions(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	s := clickhouse.NewWebhookStore(env.Migrated(t))
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	sub := func(id, owner string, created int) clickhouse.WebhookSubscription {
		return clickhouse.WebhookSubscription{ID: id, Owner: owner, URL: "https://hooks.example.com/" + id,
			Filter: lapor.AlertFilter{Services: []string{"whatsapp"}, Countries: []string{"ID"}}, Description: "desk",
			Secret: "whsec_" + id, StartCursor: "1700000000000-0", CreatedAt: t0.Add(time.Duration(created) * time.Hour), Version: 1}
	}
	a1, a2, b1, gone := sub("wh_a1", "keyA", 1), sub("wh_a2", "keyA", 0), sub("wh_b1", "keyB", 2), sub("wh_gone", "keyA", 3)
	deleted := gone
	deleted.Deleted, deleted.Version = true, 2
	for _, w := range []clickhouse.WebhookSubscription{a1, a2, b1, gone, deleted} {
		if err := s.Save(ctx, w); err != nil {
			t.Fatal(err)
		}
	}

	ids := func(subs []clickhouse.WebhookSubscription) []string {
		var out []string
		for _, w := range subs {
			out = append(out, w.ID)
		}
		return out
	}
	listA, err := s.List(ctx, "keyA")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(listA); !slices.Equal(got, []string{"wh_a2", "wh_a1"}) {
		t.Errorf("List(keyA) = %v, want wh_a2, wh_a1", got)
	}
	active, err := s.Active(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(active); !slices.Equal(got, []string{"wh_a2", "wh_a1", "wh_b1"}) {
		t.Errorf("Active = %v, want wh_a2, wh_a1, wh_b1", got)
	}

	tests := []struct {
		name      string
		owner, id string
		wantOK    bool
	}{
		{"own", "keyA", "wh_a1", true},
		{"another owner's", "keyB", "wh_a1", false},
		{"deleted", "keyA", "wh_gone", false},
		{"unknown", "keyA", "wh_none", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := s.Get(ctx, tt.owner, tt.id)
			if err != nil || ok != tt.wantOK {
				t.Fatalf("Get(%s, %s) = %v, %v; want ok %v", tt.owner, tt.id, ok, err, tt.wantOK)
			}
			if ok && (got.URL != a1.URL || got.Secret != a1.Secret || !got.CreatedAt.Equal(a1.CreatedAt) ||
				!slices.Equal(got.Filter.Services, a1.Filter.Services) || !slices.Equal(got.Filter.Countries, a1.Filter.Countries) ||
				got.StartCursor != a1.StartCursor || got.Description != a1.Description) {
				t.Errorf("Get = %+v, want %+v", got, a1)
			}
		})
	}
}

// TestWebhookDeliveries checks the delivery log: attempts newest event
// first, the position after the last ended delivery, and the pending
// retries after it.
func TestWebhookDeliveries(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	s := clickhouse.NewWebhookStore(env.Migrated(t))
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

	if _, ok, err := s.Position(ctx, "wh_1"); err != nil || ok {
		t.Fatalf("Position before any delivery: %v, %v; want none", ok, err)
	}
	attempt := func(cursor string, n int, status string, next time.Time) clickhouse.WebhookAttempt {
		return clickhouse.WebhookAttempt{WebhookID: "wh_1", DeliveryID: "d" + cursor, EventID: "e" + cursor, Cursor: cursor,
			Attempt: n, At: t0.Add(time.Duration(n) * time.Second), Status: status, StatusCode: 500,
			Error: "boom", Duration: 120 * time.Millisecond, NextAt: next}
	}
	retry := t0.Add(time.Minute)
	log := []clickhouse.WebhookAttempt{
		attempt("9-0", 1, clickhouse.DeliveryFailed, t0),
		attempt("9-0", 2, clickhouse.DeliveryDelivered, time.Time{}),
		attempt("10-1", 1, clickhouse.DeliveryDead, time.Time{}),
		attempt("10-2", 1, clickhouse.DeliveryFailed, t0),
		attempt("10-2", 2, clickhouse.DeliveryFailed, retry),
	}
	for _, a := range log {
		if err := s.Record(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record(ctx, attempt("bad", 1, clickhouse.DeliveryFailed, t0)); err == nil {
		t.Error("recorded an attempt with a malformed cursor")
	}

	// Cursors order as numbers: 10-1 comes after 9-0.
	pos, ok, err := s.Position(ctx, "wh_1")
	if err != nil || !ok || pos != "10-1" {
		t.Errorf("Position = %q, %v, %v; want 10-1", pos, ok, err)
	}
	pending, err := s.Pending(ctx, "wh_1", pos)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := pending["10-2"]; len(pending) != 1 || !ok || p.Attempts != 2 || !p.NextAt.Equal(retry) {
		t.Errorf("Pending after %s = %+v, want 10-2 at attempt 2 due %v", pos, pending, retry)
	}
	if _, err := s.Pending(ctx, "wh_1", "nonsense"); err == nil {
		t.Error("Pending took a malformed cursor")
	}

	tests := []struct {
		name   string
		status string
		limit  int
		want   []string // cursor/attempt
	}{
		{"all", "", 10, []string{"10-2/2", "10-2/1", "10-1/1", "9-0/2", "9-0/1"}},
		{"limited", "", 2, []string{"10-2/2", "10-2/1"}},
		{"failed", clickhouse.DeliveryFailed, 10, []string{"10-2/2", "10-2/1", "9-0/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Attempts(ctx, "wh_1", tt.status, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, a := range got {
				keys = append(keys, a.Cursor+"/"+strconv.Itoa(a.Attempt))
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("Attempts = %v, want %v", keys, tt.want)
			}
		})
	}
	all, err := s.Attempts(ctx, "wh_1", "", 1)
	if err != nil || len(all) != 1 {
		t.Fatalf("Attempts = %v, %v", all, err)
	}
	want := log[4]
	if got := all[0]; got.DeliveryID != want.DeliveryID || got.EventID != want.EventID || !got.At.Equal(want.At) ||
		got.Status != want.Status || got.StatusCode != want.StatusCode || got.Error != want.Error ||
		got.Duration != want.Duration || !got.NextAt.Equal(want.NextAt) {
		t.Errorf("newest attempt read back as %+v, want %+v", got, want)
	}
}
