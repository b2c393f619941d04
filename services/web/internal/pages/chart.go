package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/chart"
	"github.com/lapor/lapor/services/web/internal/read"
)

// Chart images are drawn for a minute of readers at once.
const (
	chartCacheControl = "public, max-age=60"
	chartCacheTTL     = time.Minute
	pngContentType    = "image/png"
)

// seriesRequest reads the service and range a series request asks for,
// answering 404 or 400 itself when they are wrong.
func (p *Pages) seriesRequest(c *gin.Context) (lapor.Service, read.Range, bool) {
	svc, r, perr := read.ParseSeriesRequest(p.catalog, c.Param("slug"), c.Query("from"), c.Query("to"), c.Query("step"), p.now())
	if perr != nil {
		httpapi.Abort(c, perr.HTTPStatus(), perr.Code, perr.Message, perr.Field)
		return svc, r, false
	}
	return svc, r, true
}

// errRender marks a chart that could not be drawn, as opposed to a series
// that could not be read.
var errRender = errors.New("render chart")

// HandleChartPNG answers /services/{slug}/chart.png: a service's series
// drawn 1200×630, for og:image and articles, over the range, language and
// time zone the query names.
func (p *Pages) HandleChartPNG(c *gin.Context) {
	svc, r, found := p.seriesRequest(c)
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
	png, err := p.charts.Get(c.Request.Context(), key, func(ctx context.Context) ([]byte, error) {
		pts, err := p.read.Points(ctx, svc.Slug, r)
		if err != nil {
			return nil, err
		}
		marks, err := p.chartMarks(ctx, svc.Slug, r)
		if err != nil {
			return nil, err
		}
		return renderChart(svc, r, pts, chartView{lang: lang, zone: zone, now: p.now(), marks: marks})
	})
	if errors.Is(err, errRender) {
		p.log.Error("render chart", "service", svc.Slug, "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return
	}
	if err != nil {
		httpapi.Unavailable(c, p.log, read.RetryAfter, "read chart", err)
		return
	}
	c.Header("Cache-Control", chartCacheControl)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, pngContentType, png)
}

// chartKey names a chart for the PNG cache: its range as read.Range.Key names it,
// with the language and zone it is drawn in, since each draws other
// words and times.
func chartKey(service string, r read.Range, lang chart.Lang, zone *time.Location) string {
	return r.Key(service) + "/" + string(lang) + "/" + zone.String()
}

// chartMarks are the service's incidents that overlap the range, to shade
// on its chart (the newest read.MaxIncidents of them, more than a chart can show).
func (p *Pages) chartMarks(ctx context.Context, service string, r read.Range) ([]chart.Mark, error) {
	list, err := p.read.Incidents(ctx, clickhouse.IncidentFilter{Service: service, From: r.From, To: r.To, Limit: read.MaxIncidents})
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
		if !m.Start.Before(r.To) || (!m.End.IsZero() && !m.End.After(r.From)) {
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
func renderChart(svc lapor.Service, r read.Range, pts []read.Point, v chartView) ([]byte, error) {
	ch := chart.Chart{
		Title: v.lang.Title(svc.Name, r.Step),
		From:  r.From, To: r.To, Step: r.Step, Points: make([]chart.Point, 0, len(pts)),
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
func expectedOrNaN(pt read.Point) float64 {
	if !pt.Judged {
		return math.NaN()
	}
	return pt.Expected
}
