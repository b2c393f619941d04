package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/chart"
)

// Limits of the sparklines and countries endpoints.
const (
	MaxHours           = 168
	DefaultSparkHours  = 24
	DefaultSparkStep   = time.Hour
	MinSparkStep       = 15 * time.Minute
	DefaultCountryHrs  = 6
	shortCacheTTL      = 5 * time.Second
	maxCachedQueries   = 256
	chartCacheControl  = "public, max-age=60"
	chartCacheTTL      = time.Minute
	csvTimeLayout      = "20060102T1504Z"
	csvContentType     = "text/csv; charset=utf-8"
	pngContentType     = "image/png"
	sparklineUnitLabel = "reports per "
)

type sparklinesJSON struct {
	From     time.Time           `json:"from"`
	Step     int64               `json:"step"`
	Unit     string              `json:"unit"`
	Services map[string][]uint64 `json:"services"`
}

// parseHours reads an hours parameter from 1 to MaxHours.
func parseHours(s string, def int) (int, *paramError) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxHours {
		return 0, invalid("hours", "hours must be a whole number from 1 to %d", MaxHours)
	}
	return n, nil
}

func (s *Server) handleSparklines(c *gin.Context) {
	hours, perr := parseHours(c.Query("hours"), DefaultSparkHours)
	if perr != nil {
		httpapi.Abort(c, http.StatusBadRequest, perr.code, perr.message, perr.field)
		return
	}
	step := DefaultSparkStep
	if v := c.Query("step"); v != "" {
		d, err := parseStep(v)
		span := time.Duration(hours) * time.Hour
		if err != nil || d < MinSparkStep || d > MaxStep || d%time.Minute != 0 || d > span || span%d != 0 {
			httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter",
				"step must be whole minutes from 15m to 24h that divide the hours evenly", "step")
			return
		}
		step = d
	}
	key := fmt.Sprintf("%d/%d", hours, step/time.Second)
	out, err := s.sparklines.Get(c.Request.Context(), key, func(ctx context.Context) (sparklinesJSON, error) {
		return s.loadSparklines(ctx, hours, step)
	})
	if err != nil {
		s.storeError(c, "read sparklines", err)
		return
	}
	ok(c, out)
}

// loadSparklines reads every catalog service's last hours in buckets of
// step; the last bucket is the one now falls in.
func (s *Server) loadSparklines(ctx context.Context, hours int, step time.Duration) (sparklinesJSON, error) {
	n := int(time.Duration(hours) * time.Hour / step)
	stepSec := int64(step / time.Second)
	now := s.now().Unix()
	end := now - now%stepSec + stepSec
	from := time.Unix(end-int64(n)*stepSec, 0).UTC()
	counts, err := s.store.Sparklines(ctx, from, step, n)
	if err != nil {
		return sparklinesJSON{}, err
	}
	out := sparklinesJSON{From: from, Step: stepSec, Unit: sparklineUnitLabel + unitName(step), Services: map[string][]uint64{}}
	for _, svc := range s.catalog.All() {
		if cs, ok := counts[svc.Slug]; ok {
			out.Services[svc.Slug] = cs
		} else {
			out.Services[svc.Slug] = make([]uint64, n)
		}
	}
	return out, nil
}

// seriesOf checks a series request for the service in the path and reads
// it: the one way the JSON, CSV and PNG forms get their series. It answers
// the error itself and returns ok false when it fails.
func (s *Server) seriesOf(c *gin.Context) (catalog.Service, seriesRange, []Point, bool) {
	svc, r, found := s.seriesRequest(c)
	if !found {
		return svc, r, nil, false
	}
	pts, err := s.points(c.Request.Context(), svc.Slug, r)
	if err != nil {
		s.storeError(c, "read series", err)
		return svc, r, nil, false
	}
	return svc, r, pts, true
}

// points is the series of a range, shared for a few seconds by every
// request for the same buckets: each open service page polls it. The
// rollup counts whole minutes, so any end within a minute reads the same
// rows and buckets as that minute's end; the query uses it, and the key
// holds it.
func (s *Server) points(ctx context.Context, service string, r seriesRange) ([]Point, error) {
	key, to := rangeKey(service, r)
	return s.series.Get(ctx, key, func(ctx context.Context) ([]Point, error) {
		return s.store.Series(ctx, service, r.from, to, r.step)
	})
}

// rangeKey names a service's range for the caches, and gives the end its
// series is read to (readTo).
func rangeKey(service string, r seriesRange) (string, time.Time) {
	to := readTo(r)
	return fmt.Sprintf("%s/%d/%d/%d", service, r.from.Unix(), to.Unix(), int64(r.step/time.Second)), to
}

// readTo is the end a range's series is read to: the rollup counts whole
// minutes, so the range's end is taken up to a whole minute.
func readTo(r seriesRange) time.Time {
	to := r.to.Truncate(time.Minute)
	if to.Before(r.to) {
		to = to.Add(time.Minute)
	}
	return to
}

// seriesRequest reads the service and range a series request asks for,
// answering 404 or 400 itself when they are wrong.
func (s *Server) seriesRequest(c *gin.Context) (catalog.Service, seriesRange, bool) {
	svc, found := s.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return svc, seriesRange{}, false
	}
	r, perr := parseSeriesRange(c.Query("from"), c.Query("to"), c.Query("step"), s.now())
	if perr != nil {
		httpapi.Abort(c, http.StatusBadRequest, perr.code, perr.message, perr.field)
		return svc, r, false
	}
	return svc, r, true
}

func (s *Server) handleSeriesCSV(c *gin.Context) {
	svc, r, pts, found := s.seriesOf(c)
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
	js, _ := finalPoints(r, pts, s.finalBefore(c.Request.Context()))
	for _, j := range js {
		w.Write([]string{j.T.UTC().Format(time.RFC3339), strconv.FormatUint(j.Reports, 10), strconv.FormatUint(j.Reporters, 10),
			num(j.Expected), num(j.ThresholdPossible), num(j.ThresholdDetected), strconv.FormatBool(j.Final)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.log.Error("write series CSV", "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return
	}
	name := fmt.Sprintf("lapor-%s-%s-%s.csv", svc.Slug, r.from.UTC().Format(csvTimeLayout), r.to.UTC().Format(csvTimeLayout))
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", cacheControl)
	c.Data(http.StatusOK, csvContentType, buf.Bytes())
}

// errRender marks a chart that could not be drawn, as opposed to a series
// that could not be read.
var errRender = errors.New("render chart")

func (s *Server) handleChartPNG(c *gin.Context) {
	svc, r, found := s.seriesRequest(c)
	if !found {
		return
	}
	lang, ok := chart.English, true
	if v := c.Query("lang"); v != "" {
		lang, ok = chart.ParseLang(v)
	}
	if !ok {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "lang must be en or id", "lang")
		return
	}
	tz := c.Query("tz")
	zone, err := chart.LoadZone(tz)
	if err != nil {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "tz must be an IANA time zone such as Asia/Jakarta", "tz")
		return
	}
	// An article's image is fetched by every reader and every link
	// preview at once: one render per service, range, minute, language
	// and zone serves them all (the answer may be reused for a minute
	// anyway).
	key := chartKey(svc.Slug, r, lang, zone)
	png, err := s.charts.Get(c.Request.Context(), key, func(ctx context.Context) ([]byte, error) {
		pts, err := s.points(ctx, svc.Slug, r)
		if err != nil {
			return nil, err
		}
		marks, err := s.chartMarks(ctx, svc.Slug, r)
		if err != nil {
			return nil, err
		}
		return renderChart(svc, r, pts, chartView{lang: lang, zone: zone, now: s.now(), marks: marks})
	})
	if errors.Is(err, errRender) {
		s.log.Error("render chart", "service", svc.Slug, "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return
	}
	if err != nil {
		s.storeError(c, "read chart", err)
		return
	}
	c.Header("Cache-Control", chartCacheControl)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, pngContentType, png)
}

// chartKey names a chart for the PNG cache: its range as rangeKey names it,
// with the language and zone it is drawn in, since each draws other
// words and times.
func chartKey(service string, r seriesRange, lang chart.Lang, zone *time.Location) string {
	key, _ := rangeKey(service, r)
	return key + "/" + string(lang) + "/" + zone.String()
}

// chartMarks are the service's incidents that overlap the range, to shade
// on its chart (the newest MaxLimit of them, more than a chart can show).
func (s *Server) chartMarks(ctx context.Context, service string, r seriesRange) ([]chart.Mark, error) {
	list, err := s.store.Incidents(ctx, clickhouse.IncidentFilter{Service: service, From: r.from, To: r.to, Limit: MaxLimit})
	if err != nil {
		return nil, fmt.Errorf("list incidents of %s for its chart: %w", service, err)
	}
	var marks []chart.Mark
	for _, in := range list {
		m := chart.Mark{Level: in.Level, Start: in.StartedAt}
		if !in.Open() {
			m.End = in.EndedAt
			if in.EndedAt.Unix() <= 0 {
				// Resolved without its end stored (ClickHouse's zero
				// time is 1970): its last change is when it ended.
				m.End = in.UpdatedAt
			}
		}
		if !m.Start.Before(r.to) || (!m.End.IsZero() && !m.End.After(r.from)) {
			continue
		}
		marks = append(marks, m)
	}
	return marks, nil
}

// chartView is how a chart is drawn for its reader: the language, the
// time zone, the incidents to mark and the time now (which tells a
// filling last bucket from one the range cut).
type chartView struct {
	lang  chart.Lang
	zone  *time.Location
	now   time.Time
	marks []chart.Mark
}

// renderChart draws a service's series as the 1200×630 PNG.
func renderChart(svc catalog.Service, r seriesRange, pts []Point, v chartView) ([]byte, error) {
	ch := chart.Chart{
		Title: v.lang.Title(svc.Name, r.step),
		From:  r.from, To: r.to, Step: r.step, Points: make([]chart.Point, 0, len(pts)),
		Lang: v.lang, Zone: v.zone, Now: v.now, Marks: v.marks,
	}
	for _, p := range pts {
		ch.Points = append(ch.Points, chart.Point{
			T: p.T, Reports: float64(p.Reports), Expected: expectedOrNaN(p), Possible: p.Possible,
		})
	}
	var buf bytes.Buffer
	if err := chart.Render(&buf, ch); err != nil {
		return nil, fmt.Errorf("%w of %s: %v", errRender, svc.Slug, err)
	}
	return buf.Bytes(), nil
}

// expectedOrNaN is a point's expected count, NaN where nothing was judged.
func expectedOrNaN(p Point) float64 {
	if !p.Judged {
		return math.NaN()
	}
	return p.Expected
}
