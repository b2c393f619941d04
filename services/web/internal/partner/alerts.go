package partner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/alert"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/incident"
)

// Page sizes of GET /v1/alerts.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// streamBlock is how long the stream waits on the log at a time; short,
// so that a shutdown or a gone client is noticed soon.
const streamBlock = 2 * time.Second

// AlertItem is one event in a page of GET /v1/alerts.
type AlertItem struct {
	Cursor string          `json:"cursor"`
	Event  json.RawMessage `json:"event"` // exactly as published
}

// AlertPage is the body of GET /v1/alerts.
type AlertPage struct {
	Events []AlertItem `json:"events"`
	// NextCursor is where the next page starts. Events the filter left
	// out still move it on, so a filtered poll does not re-read them.
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"` // another page is ready now
}

// HandleAlerts answers GET /v1/alerts: the events after since, in order.
func (a *API) HandleAlerts(c *gin.Context) {
	f, ok := a.filter(c)
	if !ok {
		return
	}
	limit, ok := httpapi.Limit(c, defaultLimit, maxLimit)
	if !ok {
		return
	}
	since := c.Query("since")
	entries, ok := a.after(c, since, int64(limit))
	if !ok {
		return
	}
	page := AlertPage{Events: []AlertItem{}, NextCursor: since, HasMore: len(entries) == limit}
	for _, e := range entries {
		page.NextCursor = e.Cursor
		if f.Match(e.Event) {
			page.Events = append(page.Events, AlertItem{Cursor: e.Cursor, Event: json.RawMessage(e.Payload)})
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, page)
}

// after reads the log after cursor, answering 400 for a malformed cursor
// and 410 for one whose events are no longer kept.
func (a *API) after(c *gin.Context, cursor string, n int64) ([]alert.Entry, bool) {
	if !alert.ValidCursor(cursor) {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "since must be a cursor from an earlier answer", "since")
		return nil, false
	}
	entries, err := a.o.Alerts.After(c.Request.Context(), cursor, n)
	if errors.Is(err, alert.ErrCursorExpired) {
		httpapi.Abort(c, http.StatusGone, "cursor_expired", "events after this cursor are no longer kept; start again without since", "since")
		return nil, false
	}
	if err != nil {
		a.storeError(c, "read alert log", err)
		return nil, false
	}
	return entries, true
}

// filter reads service, country and level (each comma-separated or
// repeated) into an alert.Filter.
func (a *API) filter(c *gin.Context) (alert.Filter, bool) {
	var f alert.Filter
	f.Services = queryList(c, "service")
	for _, s := range f.Services {
		if _, ok := a.o.Catalog.Get(s); !ok {
			httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("unknown service %q", s), "service")
			return f, false
		}
	}
	f.Countries = queryList(c, "country")
	for _, s := range f.Countries {
		if len(s) != 2 {
			httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "country must be ISO 3166-1 alpha-2 codes", "country")
			return f, false
		}
	}
	f.Levels = queryList(c, "level")
	for _, s := range f.Levels {
		if s != incident.LevelPossible && s != incident.LevelDetected {
			httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "level must be possible or detected", "level")
			return f, false
		}
	}
	return f, true
}

func queryList(c *gin.Context, name string) []string {
	var out []string
	for _, v := range c.QueryArray(name) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// HandleStream answers GET /v1/alerts/stream with server-sent events: id
// is the event's cursor, event its kind, data the event. It resumes after
// Last-Event-ID (or since); without either it starts with the next event.
// It ends when the client leaves or the server shuts down.
func (a *API) HandleStream(c *gin.Context) {
	f, ok := a.filter(c)
	if !ok {
		return
	}
	cursor := c.GetHeader("Last-Event-ID")
	if cursor == "" {
		cursor = c.Query("since")
	}
	if cursor == "" {
		last, err := a.o.Alerts.Last(c.Request.Context())
		if err != nil {
			a.storeError(c, "read newest alert", err)
			return
		}
		cursor = last
	}
	// Checking the cursor before the stream starts lets a bad or expired
	// one get a JSON error instead of an event stream.
	first, ok := a.after(c, cursor, defaultLimit)
	if !ok {
		return
	}

	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	stop := context.AfterFunc(a.o.Shutdown, cancel)
	defer stop()
	// A stream lasts far longer than any read timeout the server has.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})

	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would buffer the stream
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	c.Writer.Flush()

	entries := first
	lastWrite := a.o.Now()
	for {
		for _, e := range entries {
			cursor = e.Cursor
			if !f.Match(e.Event) {
				continue
			}
			if _, err := fmt.Fprintf(c.Writer, "id: %s\nevent: %s\ndata: %s\n\n", e.Cursor, oneLine(e.Event.Kind), oneLine(e.Payload)); err != nil {
				return
			}
			lastWrite = a.o.Now()
		}
		if len(entries) > 0 {
			c.Writer.Flush()
		}
		if ctx.Err() != nil {
			return
		}
		if a.o.Now().Sub(lastWrite) >= a.o.Heartbeat {
			if _, err := fmt.Fprint(c.Writer, ": heartbeat\n\n"); err != nil {
				return
			}
			c.Writer.Flush()
			lastWrite = a.o.Now()
		}
		var err error
		entries, err = a.o.Alerts.Wait(ctx, cursor, defaultLimit, min(streamBlock, a.o.Heartbeat))
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// The client reconnects with Last-Event-ID and loses nothing.
			a.o.Log.Error("stream alert log", "err", err)
			return
		}
	}
}

// oneLine keeps a value from breaking the event-stream framing.
func oneLine(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}
