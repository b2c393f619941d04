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

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/redis"
)

// Page sizes of GET /v1/alerts.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// hubWait bounds how long a new stream waits for the hub to find the end
// of the alert log (only just after the web starts, or while Redis is
// down).
const hubWait = 5 * time.Second

// streamWriteTimeout bounds one write to a stream's client: one that has
// stopped reading would otherwise hold its handler forever, as the
// server has no write timeout (streams outlive any).
const streamWriteTimeout = 30 * time.Second

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
// or one past the end of the log, and 410 for one whose events are no
// longer kept.
func (a *API) after(c *gin.Context, cursor string, n int64) ([]redis.AlertEntry, bool) {
	if !validCursor(c, cursor) {
		return nil, false
	}
	entries, err := a.o.Alerts.After(c.Request.Context(), cursor, n)
	if errors.Is(err, redis.ErrCursorExpired) {
		httpapi.Abort(c, http.StatusGone, "cursor_expired", "events after this cursor are no longer kept; start again without since", "since")
		return nil, false
	}
	if errors.Is(err, redis.ErrCursorAhead) {
		// Accepting it would skip every event until the log caught up.
		httpapi.Abort(c, http.StatusBadRequest, "invalid_cursor", "cursor is past the end of the alert log", "since")
		return nil, false
	}
	if err != nil {
		a.storeError(c, "read alert log", err)
		return nil, false
	}
	return entries, true
}

// validCursor answers 400 for a cursor that cannot be one.
func validCursor(c *gin.Context, cursor string) bool {
	if !redis.ValidCursor(cursor) {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "since must be a cursor from an earlier answer", "since")
		return false
	}
	return true
}

// filter reads service, country and level (each comma-separated or
// repeated) into an lapor.AlertFilter.
func (a *API) filter(c *gin.Context) (lapor.AlertFilter, bool) {
	var f lapor.AlertFilter
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
		if !lapor.Level(s).Valid() {
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
// It ends when the client leaves or the server shuts down, and when the
// client falls too far behind (the client then resumes after its
// Last-Event-ID and loses nothing).
//
// The stream reads the log itself only to catch up from its cursor, in
// a few short reads; from then on it takes the entries the hub hands out,
// so it holds no Redis connection while it waits. An API key may hold
// Streams.PerKey streams open on one web process (429 too_many_streams
// beyond), and the process Streams.Max in all (503 beyond).
func (a *API) HandleStream(c *gin.Context) {
	f, ok := a.filter(c)
	if !ok {
		return
	}
	cursor := c.GetHeader("Last-Event-ID")
	if cursor == "" {
		cursor = c.Query("since")
	}
	if !validCursor(c, cursor) {
		return
	}
	keyID := KeyID(c)
	release, err := a.slots.take(keyID)
	if errors.Is(err, errKeyStreams) {
		httpapi.AbortRetry(c, http.StatusTooManyRequests, streamRetry, "too_many_streams",
			fmt.Sprintf("this API key has %d event streams open on this server, the most it may; close one or retry later", a.o.Streams.PerKey))
		return
	}
	if err != nil {
		a.o.Log.Warn("event stream refused: the server holds its most", "max", a.o.Streams.Max, "key_id", keyID)
		httpapi.AbortRetry(c, http.StatusServiceUnavailable, streamRetry, "unavailable", "this server holds as many event streams as it can; retry later")
		return
	}
	defer release()

	if cursor == "" {
		last, err := a.o.Alerts.Last(c.Request.Context())
		if err != nil {
			a.storeError(c, "read newest alert", err)
			return
		}
		cursor = last
	}
	a.startHub.Do(func() { go a.hub.Run(a.o.Shutdown) })
	// Subscribing before the first read leaves no gap between what the
	// reads return and what the hub hands on from hubPos.
	sctx, cancel := context.WithTimeout(c.Request.Context(), hubWait)
	sub, hubPos, err := a.hub.Subscribe(sctx)
	cancel()
	if err != nil {
		a.storeError(c, "subscribe to the alert stream hub", err)
		return
	}
	defer sub.Close()
	// Checking the cursor before the stream starts lets a bad or expired
	// one get a JSON error instead of an event stream.
	entries, ok := a.after(c, cursor, defaultLimit)
	if !ok {
		return
	}

	ctx, cancelStream := context.WithCancel(c.Request.Context())
	defer cancelStream()
	stop := context.AfterFunc(a.o.Shutdown, cancelStream)
	defer stop()
	s := &sseStream{w: c.Writer, rc: http.NewResponseController(c.Writer), f: f, last: cursor}
	// A stream lasts far longer than any read timeout the server has.
	_ = s.rc.SetReadDeadline(time.Time{})
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would buffer the stream
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	if s.flush() != nil {
		return
	}

	heartbeat := time.NewTimer(a.o.Heartbeat)
	defer heartbeat.Stop()
	// Catch up from the log until the hub's position; pages keep each
	// read short, and a short page means the log's end is reached.
	for {
		wrote, err := s.send(entries)
		if err != nil {
			return
		}
		if wrote {
			heartbeat.Reset(a.o.Heartbeat)
		}
		if len(entries) < defaultLimit || !redis.CursorBefore(s.last, hubPos) {
			break
		}
		if entries, err = a.o.Alerts.After(ctx, s.last, defaultLimit); err != nil {
			if ctx.Err() == nil {
				// The client reconnects with Last-Event-ID and is told
				// what went wrong, or loses nothing.
				a.o.Log.Error("catch up alert stream", "key_id", keyID, "cursor", s.last, "err", err)
			}
			return
		}
	}
	// Then follow the hub; entries the catch-up already sent are skipped.
	for {
		select {
		case <-ctx.Done():
			return
		case es, open := <-sub.Entries():
			if !open {
				a.o.Log.Info("alert stream ended by the hub; the client resumes", "key_id", keyID, "cursor", s.last, "why", sub.Err())
				return
			}
			wrote, err := s.send(es)
			if err != nil {
				return
			}
			if wrote {
				heartbeat.Reset(a.o.Heartbeat)
			}
		case <-heartbeat.C:
			if s.heartbeat() != nil {
				return
			}
			heartbeat.Reset(a.o.Heartbeat)
		}
	}
}

// sseStream writes one client's event stream.
type sseStream struct {
	w  gin.ResponseWriter
	rc *http.ResponseController
	f  lapor.AlertFilter
	// last is the cursor of the newest entry handled, sent or filtered
	// out: only entries after it go out, so that the catch-up reads and
	// the hub, which may overlap, never repeat one.
	last string
}

// send writes the entries after s.last that pass the filter; wrote says
// whether any did. An error means the client is gone.
func (s *sseStream) send(es []redis.AlertEntry) (wrote bool, err error) {
	for _, e := range es {
		if !redis.CursorBefore(s.last, e.Cursor) {
			continue
		}
		s.last = e.Cursor
		if !s.f.Match(e.Event) {
			continue
		}
		if !wrote {
			_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		}
		if _, err := fmt.Fprintf(s.w, "id: %s\nevent: %s\ndata: %s\n\n", e.Cursor, oneLine(string(e.Event.Kind)), oneLine(e.Payload)); err != nil {
			return wrote, fmt.Errorf("write event %s: %w", e.Cursor, err)
		}
		wrote = true
	}
	if !wrote {
		return false, nil
	}
	return true, s.flush()
}

// heartbeat writes a comment, so that proxies and clients can tell a
// quiet stream from a dead one.
func (s *sseStream) heartbeat() error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := fmt.Fprint(s.w, ": heartbeat\n\n"); err != nil {
		return fmt.Errorf("write heartbeat: %w", err)
	}
	return s.flush()
}

// flush sends what is written within streamWriteTimeout, then lifts the
// deadline so that a quiet stream is not cut.
func (s *sseStream) flush() error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("flush event stream: %w", err)
	}
	_ = s.rc.SetWriteDeadline(time.Time{})
	return nil
}

// oneLine keeps a value from breaking the event-stream framing.
func oneLine(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}
