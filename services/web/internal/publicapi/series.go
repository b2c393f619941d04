package publicapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

type pointJSON struct {
	T         time.Time `json:"t"`
	Reports   uint64    `json:"reports"`
	Reporters uint64    `json:"reporters"`
	// Final says the bucket's numbers will not change (see read.Reader.FinalBefore).
	Final bool `json:"final"`
	// What the detector judged the bucket against; null where it judged
	// nothing (see read.Point).
	Expected          *float64 `json:"expected"`
	ThresholdPossible *float64 `json:"threshold_possible"`
	ThresholdDetected *float64 `json:"threshold_detected"`
}

func toPointJSON(p read.Point) pointJSON {
	return pointJSON{T: p.T, Reports: p.Reports, Reporters: p.Reporters, Expected: p.Expectation(),
		ThresholdPossible: read.Known(p.Possible), ThresholdDetected: read.Known(p.Detected)}
}

type seriesJSON struct {
	Service string    `json:"service"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Step    int64     `json:"step"`
	Unit    string    `json:"unit"`
	// FinalUntil is the time up to which the numbers are final: buckets
	// that end by it never change. Null when that cannot be told.
	FinalUntil *time.Time  `json:"final_until"`
	Points     []pointJSON `json:"points"`
}

// finalPoints turns a range's points into JSON, marking those that end
// by final (the zero time: none).
func finalPoints(r read.Range, pts []read.Point, final time.Time) ([]pointJSON, *time.Time) {
	last := r.ReadTo()
	out := make([]pointJSON, 0, len(pts))
	for _, p := range pts {
		j := toPointJSON(p)
		end := p.T.Add(r.Step)
		if last.Before(end) {
			end = last
		}
		j.Final = !final.IsZero() && !end.After(final)
		out = append(out, j)
	}
	if final.IsZero() {
		return out, nil
	}
	f := final.UTC().Truncate(time.Second)
	return out, &f
}

// unitName says a step in words: "minute", "15 minutes", "hour", "day".
func unitName(step time.Duration) string {
	n, unit := int64(step/time.Minute), "minute"
	switch {
	case step%(24*time.Hour) == 0:
		n, unit = int64(step/(24*time.Hour)), "day"
	case step%time.Hour == 0:
		n, unit = int64(step/time.Hour), "hour"
	}
	if n == 1 {
		return unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// HandleSeries answers GET /api/v1/services/{slug}/series: a service's
// reports per bucket against what the detector expected, and which
// buckets are final.
func (a *API) HandleSeries(c *gin.Context) {
	svc, r, found := a.seriesRequest(c)
	if !found {
		return
	}
	ctx := c.Request.Context()
	final := a.read.FinalBefore(ctx)
	// The points are shared by every range that reads the same buckets;
	// what else the answer holds is the range's exact end and which
	// buckets are final, so each of those is encoded once per read.
	view := fmt.Sprintf("%d.%d/%d.%d", r.To.Unix(), r.To.Nanosecond(), final.Unix(), final.Nanosecond())
	b, err := a.read.PointsBody(ctx, svc.Slug, r, view, func(pts []read.Point) (any, error) {
		out := seriesJSON{
			Service: svc.Slug, From: r.From, To: r.To, Step: int64(r.Step / time.Second),
			Unit: "reports per " + unitName(r.Step),
		}
		out.Points, out.FinalUntil = finalPoints(r, pts, final)
		return out, nil
	})
	a.answer(c, "read series", b, err)
}

// seriesOf checks a series request for the service in the path and reads
// it: the one way the JSON, CSV and PNG forms get their series. It answers
// the error itself and returns ok false when it fails.
func (a *API) seriesOf(c *gin.Context) (lapor.Service, read.Range, []read.Point, bool) {
	svc, r, found := a.seriesRequest(c)
	if !found {
		return svc, r, nil, false
	}
	pts, err := a.read.Points(c.Request.Context(), svc.Slug, r)
	if err != nil {
		a.storeError(c, "read series", err)
		return svc, r, nil, false
	}
	return svc, r, pts, true
}

// seriesRequest reads the service and range a series request asks for,
// answering 404 or 400 itself when they are wrong.
func (a *API) seriesRequest(c *gin.Context) (lapor.Service, read.Range, bool) {
	svc, r, perr := read.ParseSeriesRequest(a.catalog, c.Param("slug"), c.Query("from"), c.Query("to"), c.Query("step"), a.now())
	if perr != nil {
		httpapi.Abort(c, perr.HTTPStatus(), perr.Code, perr.Message, perr.Field)
		return svc, r, false
	}
	return svc, r, true
}

// HandleSeriesCSV answers GET /api/v1/services/{slug}/series.csv: the
// series as a CSV file, with the same columns as the JSON.
func (a *API) HandleSeriesCSV(c *gin.Context) {
	svc, r, pts, found := a.seriesOf(c)
	if !found {
		return
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"time", "reports", "reporters", "expected", "threshold_possible", "threshold_detected", "final"})
	// Empty where the detector judged nothing, as in the JSON's nulls.
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	js, _ := finalPoints(r, pts, a.read.FinalBefore(c.Request.Context()))
	for _, j := range js {
		w.Write([]string{j.T.UTC().Format(time.RFC3339), strconv.FormatUint(j.Reports, 10), strconv.FormatUint(j.Reporters, 10),
			num(j.Expected), num(j.ThresholdPossible), num(j.ThresholdDetected), strconv.FormatBool(j.Final)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		a.log.Error("write series CSV", "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return
	}
	name := fmt.Sprintf("lapor-%s-%s-%s.csv", svc.Slug, r.From.UTC().Format(csvTimeLayout), r.To.UTC().Format(csvTimeLayout))
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", cacheControl)
	c.Data(http.StatusOK, csvContentType, buf.Bytes())
}
