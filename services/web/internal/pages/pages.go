package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/web/internal/chart"
	"github.com/lapor/lapor/services/web/internal/ui"
)

// headText is what pages say about themselves, per language.
type headText struct {
	homeTitle, homeDesc, searchTitle        string
	serviceTitle, serviceDesc, embedTitle   string
	incidentsTitle, incidentsDesc, notFound string
	notFoundDesc                            string
	// One incident's page (incidentpage.go): {level} is levelDetected or
	// levelPossible, {end} incidentEnded or incidentOpen, {duration}
	// hoursMinutes or minutes.
	incidentTitle, incidentDesc  string
	incidentEnded, incidentOpen  string
	levelDetected, levelPossible string
	hoursMinutes, minutes        string
}

// Titles and descriptions by language; {name}, {n} and {q} are filled in,
// wherever a translation puts them.
var heads = map[string]headText{
	"en": {
		homeTitle:      "Lapor — is it down? Live outage reports",
		homeDesc:       "Is it down for everyone or just you? Live reports of problems with {n} services, from the people who use them.",
		searchTitle:    "“{q}” — Lapor",
		serviceTitle:   "{name} down? Live outage reports — Lapor",
		serviceDesc:    "Is {name} down? Reports of problems with {name} per 15 minutes over the last 24 hours, against what is usual.",
		embedTitle:     "{name} — reports per 15 minutes — Lapor",
		incidentsTitle: "Incidents — Lapor",
		incidentsDesc:  "Outages that Lapor detected from people's reports, ongoing and past.",
		notFound:       "Page not found — Lapor",
		notFoundDesc:   "There is no page here.",
		incidentTitle:  "{name} incident, {start} — Lapor",
		incidentDesc:   "{level} with {name}, from people's reports: started {start}, {end}. Peak: {peak} reports in one minute.",
		incidentEnded:  "ended {end} after {duration}",
		incidentOpen:   "still ongoing",
		levelDetected:  "Problems detected",
		levelPossible:  "Possible problems",
		hoursMinutes:   "{h} h {m} min",
		minutes:        "{m} min",
	},
	"id": {
		homeTitle:      "Lapor — apakah sedang down? Laporan gangguan langsung",
		homeDesc:       "Down untuk semua orang atau hanya Anda? Laporan gangguan langsung untuk {n} layanan, dari para penggunanya.",
		searchTitle:    "“{q}” — Lapor",
		serviceTitle:   "{name} down? Laporan gangguan langsung — Lapor",
		serviceDesc:    "Apakah {name} down? Laporan masalah dengan {name} per 15 menit selama 24 jam terakhir, dibandingkan dengan yang biasa.",
		embedTitle:     "{name} — laporan per 15 menit — Lapor",
		incidentsTitle: "Insiden — Lapor",
		incidentsDesc:  "Gangguan yang dideteksi Lapor dari laporan orang-orang, yang sedang berlangsung dan yang lalu.",
		notFound:       "Halaman tidak ditemukan — Lapor",
		notFoundDesc:   "Tidak ada halaman di sini.",
		incidentTitle:  "Insiden {name}, {start} — Lapor",
		incidentDesc:   "{level} pada {name}, dari laporan orang-orang: mulai {start}, {end}. Puncak: {peak} laporan dalam satu menit.",
		incidentEnded:  "berakhir {end} setelah {duration}",
		incidentOpen:   "masih berlangsung",
		levelDetected:  "Masalah terdeteksi",
		levelPossible:  "Kemungkinan ada masalah",
		hoursMinutes:   "{h} jam {m} menit",
		minutes:        "{m} menit",
	},
}

// fill puts values into a head text. The result is escaped when written.
func fill(s string, kv ...string) string {
	return strings.NewReplacer(kv...).Replace(s)
}

// pageText picks the language of a page from its lang parameter; the
// browser's own choice is the app's business.
func pageText(c *gin.Context) headText {
	if h, ok := heads[c.Query("lang")]; ok {
		return h
	}
	return heads["en"]
}

// absURL is the absolute URL of a path (escaped, with any query) under
// the configured public URL, or "" when there is none, and the tag that
// needs it is left out. It is never built from the request's Host: the
// client chooses that, and a page or feed carrying it may be cached and
// served to everyone.
func (p *Pages) absURL(pathQuery string) string {
	if p.publicURL == "" {
		return ""
	}
	return p.publicURL + pathQuery
}

// pageURL is the absolute URL of a page with the query parameters that
// make it what it is, and no others ("" without a public URL).
func (p *Pages) pageURL(c *gin.Context, path string, keep ...string) string {
	q := url.Values{}
	for _, k := range keep {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return p.absURL(path)
}

// HandleHomePage serves the home page: every service's status, or a search.
func (p *Pages) HandleHomePage(c *gin.Context) {
	t := pageText(c)
	h := ui.Head{
		Title:       t.homeTitle,
		Description: fill(t.homeDesc, "{n}", strconv.Itoa(len(p.catalog.All()))),
		URL:         p.pageURL(c, "/", "q", "category", "country", "lang"),
	}
	if q := strings.TrimSpace(c.Query("q")); q != "" {
		h.Title = fill(t.searchTitle, "{q}", truncate(q, maxQueryLength))
	}
	p.ui.ServePage(c.Writer, c.Request, http.StatusOK, ui.App, h)
}

// HandleIncidentsPage serves the page listing incidents.
func (p *Pages) HandleIncidentsPage(c *gin.Context) {
	t := pageText(c)
	p.ui.ServePage(c.Writer, c.Request, http.StatusOK, ui.App, ui.Head{
		Title: t.incidentsTitle, Description: t.incidentsDesc, URL: p.pageURL(c, "/incidents", "lang"),
	})
}

// HandleServicePage serves a service's page, with its chart as og:image.
func (p *Pages) HandleServicePage(c *gin.Context) {
	p.servicePage(c, ui.App, "/services/")
}

// HandleEmbedPage serves a service's embed, for iframes.
func (p *Pages) HandleEmbedPage(c *gin.Context) {
	p.servicePage(c, ui.Embed, "/embed/services/")
}

// servicePage serves the page of one service, or the app's "not found"
// with status 404 for an unknown one.
func (p *Pages) servicePage(c *gin.Context, kind ui.Kind, prefix string) {
	t := pageText(c)
	svc, found := p.catalog.Get(c.Param("slug"))
	if !found {
		p.notFoundPage(c, kind)
		return
	}
	title := t.serviceTitle
	if kind == ui.Embed {
		title = t.embedTitle
	}
	h := ui.Head{
		Title:       fill(title, "{name}", svc.Name),
		Description: fill(t.serviceDesc, "{name}", svc.Name),
		URL:         p.pageURL(c, prefix+url.PathEscape(svc.Slug), "from", "to", "lang"),
		Image:       p.chartURL(c, svc),
	}
	p.ui.ServePage(c.Writer, c.Request, http.StatusOK, kind, h)
}

// chartURL is the absolute URL of the PNG of the page's chart: the page's
// range when it names a valid one, the last 24 hours otherwise, in the
// page's language ("" without a public URL).
func (p *Pages) chartURL(c *gin.Context, svc lapor.Service) string {
	q := url.Values{}
	for _, k := range []string{"from", "to"} {
		if v := c.Query(k); v != "" {
			if _, err := time.Parse(time.RFC3339, v); err == nil {
				q.Set(k, v)
			}
		}
	}
	setChartLang(c, q)
	u := "/services/" + url.PathEscape(svc.Slug) + "/chart.png"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return p.absURL(u)
}

// setChartLang gives a page's chart image the page's language, when the
// page names one the chart speaks; English, the chart's default, is left
// out so that the image's URL stays the same for most pages.
func setChartLang(c *gin.Context, q url.Values) {
	if l, ok := chart.ParseLang(c.Query("lang")); ok && l != chart.English {
		q.Set("lang", string(l))
	}
}

func (p *Pages) notFoundPage(c *gin.Context, kind ui.Kind) {
	t := pageText(c)
	p.ui.ServePage(c.Writer, c.Request, http.StatusNotFound, kind, ui.Head{
		Title: t.notFound, Description: t.notFoundDesc, URL: p.absURL(c.Request.URL.EscapedPath()),
	})
}

// HandleAsset serves a file of the frontend build's assets.
func (p *Pages) HandleAsset(c *gin.Context) {
	if !p.ui.ServeAsset(c.Writer, c.Request, c.Param("path")) {
		// A missing asset is an old page asking for a file of an older
		// build; HTML would not help it.
		c.Header("Cache-Control", "no-cache")
		c.String(http.StatusNotFound, "not found\n")
	}
}

// HandleNotFound answers a page path no route has (GET or HEAD; the
// routes answer API paths and other methods with JSON): a file at the
// root of the build when there is one, a redirect for a path with a
// trailing slash, else the app's "not found" with status 404.
func (p *Pages) HandleNotFound(c *gin.Context) {
	if p.ui.ServeStatic(c.Writer, c.Request, c.Request.URL.Path) {
		return
	}
	if to, ok := withoutTrailingSlash(c.Request.URL); ok {
		// For people who type /incidents/; the engine does not redirect,
		// as that would reach API clients too.
		c.Redirect(http.StatusMovedPermanently, to)
		return
	}
	p.notFoundPage(c, ui.App)
}

// withoutTrailingSlash returns u's path and query with the path's trailing
// slashes cut, or false when there are none or the result would leave the
// site: a browser reads "//host" and "/\host" as another host.
func withoutTrailingSlash(u *url.URL) (string, bool) {
	p := u.EscapedPath()
	if len(p) < 2 || !strings.HasSuffix(p, "/") {
		return "", false
	}
	to := strings.TrimRight(p, "/")
	if to == "" || strings.HasPrefix(to, "//") || strings.HasPrefix(to, "/\\") {
		return "", false
	}
	if u.RawQuery != "" {
		to += "?" + u.RawQuery
	}
	return to, true
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
