package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// routes is the one place the web's endpoints are registered: the web's
// whole URL space, audience by audience.
func (h handlers) routes(r *gin.Engine) {
	httpapi.Health(r, h.log, h.read.Ping, nil)

	// Pages of the frontend; the app routes itself in the browser. They
	// answer HEAD too: link unfurlers ask before fetching a page or image.
	p := h.pages
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(method, "/", p.HandleHomePage)
		r.Handle(method, "/incidents", p.HandleIncidentsPage)
		r.Handle(method, "/incidents/:id", p.HandleIncidentPage)
		r.Handle(method, "/services/:slug", p.HandleServicePage)
		r.Handle(method, "/embed/services/:slug", p.HandleEmbedPage)
		r.Handle(method, "/assets/*path", p.HandleAsset)
		r.Handle(method, "/services/:slug/chart.png", p.HandleChartPNG)
		// For crawlers and browsers; never built from the request's Host.
		r.Handle(method, "/robots.txt", p.HandleRobots)
		r.Handle(method, "/sitemap.xml", p.HandleSitemap)
		r.Handle(method, "/favicon.ico", p.HandleFavicon)
		r.Handle(method, "/favicon.svg", p.HandleFavicon)
	}
	r.NoRoute(h.notFound)

	// The public read API, for the pages and anyone without a key.
	a := h.public
	v1 := r.Group("/api/v1")
	v1.GET("/services", a.HandleServices)
	v1.GET("/services/:slug", a.HandleService)
	v1.GET("/services/:slug/series", a.HandleSeries)
	v1.GET("/services/:slug/series.csv", a.HandleSeriesCSV)
	v1.GET("/services/:slug/countries", a.HandleCountries)
	v1.GET("/services/:slug/comments", a.HandleComments)
	v1.GET("/services/:slug/recent", a.HandleRecent)
	v1.GET("/sparklines", a.HandleSparklines)
	v1.GET("/incidents", a.HandleIncidents)
	v1.GET("/incidents/:id", a.HandleIncident)
	// Reports go to ingest; proxying them lets pages post same-origin.
	v1.POST("/reports", a.HandleReport)

	// The partner API: keys, quotas and scopes are checked per route.
	if pa := h.partner; pa != nil {
		pv1 := r.Group("/v1")
		pv1.GET("/alerts", pa.Auth.Require(partner.ScopeAlerts), pa.HandleAlerts)
		pv1.GET("/alerts/stream", pa.Auth.Require(partner.ScopeAlerts), pa.HandleStream)
		pv1.GET("/incidents/:id", pa.Auth.Require(partner.ScopeAlerts), pa.HandleIncident)
		pv1.GET("/services/:slug/stats", pa.Auth.Require(partner.ScopeSeries), pa.HandleStats)
		// Feeds and docs are public, for newsrooms and would-be partners.
		pv1.GET("/feeds/:file", pa.HandleFeed)
		pv1.GET("/services/:slug/feeds/:file", pa.HandleFeed)
		pv1.GET("/docs", pa.HandleDocs)
		pv1.GET("/openapi.yaml", pa.HandleOpenAPI)
		if w := h.webhooks; w != nil {
			wh := pv1.Group("/webhooks", pa.Auth.Require(partner.ScopeWebhooks))
			wh.POST("", w.Create)
			wh.GET("", w.List)
			wh.GET("/:id", w.Get)
			wh.DELETE("/:id", w.Delete)
			wh.GET("/:id/deliveries", w.Deliveries)
		}
	}
}

// jsonPrefixes are the paths answered with JSON, whatever follows them:
// the public API, the partner API and the health endpoints.
var jsonPrefixes = []string{"/api", "/v1", "/healthz", "/readyz"}

// isAPIPath says whether p is, or lies under, one of jsonPrefixes.
func isAPIPath(p string) bool {
	for _, pre := range jsonPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// notFound answers paths no route has: JSON for the APIs, the health
// endpoints and methods other than GET and HEAD; the pages' "not found"
// (or a file of the build, or a redirect) for the rest.
func (h handlers) notFound(c *gin.Context) {
	get := c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead
	if isAPIPath(c.Request.URL.Path) || !get {
		httpapi.NotFound(c)
		return
	}
	h.pages.HandleNotFound(c)
}
