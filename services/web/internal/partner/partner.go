package partner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/api"
	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/web/internal/read"
)

// DefaultHeartbeat is how often a quiet event stream sends a comment, so
// that proxies and clients can tell a quiet stream from a dead one.
const DefaultHeartbeat = 15 * time.Second

// Store is what the partner API reads: incidents, and reports counted
// as the pages count them. read.Reader is one, so that the partner API
// and the pages never disagree.
type Store interface {
	Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error)
	// Series returns a service's reports in buckets of step from from
	// (aligned to step) up to to, each with what the detector expected.
	Series(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]read.Point, error)
	// Breakdown counts a service's reports by a dimension from from to
	// to, largest first.
	Breakdown(ctx context.Context, service string, by read.Dimension, from, to time.Time) ([]read.Breakdown, error)
}

// The partner API reads through the web's reader.
var _ Store = (*read.Reader)(nil)

// Options are what the partner API needs.
type Options struct {
	Log     *slog.Logger
	Store   Store
	Catalog *catalog.Catalog
	Alerts  *redis.AlertLog
	Auth    *Auth
	// Shutdown ends with the server: open event streams close then, so
	// a graceful shutdown is not held up by them.
	Shutdown  context.Context
	Heartbeat time.Duration    // DefaultHeartbeat when zero
	Streams   StreamOptions    // limits of the event streams
	PublicURL string           // base of links in feeds; relative links when empty
	Now       func() time.Time // time.Now when nil
}

// API serves the partner endpoints; routes are registered in the web's
// server package (routes.go).
type API struct {
	Auth *Auth
	o    Options
	docs []byte // the rendered docs page

	hub      *Hub         // the event streams' one reader of the alert log
	startHub sync.Once    // the hub starts with the first stream
	slots    *streamSlots // the event streams open, per key
}

// New returns the partner API.
func New(o Options) (*API, error) {
	if o.Log == nil || o.Store == nil || o.Catalog == nil || o.Alerts == nil || o.Auth == nil {
		return nil, errors.New("partner: log, store, catalog, alerts and auth are required")
	}
	if o.Shutdown == nil {
		o.Shutdown = context.Background()
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	docs, err := renderDocs(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	o.Streams = o.Streams.withDefaults()
	hub := NewHub(o.Alerts, o.Log.With("component", "streams"), HubOptions{Block: o.Streams.Block, Buffer: o.Streams.Buffer})
	return &API{Auth: o.Auth, o: o, docs: docs, hub: hub, slots: newStreamSlots(o.Streams)}, nil
}

// maxIDLength bounds ids taken from paths before they reach a query.
const maxIDLength = 128

// HandleIncident answers GET /v1/incidents/{id}.
func (a *API) HandleIncident(c *gin.Context) {
	id := c.Param("id")
	if len(id) > maxIDLength {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	list, err := a.o.Store.Incidents(c.Request.Context(), clickhouse.IncidentFilter{ID: id, Limit: 1})
	if err != nil {
		a.storeError(c, "read incident", err)
		return
	}
	if len(list) == 0 {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	c.JSON(http.StatusOK, list[0])
}

// storeError answers a failed read with 503 and Retry-After: the store
// failed, not the request.
func (a *API) storeError(c *gin.Context, what string, err error) {
	httpapi.Unavailable(c, a.o.Log, unavailableRetry, what, err)
}
