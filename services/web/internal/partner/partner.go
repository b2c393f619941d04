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
	"github.com/lapor/lapor/services/shared/alert"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// DefaultHeartbeat is how often a quiet event stream sends a comment, so
// that proxies and clients can tell a quiet stream from a dead one.
const DefaultHeartbeat = 15 * time.Second

// Bucket is one bucket of a service's report series.
type Bucket struct {
	T         time.Time
	Reports   uint64
	Reporters uint64
	Expected  *float64 // what the detector expected; nil where it judged nothing
}

// SeriesFunc returns a service's reports in buckets of step from from
// (aligned to step) up to to, each with its baseline: the web's read
// store, so that the partner API and the pages count the same way.
type SeriesFunc func(ctx context.Context, service string, from, to time.Time, step time.Duration) ([]Bucket, error)

// IncidentReader lists incidents: clickhouse.PageStore holds the SQL.
type IncidentReader interface {
	Incidents(ctx context.Context, f clickhouse.IncidentFilter) ([]lapor.Incident, error)
}

// The partner API reads incidents from ClickHouse.
var _ IncidentReader = (*clickhouse.PageStore)(nil)

// Options are what the partner API needs.
type Options struct {
	Log       *slog.Logger
	Incidents IncidentReader
	Catalog   *catalog.Catalog
	Alerts    *alert.Log
	Auth      *Auth
	Series    SeriesFunc
	// Symptoms counts a service's reports by symptom from from to to,
	// largest first.
	Symptoms func(ctx context.Context, service string, from, to time.Time) ([]SymptomCount, error)
	// IncidentJSON renders an incident as the public API does, so both
	// APIs share the Incident schema.
	IncidentJSON func(lapor.Incident) any
	// Shutdown ends with the server: open event streams close then, so
	// a graceful shutdown is not held up by them.
	Shutdown  context.Context
	Heartbeat time.Duration    // DefaultHeartbeat when zero
	Streams   StreamOptions    // limits of the event streams
	PublicURL string           // base of links in feeds; relative links when empty
	Now       func() time.Time // time.Now when nil
}

// API serves the partner endpoints; routes are registered in the web's
// routes.go.
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
	if o.Log == nil || o.Incidents == nil || o.Catalog == nil || o.Alerts == nil || o.Auth == nil || o.Series == nil || o.Symptoms == nil || o.IncidentJSON == nil {
		return nil, errors.New("partner: log, incidents, catalog, alerts, auth, series and incident JSON are required")
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
	list, err := a.o.Incidents.Incidents(c.Request.Context(), clickhouse.IncidentFilter{ID: id, Limit: 1})
	if err != nil {
		a.storeError(c, "read incident", err)
		return
	}
	if len(list) == 0 {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	c.JSON(http.StatusOK, a.o.IncidentJSON(list[0]))
}

// storeError answers a failed read with 503 and Retry-After: the store
// failed, not the request.
func (a *API) storeError(c *gin.Context, what string, err error) {
	httpapi.Unavailable(c, a.o.Log, unavailableRetry, what, err)
}
