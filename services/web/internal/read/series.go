package read

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
)

// Limits of a series request: the series API, its CSV and the chart PNG
// take the same range.
const (
	MinStep      = time.Minute
	MaxStep      = 24 * time.Hour
	DefaultStep  = 15 * time.Minute
	DefaultRange = 24 * time.Hour
	MaxPoints    = 2000
)

// Range is a checked series request.
type Range struct {
	From, To time.Time // From is aligned down to Step
	Step     time.Duration
	Points   int64 // the buckets from From to To
}

// ParamError is a request parameter the client got wrong, as the APIs
// answer it: Status (400 when zero) with Code, Message and Field.
type ParamError struct {
	Status               int
	Code, Field, Message string
}

// HTTPStatus is the status to answer with.
func (e *ParamError) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// ParseSeriesRequest finds the service a series request names (slug) and
// checks its range (ParseRange): the series API, its CSV and the chart
// PNG take the same request.
func ParseSeriesRequest(cat *catalog.Catalog, slug, fromS, toS, stepS string, now time.Time) (lapor.Service, Range, *ParamError) {
	svc, found := cat.Get(slug)
	if !found {
		return svc, Range{}, &ParamError{Status: http.StatusNotFound, Code: "unknown_service", Message: "no service with this slug", Field: "slug"}
	}
	r, perr := ParseRange(fromS, toS, stepS, now)
	return svc, r, perr
}

// Invalid is the ParamError of a malformed parameter.
func Invalid(field, format string, args ...any) *ParamError {
	return &ParamError{Code: "invalid_parameter", Field: field, Message: fmt.Sprintf(format, args...)}
}

// ParseRange checks the from, to and step parameters (empty takes the
// default: the DefaultRange up to now, DefaultStep) and aligns from down
// to step.
func ParseRange(fromS, toS, stepS string, now time.Time) (Range, *ParamError) {
	var r Range
	r.To = now.UTC().Truncate(time.Second)
	if toS != "" {
		t, err := time.Parse(time.RFC3339, toS)
		if err != nil {
			return r, Invalid("to", "to must be an RFC 3339 time such as 2024-05-01T00:00:00Z")
		}
		r.To = t.UTC()
	}
	r.From = r.To.Add(-DefaultRange)
	if fromS != "" {
		t, err := time.Parse(time.RFC3339, fromS)
		if err != nil {
			return r, Invalid("from", "from must be an RFC 3339 time such as 2024-05-01T00:00:00Z")
		}
		r.From = t.UTC()
	}
	r.Step = DefaultStep
	if stepS != "" {
		d, err := ParseStep(stepS)
		if err != nil || d < MinStep || d > MaxStep || d%time.Minute != 0 {
			return r, Invalid("step", "step must be a duration such as 15m, or seconds such as 900: whole minutes from 1m to 24h")
		}
		r.Step = d
	}
	// ClickHouse DateTime holds 1970 to 2106.
	if r.From.Unix() < 0 || r.From.Unix() > math.MaxUint32 {
		return r, Invalid("from", "from must be between 1970 and 2106")
	}
	if r.To.Unix() < 0 || r.To.Unix() > math.MaxUint32 {
		return r, Invalid("to", "to must be between 1970 and 2106")
	}
	if !r.From.Before(r.To) {
		return r, Invalid("from", "from must be before to")
	}
	step := int64(r.Step / time.Second)
	r.From = time.Unix(r.From.Unix()-r.From.Unix()%step, 0).UTC()
	r.Points = (r.To.Unix() - r.From.Unix() + step - 1) / step
	if r.Points > MaxPoints {
		return r, &ParamError{Code: "range_too_large", Message: fmt.Sprintf(
			"from..to at this step makes %d points; at most %d are allowed, so widen step or narrow the range", r.Points, MaxPoints)}
	}
	return r, nil
}

// ParseStep reads a Go duration ("15m") or a number of seconds ("900").
func ParseStep(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		// Checked before multiplying, which could wrap around.
		if n < 0 || n > int64(MaxStep/time.Second) {
			return 0, errors.New("step out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// ReadTo is the end a range's series is read to: the rollup counts whole
// minutes, so the range's end is taken up to a whole minute.
func (r Range) ReadTo() time.Time {
	to := r.To.Truncate(time.Minute)
	if to.Before(r.To) {
		to = to.Add(time.Minute)
	}
	return to
}

// Key names a service's range for caches: ranges that read the same
// buckets (ReadTo) share it.
func (r Range) Key(service string) string {
	return fmt.Sprintf("%s/%d/%d/%d", service, r.From.Unix(), r.ReadTo().Unix(), int64(r.Step/time.Second))
}

// Points is the series of a range, shared for a few seconds by every
// request for the same buckets: each open service page polls it, and an
// article's chart is fetched by every reader at once. The rollup counts
// whole minutes, so any end within a minute reads the same rows and
// buckets as that minute's end; the query uses it, and the key holds it.
func (r *Reader) Points(ctx context.Context, service string, rg Range) ([]Point, error) {
	return r.series.Get(ctx, rg.Key(service), r.loadPoints(service, rg))
}

// PointsBody is Points, encoded: the JSON of render's answer from the
// range's points, encoded once per view (what else the answer holds: the
// range's exact end, which buckets are final) each time the points are
// read again, and shared by every request until then.
func (r *Reader) PointsBody(ctx context.Context, service string, rg Range, view string, render func([]Point) (any, error)) (*Body, error) {
	return r.series.Body(ctx, rg.Key(service), view, r.loadPoints(service, rg), render)
}

// loadPoints reads a range's points: the buckets up to its ReadTo.
func (r *Reader) loadPoints(service string, rg Range) func(context.Context) ([]Point, error) {
	return func(ctx context.Context) ([]Point, error) {
		return r.Series(ctx, service, rg.From, rg.ReadTo(), rg.Step)
	}
}
