// Package client is a Go client for Lapor's partner API (/v1): alert
// events pulled with a cursor or streamed, service stats, incidents and
// webhook subscriptions, plus Sign and Verify for webhook deliveries.
//
//	c := client.New("https://lapor.example", os.Getenv("LAPOR_KEY"), nil)
//	cursor := loadCursor()
//	for {
//		page, err := c.Alerts(ctx, cursor, client.Filter{Services: []string{"whatsapp"}})
//		if err != nil { ... }
//		for _, e := range page.Entries { handle(e.Event) }
//		cursor = page.NextCursor // store it: the next poll resumes after it
//		if !page.HasMore { time.Sleep(10 * time.Second) }
//	}
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// Event is one alert event: an incident opened, escalated, updated or
// resolved.
type Event = lapor.AlertEvent

// Filter chooses events by service, country and level; an empty list lets
// every value through. Webhook subscriptions use the same filter.
type Filter = lapor.AlertFilter

// Options tune a Client.
type Options struct {
	HTTPClient *http.Client // http.DefaultClient when nil
	PageSize   int          // events read per Alerts call (1-1000); the server's default when 0
}

// Client calls the partner API with one API key.
type Client struct {
	base string
	key  string
	hc   *http.Client
	size int
}

// New returns a client for the API at baseURL (scheme and host, e.g.
// https://lapor.example) using key ("lapor_<id>_<secret>"). opts may be
// nil.
func New(baseURL, key string, opts *Options) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: key, hc: http.DefaultClient}
	if opts != nil {
		if opts.HTTPClient != nil {
			c.hc = opts.HTTPClient
		}
		c.size = opts.PageSize
	}
	return c
}

// Error is an error answer of the API.
type Error struct {
	Status     int
	Code       string // e.g. unauthorized, forbidden, rate_limited, cursor_expired
	Message    string
	Field      string
	RetryAfter time.Duration // for 429 and 503
}

func (e *Error) Error() string {
	return fmt.Sprintf("lapor API: %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode says whether err is an API error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Entry is one event with its position in the alert log.
type Entry struct {
	Cursor string
	Event  Event
	Raw    json.RawMessage // the event exactly as sent
}

// AlertPage is one answer of Alerts.
type AlertPage struct {
	Entries []Entry
	// NextCursor is where the next call resumes; events the filter left
	// out have moved it on too.
	NextCursor string
	HasMore    bool // another page is ready now
}

// Alerts returns the events after since ("" for the oldest kept), in
// order. A since too old to resume from fails with code cursor_expired.
func (c *Client) Alerts(ctx context.Context, since string, f Filter) (*AlertPage, error) {
	q := filterQuery(f)
	if since != "" {
		q.Set("since", since)
	}
	if c.size > 0 {
		q.Set("limit", strconv.Itoa(c.size))
	}
	var body struct {
		Events []struct {
			Cursor string          `json:"cursor"`
			Event  json.RawMessage `json:"event"`
		} `json:"events"`
		NextCursor string `json:"next_cursor"`
		HasMore    bool   `json:"has_more"`
	}
	if err := c.getJSON(ctx, "/v1/alerts", q, &body); err != nil {
		return nil, err
	}
	page := &AlertPage{NextCursor: body.NextCursor, HasMore: body.HasMore}
	for _, e := range body.Events {
		var ev Event
		if err := json.Unmarshal(e.Event, &ev); err != nil {
			return nil, fmt.Errorf("decode alert event %s: %w", e.Cursor, err)
		}
		page.Entries = append(page.Entries, Entry{Cursor: e.Cursor, Event: ev, Raw: e.Event})
	}
	return page, nil
}

// Stream reads the server-sent event stream from after lastEventID ("" for
// the next event on) and calls fn with each event in order. It returns
// when ctx ends (ctx.Err()), when fn fails (its error), or when the stream
// ends (io.ErrUnexpectedEOF, or the read error); to carry on, call it
// again with the Cursor of the last entry handled.
func (c *Client) Stream(ctx context.Context, lastEventID string, f Filter, fn func(Entry) error) error {
	req, err := c.request(ctx, http.MethodGet, "/v1/alerts/stream", filterQuery(f), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("open alert stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				var ev Event
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					return fmt.Errorf("decode streamed event %s: %w", id, err)
				}
				if err := fn(Entry{Cursor: id, Event: ev, Raw: json.RawMessage(data)}); err != nil {
					return err
				}
			}
			data = ""
		case strings.HasPrefix(line, ":"):
			// A heartbeat comment.
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read alert stream: %w", err)
	}
	return io.ErrUnexpectedEOF
}

// StatsQuery chooses the buckets of Stats; zero values take the server's
// defaults (1h buckets over the last week).
type StatsQuery struct {
	Bucket   string // 15m, 1h or 1d
	From, To time.Time
}

// Stats is a service's reports per bucket, with the expected count, and its
// reports by symptom over the whole range.
type Stats struct {
	Service string    `json:"service"`
	Bucket  string    `json:"bucket"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Points  []struct {
		T         time.Time `json:"t"`
		Reports   uint64    `json:"reports"`
		Reporters uint64    `json:"reporters"`
		// Expected is what the detector expected; nil where it judged nothing.
		Expected *float64 `json:"expected"`
	} `json:"points"`
	Symptoms []struct {
		Symptom   string `json:"symptom"`
		Reports   uint64 `json:"reports"`
		Reporters uint64 `json:"reporters"`
	} `json:"symptoms"`
}

// Stats returns a service's stats.
func (c *Client) Stats(ctx context.Context, slug string, sq StatsQuery) (*Stats, error) {
	q := url.Values{}
	if sq.Bucket != "" {
		q.Set("bucket", sq.Bucket)
	}
	if !sq.From.IsZero() {
		q.Set("from", sq.From.UTC().Format(time.RFC3339))
	}
	if !sq.To.IsZero() {
		q.Set("to", sq.To.UTC().Format(time.RFC3339))
	}
	var s Stats
	if err := c.getJSON(ctx, "/v1/services/"+url.PathEscape(slug)+"/stats", q, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Incident is an incident as it is now: Lapor's own type, so that the
// client reads every field the API sends.
type Incident = lapor.Incident

// Incident returns one incident.
func (c *Client) Incident(ctx context.Context, id string) (*Incident, error) {
	var in Incident
	if err := c.getJSON(ctx, "/v1/incidents/"+url.PathEscape(id), nil, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

func filterQuery(f Filter) url.Values {
	q := url.Values{}
	if len(f.Services) > 0 {
		q.Set("service", strings.Join(f.Services, ","))
	}
	if len(f.Countries) > 0 {
		q.Set("country", strings.Join(f.Countries, ","))
	}
	if len(f.Levels) > 0 {
		q.Set("level", strings.Join(f.Levels, ","))
	}
	return q
}

func (c *Client) request(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends a request and decodes a 2xx JSON answer into out (when not
// nil); other answers become *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, nil, out)
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: resp.Status}
	var body struct {
		Error struct {
			Code, Message, Field string
		} `json:"error"`
	}
	if b, err := io.ReadAll(io.LimitReader(resp.Body, 64*1024)); err == nil && json.Unmarshal(b, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}
