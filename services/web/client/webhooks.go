package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookRequest subscribes a URL to the events that pass Filter.
type WebhookRequest struct {
	URL         string `json:"url"`
	Filter      Filter `json:"filter"`
	Description string `json:"description,omitempty"`
}

// Webhook is a subscription. Secret, which signs its deliveries, is only
// set in the answer of CreateWebhook: it is shown once.
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Filter      Filter    `json:"filter"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	Secret      string    `json:"secret,omitempty"`
}

// Delivery is one attempt at delivering one event to a subscription.
type Delivery struct {
	DeliveryID    string     `json:"delivery_id"`
	EventID       string     `json:"event_id"`
	Cursor        string     `json:"cursor"` // the event's position in the alert log
	Attempt       int        `json:"attempt"`
	At            time.Time  `json:"at"`
	Status        string     `json:"status"`      // delivered, failed or dead
	StatusCode    int        `json:"status_code"` // 0 when the receiver did not answer
	Error         string     `json:"error"`
	DurationMS    int64      `json:"duration_ms"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // failed: when the next attempt is due
}

// CreateWebhook subscribes to events; keep the answer's Secret to verify
// deliveries (see Verify).
func (c *Client) CreateWebhook(ctx context.Context, r WebhookRequest) (*Webhook, error) {
	var w Webhook
	if err := c.do(ctx, http.MethodPost, "/v1/webhooks", nil, r, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// Webhooks lists the key's subscriptions.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var body struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	if err := c.getJSON(ctx, "/v1/webhooks", nil, &body); err != nil {
		return nil, err
	}
	return body.Webhooks, nil
}

// Webhook returns one subscription.
func (c *Client) Webhook(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	if err := c.getJSON(ctx, "/v1/webhooks/"+url.PathEscape(id), nil, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// DeleteWebhook ends a subscription.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/webhooks/"+url.PathEscape(id), nil, nil, nil)
}

// Deliveries returns a subscription's delivery log, newest first; status
// ("" for all: delivered, failed, dead) and limit (0 for the server's
// default) narrow it.
func (c *Client) Deliveries(ctx context.Context, id, status string, limit int) ([]Delivery, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var body struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	if err := c.getJSON(ctx, "/v1/webhooks/"+url.PathEscape(id)+"/deliveries", q, &body); err != nil {
		return nil, err
	}
	return body.Deliveries, nil
}
