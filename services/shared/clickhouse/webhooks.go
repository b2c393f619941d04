package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	lapor "github.com/lapor/lapor/services/shared"
)

// Delivery attempt outcomes, as webhook_deliveries stores them. The
// attempt that ends an event's delivery is delivered or dead; the ones
// before it failed.
const (
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryDead      = "dead"
)

// WebhookSubscription is a partner's request to have alert events
// matching Filter POSTed to URL.
type WebhookSubscription struct {
	ID          string
	Owner       string // the API key's id
	URL         string
	Filter      lapor.AlertFilter
	Description string
	Secret      string // signs deliveries; shown to the partner once
	StartCursor string // deliveries begin after this alert log position
	CreatedAt   time.Time
	Deleted     bool
	Version     uint64
}

// WebhookAttempt is one try at delivering one event to one subscription.
type WebhookAttempt struct {
	WebhookID  string
	DeliveryID string
	EventID    string
	Cursor     string // the event's position in the alert log
	Attempt    int    // 1 for the first try
	At         time.Time
	Status     string // DeliveryDelivered, DeliveryFailed or DeliveryDead
	StatusCode int    // the receiver's answer; 0 when there was none
	Error      string // why it failed, when it did
	Duration   time.Duration
	NextAt     time.Time // failed: when the next attempt is due
}

// WebhookPending is a delivery interrupted between retries: the attempts
// made so far and when the next one is due.
type WebhookPending struct {
	Attempts int
	NextAt   time.Time
}

// WebhookStore is the web's store of webhook subscriptions (table
// webhooks, a ReplacingMergeTree: the row with the highest version wins)
// and of their delivery log (table webhook_deliveries). The webhook
// package declares the part of it that it uses; the endpoints and the
// dispatcher stay there.
type WebhookStore struct{ conn driver.Conn }

// NewWebhookStore returns the webhook store over conn.
func NewWebhookStore(conn driver.Conn) *WebhookStore { return &WebhookStore{conn: conn} }

const subColumns = "id, owner, url, filter, description, secret, start_cursor, created_at, deleted, version"

// Save writes a subscription's current state; the row with the highest
// version wins.
func (s *WebhookStore) Save(ctx context.Context, sub WebhookSubscription) error {
	filter, err := json.Marshal(sub.Filter)
	if err != nil {
		return fmt.Errorf("encode filter of webhook %s: %w", sub.ID, err)
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO webhooks ("+subColumns+")")
	if err != nil {
		return fmt.Errorf("prepare webhooks insert: %w", err)
	}
	var deleted uint8
	if sub.Deleted {
		deleted = 1
	}
	if err := batch.Append(sub.ID, sub.Owner, sub.URL, string(filter), sub.Description, sub.Secret,
		sub.StartCursor, sub.CreatedAt.UTC(), deleted, sub.Version); err != nil {
		batch.Abort()
		return fmt.Errorf("append webhook %s: %w", sub.ID, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert webhook %s: %w", sub.ID, err)
	}
	return nil
}

// Get returns the owner's live subscription id; ok is false when the
// owner has none by that id.
func (s *WebhookStore) Get(ctx context.Context, owner, id string) (sub WebhookSubscription, ok bool, err error) {
	subs, err := s.query(ctx, " WHERE owner = ? AND id = ?", owner, id)
	if err != nil || len(subs) == 0 {
		return WebhookSubscription{}, false, err
	}
	return subs[0], true, nil
}

// List returns the owner's live subscriptions, oldest first.
func (s *WebhookStore) List(ctx context.Context, owner string) ([]WebhookSubscription, error) {
	return s.query(ctx, " WHERE owner = ?", owner)
}

// Active returns every live subscription, for the dispatcher.
func (s *WebhookStore) Active(ctx context.Context) ([]WebhookSubscription, error) {
	return s.query(ctx, "")
}

// query reads subscriptions with FINAL. Deleted rows are dropped here,
// not in SQL: a WHERE on a non-key column may be applied before FINAL
// folds the versions and would bring a deleted subscription back.
func (s *WebhookStore) query(ctx context.Context, where string, args ...any) ([]WebhookSubscription, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+subColumns+" FROM webhooks FINAL"+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("query webhooks: %w", err)
	}
	defer rows.Close()
	var out []WebhookSubscription
	for rows.Next() {
		var (
			sub     WebhookSubscription
			filter  string
			deleted uint8
		)
		if err := rows.Scan(&sub.ID, &sub.Owner, &sub.URL, &filter, &sub.Description, &sub.Secret,
			&sub.StartCursor, &sub.CreatedAt, &deleted, &sub.Version); err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		if deleted != 0 {
			continue
		}
		if err := json.Unmarshal([]byte(filter), &sub.Filter); err != nil {
			return nil, fmt.Errorf("decode filter of webhook %s: %w", sub.ID, err)
		}
		sub.CreatedAt = sub.CreatedAt.UTC()
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	return out, nil
}

const attemptColumns = "webhook_id, delivery_id, event_id, cursor, cursor_ms, cursor_seq, attempt, at_ms, status, status_code, error, duration_ms, next_at_ms"

// Record appends one attempt to the delivery log.
func (s *WebhookStore) Record(ctx context.Context, a WebhookAttempt) error {
	ms, seq, err := splitCursor(a.Cursor)
	if err != nil {
		return fmt.Errorf("record attempt of webhook %s: %w", a.WebhookID, err)
	}
	var next uint64
	if !a.NextAt.IsZero() {
		next = uint64(a.NextAt.UnixMilli())
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO webhook_deliveries ("+attemptColumns+")")
	if err != nil {
		return fmt.Errorf("prepare webhook_deliveries insert: %w", err)
	}
	if err := batch.Append(a.WebhookID, a.DeliveryID, a.EventID, a.Cursor, ms, seq, uint32(a.Attempt),
		uint64(a.At.UnixMilli()), a.Status, uint16(a.StatusCode), a.Error,
		uint32(a.Duration.Milliseconds()), next); err != nil {
		batch.Abort()
		return fmt.Errorf("append attempt of webhook %s: %w", a.WebhookID, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert attempt of webhook %s: %w", a.WebhookID, err)
	}
	return nil
}

// Attempts returns up to limit attempts of a subscription, newest event
// first and, within an event, the last attempt first; status ("" for any)
// narrows them.
func (s *WebhookStore) Attempts(ctx context.Context, webhookID, status string, limit int) ([]WebhookAttempt, error) {
	q := "SELECT " + attemptColumns + " FROM webhook_deliveries WHERE webhook_id = ?"
	args := []any{webhookID}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	q += " ORDER BY cursor_ms DESC, cursor_seq DESC, attempt DESC LIMIT " + strconv.Itoa(limit)
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query deliveries of webhook %s: %w", webhookID, err)
	}
	defer rows.Close()
	var out []WebhookAttempt
	for rows.Next() {
		var (
			a                 WebhookAttempt
			ms, seq, at, next uint64
			attempt, durMS    uint32
			code              uint16
		)
		if err := rows.Scan(&a.WebhookID, &a.DeliveryID, &a.EventID, &a.Cursor, &ms, &seq, &attempt, &at,
			&a.Status, &code, &a.Error, &durMS, &next); err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		a.Attempt, a.StatusCode = int(attempt), int(code)
		a.At = time.UnixMilli(int64(at)).UTC()
		a.Duration = time.Duration(durMS) * time.Millisecond
		if next > 0 {
			a.NextAt = time.UnixMilli(int64(next)).UTC()
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries of webhook %s: %w", webhookID, err)
	}
	return out, nil
}

// Position returns the cursor of the newest event whose delivery to the
// subscription has ended (delivered or dead); ok is false when none has.
func (s *WebhookStore) Position(ctx context.Context, webhookID string) (cursor string, ok bool, err error) {
	rows, err := s.conn.Query(ctx, `SELECT cursor FROM webhook_deliveries
		WHERE webhook_id = ? AND status IN ('delivered', 'dead')
		ORDER BY cursor_ms DESC, cursor_seq DESC LIMIT 1`, webhookID)
	if err != nil {
		return "", false, fmt.Errorf("query position of webhook %s: %w", webhookID, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&cursor); err != nil {
			return "", false, fmt.Errorf("scan position of webhook %s: %w", webhookID, err)
		}
		ok = true
	}
	if err := rows.Err(); err != nil {
		return "", false, fmt.Errorf("read position of webhook %s: %w", webhookID, err)
	}
	return cursor, ok, nil
}

// Pending returns the deliveries after cursor that have failed attempts
// but have not ended, by event cursor. Deliveries go in order, so there is
// at most one unless the log was written by overlapping dispatchers.
func (s *WebhookStore) Pending(ctx context.Context, webhookID, cursor string) (map[string]WebhookPending, error) {
	ms, seq, err := splitCursor(cursor)
	if err != nil {
		return nil, fmt.Errorf("pending deliveries of webhook %s: %w", webhookID, err)
	}
	rows, err := s.conn.Query(ctx, `SELECT cursor, max(attempt), max(next_at_ms) FROM webhook_deliveries
		WHERE webhook_id = ? AND status = 'failed' AND (cursor_ms > ? OR (cursor_ms = ? AND cursor_seq > ?))
		GROUP BY cursor`, webhookID, ms, ms, seq)
	if err != nil {
		return nil, fmt.Errorf("query pending deliveries of webhook %s: %w", webhookID, err)
	}
	defer rows.Close()
	out := map[string]WebhookPending{}
	for rows.Next() {
		var (
			c       string
			attempt uint32
			next    uint64
		)
		if err := rows.Scan(&c, &attempt, &next); err != nil {
			return nil, fmt.Errorf("scan pending delivery: %w", err)
		}
		out[c] = WebhookPending{Attempts: int(attempt), NextAt: time.UnixMilli(int64(next)).UTC()}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending deliveries of webhook %s: %w", webhookID, err)
	}
	return out, nil
}

// splitCursor parses an alert log cursor "ms-seq" into its two numbers,
// which the delivery log orders by; "" and "0" are the beginning.
func splitCursor(c string) (ms, seq uint64, err error) {
	if c == "" || c == "0" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(c, "-")
	if ok {
		ms, err = strconv.ParseUint(a, 10, 64)
	}
	if ok && err == nil {
		seq, err = strconv.ParseUint(b, 10, 64)
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("malformed alert log cursor %q", c)
	}
	return ms, seq, nil
}
