package pages

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/ui"
)

// headTime is how a page head writes a time: in UTC, said so, with no
// month name to translate; the app shows the reader's own zone.
const headTime = "2006-01-02 15:04 UTC"

// HandleIncidentPage serves the page of one incident, with a title and
// description a link preview can show (service, level, start, end,
// duration, peak) and the chart of its window as og:image. An unknown id
// gets the app's "not found" with status 404, as an unknown service does;
// when the store does not answer, the app itself (which retries) with 503
// and Retry-After, so that crawlers come back rather than keep a page
// without its head.
func (p *Pages) HandleIncidentPage(c *gin.Context) {
	t := pageText(c)
	id := c.Param("id")
	if len(id) > read.MaxIDLength {
		p.notFoundPage(c, ui.App)
		return
	}
	list, err := p.read.Incidents(c.Request.Context(), clickhouse.IncidentFilter{ID: id, Limit: 1})
	if err != nil {
		if c.Request.Context().Err() == nil {
			p.log.Error("read incident for its page", "id", id, "err", err)
		}
		c.Header("Retry-After", strconv.Itoa(int(read.RetryAfter/time.Second)))
		p.ui.ServePage(c.Writer, c.Request, http.StatusServiceUnavailable, ui.App, ui.Head{
			Title: t.incidentsTitle, Description: t.incidentsDesc, URL: p.pageURL(c, "/incidents/"+url.PathEscape(id), "lang"),
		})
		return
	}
	if len(list) == 0 {
		p.notFoundPage(c, ui.App)
		return
	}
	in := list[0]
	// A service dropped from the catalog keeps its incidents: named by
	// its slug, without a chart (the chart endpoint no longer knows it).
	name, image := in.Service, ""
	if svc, found := p.catalog.Get(in.Service); found {
		name = svc.Name
		image = p.incidentChartURL(c, in, p.now())
	}
	start := in.StartedAt.UTC().Format(headTime)
	level := t.levelPossible
	if in.Level == lapor.LevelDetected {
		level = t.levelDetected
	}
	end := t.incidentOpen
	if !in.Open() && in.EndedAt.Unix() > 0 {
		end = fill(t.incidentEnded, "{end}", in.EndedAt.UTC().Format(headTime),
			"{duration}", durationText(t, in.EndedAt.Sub(in.StartedAt)))
	}
	p.ui.ServePage(c.Writer, c.Request, http.StatusOK, ui.App, ui.Head{
		Title: fill(t.incidentTitle, "{name}", name, "{start}", start),
		Description: fill(t.incidentDesc, "{level}", level, "{name}", name, "{start}", start, "{end}", end,
			"{peak}", strconv.FormatUint(uint64(in.Peak), 10)),
		URL:   p.pageURL(c, "/incidents/"+url.PathEscape(in.ID), "lang"),
		Image: image,
	})
}

// durationText writes d as hours and minutes ("2 h 05 min") in the head's
// language, as the app does.
func durationText(t headText, d time.Duration) string {
	m := int64(d.Round(time.Minute) / time.Minute)
	if m < 0 {
		m = 0
	}
	if m < 60 {
		return fill(t.minutes, "{m}", strconv.FormatInt(m, 10))
	}
	return fill(t.hoursMinutes, "{h}", strconv.FormatInt(m/60, 10), "{m}", fmt.Sprintf("%02d", m%60))
}

// Padding of an incident's chart window on each side: half the incident's
// length, at least minIncidentPad so that a short incident shows the level
// before and after it, at most maxIncidentPad so that a long one is not
// lost in its surroundings.
const (
	minIncidentPad = 3 * time.Hour
	maxIncidentPad = 7 * 24 * time.Hour
)

// incidentWindow is the range an incident's page charts: from the padding
// before its start to the padding after its end, rounded up to a whole
// bucket, or up to now while it is open (or when that would reach past
// now). The app's
// incidentWindow (frontend/src/pages/Incident.tsx) computes the same
// range, so the page and its og:image show one window.
func incidentWindow(in lapor.Incident, now time.Time) (from, to time.Time) {
	start := in.StartedAt.UTC()
	end := now.UTC()
	open := in.Open() || in.EndedAt.Unix() <= 0
	if !open && in.EndedAt.Before(end) {
		end = in.EndedAt.UTC()
	}
	pad := min(max(end.Sub(start)/2, minIncidentPad), maxIncidentPad)
	from = start.Add(-pad).Truncate(time.Minute)
	to = now.UTC().Truncate(time.Second)
	if !open && end.Add(pad).Before(to) {
		// Ended: up to the end of a bucket, so that the last one is whole.
		to = end.Add(pad)
		step := windowSteps[windowStep(to.Sub(from))]
		if up := to.Truncate(step); up.Before(to) {
			to = up.Add(step)
		}
		if now.Before(to) {
			to = now.UTC().Truncate(time.Second)
		}
	}
	// Daily buckets hold at most read.MaxPoints days; an incident that long
	// shows its latest part.
	if oldest := to.Add(-(read.MaxPoints - 1) * 24 * time.Hour); from.Before(oldest) {
		from = oldest
	}
	return from, to
}

// windowSteps are the buckets windowStep picks, by name.
var windowSteps = map[string]time.Duration{"15m": 15 * time.Minute, "1h": time.Hour, "24h": 24 * time.Hour}

// windowStep is the bucket the app picks for a range (stepFor in
// frontend/src/range.ts): 15 minutes up to three days, hours up to a
// month, days beyond, so the window stays within read.MaxPoints.
func windowStep(span time.Duration) string {
	switch {
	case span <= 3*24*time.Hour:
		return "15m"
	case span <= 31*24*time.Hour:
		return "1h"
	default:
		return "24h"
	}
}

// incidentChartURL is the absolute URL of the PNG of an incident's window,
// in the page's language ("" without a public URL). An open incident's image leaves `to` out, so
// it follows now, as the page's chart does.
func (p *Pages) incidentChartURL(c *gin.Context, in lapor.Incident, now time.Time) string {
	from, to := incidentWindow(in, now)
	q := url.Values{}
	setChartLang(c, q)
	q.Set("from", from.Format(time.RFC3339))
	if !in.Open() {
		q.Set("to", to.Format(time.RFC3339))
	}
	q.Set("step", windowStep(to.Sub(from)))
	return p.absURL("/services/" + url.PathEscape(in.Service) + "/chart.png?" + q.Encode())
}
