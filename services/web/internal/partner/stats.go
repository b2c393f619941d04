package partner

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
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
	Baseline  float64   `json:"baseline"`
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
	series, err := a.o.Series(ctx, slug, from, to, b.step)
	if err != nil {
		a.storeError(c, "read stats series", err)
		return
	}
	symptoms, err := a.symptoms(ctx, slug, from, to)
	if err != nil {
		a.storeError(c, "read stats symptoms", err)
		return
	}
	out := Stats{Service: slug, Bucket: name, From: from, To: to, Points: make([]StatsPoint, len(series)), Symptoms: symptoms}
	for i, p := range series {
		out.Points[i] = StatsPoint{T: p.T.UTC(), Reports: p.Reports, Reporters: p.Reporters, Baseline: p.Baseline}
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

// symptoms counts a service's reports by symptom from from to to, largest
// first. The rollup is per minute, so the range is taken to whole minutes.
func (a *API) symptoms(ctx context.Context, service string, from, to time.Time) ([]SymptomCount, error) {
	const q = `SELECT symptom, uniqExactMerge(reports) AS r, uniqExactMerge(reporters)
FROM reports_minute WHERE service = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)
GROUP BY symptom ORDER BY r DESC, symptom`
	rows, err := a.o.Conn.Query(ctx, q, service, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("query reports of %s by symptom: %w", service, err)
	}
	defer rows.Close()
	out := []SymptomCount{}
	for rows.Next() {
		var s SymptomCount
		if err := rows.Scan(&s.Symptom, &s.Reports, &s.Reporters); err != nil {
			return nil, fmt.Errorf("scan reports of %s by symptom: %w", service, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reports of %s by symptom: %w", service, err)
	}
	return out, nil
}
