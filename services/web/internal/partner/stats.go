package partner

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// buckets are the bucket sizes of GET /v1/services/{slug}/stats, with the
// span each covers by default.
var buckets = map[string]struct{ step, span time.Duration }{
	"15m": {15 * time.Minute, 24 * time.Hour},
	"1h":  {time.Hour, 7 * 24 * time.Hour},
	"1d":  {24 * time.Hour, 90 * 24 * time.Hour},
}

// maxBuckets bounds one answer.
const maxBuckets = 2000

// StatsPoint is one bucket of a service's stats.
type StatsPoint struct {
	T         time.Time `json:"t"`
	Reports   uint64    `json:"reports"`
	Reporters uint64    `json:"reporters"`
	Expected  *float64  `json:"expected"`
}

// SymptomCount is a service's reports of one symptom over the range.
type SymptomCount struct {
	Symptom   string `json:"symptom"`
	Reports   uint64 `json:"reports"`
	Reporters uint64 `json:"reporters"`
}

// Stats is the body of GET /v1/services/{slug}/stats. The symptom
// breakdown is for the whole range: per bucket it would be mostly zeros
// for all but the busiest services.
type Stats struct {
	Service  string         `json:"service"`
	Bucket   string         `json:"bucket"`
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	Points   []StatsPoint   `json:"points"`
	Symptoms []SymptomCount `json:"symptoms"`
}

// HandleStats answers GET /v1/services/{slug}/stats.
func (a *API) HandleStats(c *gin.Context) {
	slug := c.Param("slug")
	if _, ok := a.o.Catalog.Get(slug); !ok {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	name := c.DefaultQuery("bucket", "1h")
	b, ok := buckets[name]
	if !ok {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "bucket must be 15m, 1h or 1d", "bucket")
		return
	}
	to, ok := timeParam(c, "to", a.o.Now().UTC())
	if !ok {
		return
	}
	from, ok := timeParam(c, "from", to.Add(-b.span))
	if !ok {
		return
	}
	// Buckets start at multiples of their size since the epoch (UTC).
	from = from.Truncate(b.step)
	if !from.Before(to) {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "from must be before to", "from")
		return
	}
	if to.Sub(from)/b.step > maxBuckets {
		httpapi.Abort(c, http.StatusBadRequest, "range_too_large", fmt.Sprintf("at most %d buckets per request; use a larger bucket or a shorter range", maxBuckets), "from")
		return
	}
	ctx := c.Request.Context()
	series, err := a.o.Store.Series(ctx, slug, from, to, b.step)
	if err != nil {
		a.storeError(c, "read stats series", err)
		return
	}
	symptoms, err := a.o.Store.Breakdown(ctx, slug, read.BySymptom, from, to)
	if err != nil {
		a.storeError(c, "read stats symptoms", err)
		return
	}
	out := Stats{Service: slug, Bucket: name, From: from, To: to, Points: make([]StatsPoint, len(series)), Symptoms: make([]SymptomCount, len(symptoms))}
	for i, p := range series {
		out.Points[i] = StatsPoint{T: p.T.UTC(), Reports: p.Reports, Reporters: p.Reporters, Expected: p.Expectation()}
	}
	for i, b := range symptoms {
		out.Symptoms[i] = SymptomCount{Symptom: b.Key, Reports: b.Reports, Reporters: b.Reporters}
	}
	c.Header("Cache-Control", "private, max-age=5")
	c.JSON(http.StatusOK, out)
}

// timeParam reads an RFC 3339 query parameter, def when absent; a
// malformed one is answered 400.
func timeParam(c *gin.Context, name string, def time.Time) (time.Time, bool) {
	s := c.Query(name)
	if s == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", name+" must be an RFC 3339 time", name)
		return time.Time{}, false
	}
	return t.UTC(), true
}
