package webhook

import (
	"context"
	"errors"

	"github.com/lapor/lapor/services/shared/clickhouse"
)

// ErrNotFound says there is no subscription with that id for that owner.
var ErrNotFound = errors.New("no such webhook subscription")

// Delivery attempt outcomes. The attempt that ends an event's delivery is
// delivered or dead; the ones before it failed.
const (
	StatusDelivered = clickhouse.DeliveryDelivered
	StatusFailed    = clickhouse.DeliveryFailed
	StatusDead      = clickhouse.DeliveryDead
)

// Subscription is a partner's request to have alert events matching
// Filter POSTed to URL.
type Subscription = clickhouse.WebhookSubscription

// Attempt is one try at delivering one event to one subscription.
type Attempt = clickhouse.WebhookAttempt

// Pending is a delivery interrupted between retries: the attempts made so
// far and when the next one is due.
type Pending = clickhouse.WebhookPending

// Store is where the endpoints and the dispatcher keep subscriptions and
// the delivery log: clickhouse.WebhookStore holds the SQL.
type Store interface {
	// Save writes a subscription's current state; the highest version wins.
	Save(ctx context.Context, sub Subscription) error
	// Get returns the owner's live subscription id; ok is false when the
	// owner has none by that id.
	Get(ctx context.Context, owner, id string) (sub Subscription, ok bool, err error)
	// List returns the owner's live subscriptions, oldest first.
	List(ctx context.Context, owner string) ([]Subscription, error)
	// Active returns every live subscription, for the dispatcher.
	Active(ctx context.Context) ([]Subscription, error)

	// Record appends one attempt to the delivery log.
	Record(ctx context.Context, a Attempt) error
	// Attempts returns up to limit attempts of a subscription, newest
	// event first and, within an event, the last attempt first; status
	// ("" for any) narrows them.
	Attempts(ctx context.Context, webhookID, status string, limit int) ([]Attempt, error)
	// Position returns the cursor of the newest event whose delivery has
	// ended (delivered or dead); ok is false when none has.
	Position(ctx context.Context, webhookID string) (cursor string, ok bool, err error)
	// Pending returns the deliveries after cursor that have failed
	// attempts but have not ended, by event cursor.
	Pending(ctx context.Context, webhookID, cursor string) (map[string]Pending, error)
}

// Webhooks are stored in ClickHouse.
var _ Store = (*clickhouse.WebhookStore)(nil)
