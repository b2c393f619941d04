package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/partner"
)

// routes is the one place the web's endpoints are registered.
func (s *Server) routes(r *gin.Engine) {
	httpapi.Health(r, s.log, s.store.Ping, nil)

	// Pages of the frontend; the app routes itself in the browser. They
	// answer HEAD too: link unfurlers ask before fetching a page or image.
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(method, "/", s.handleHomePage)
		r.Handle(method, "/incidents", s.handleIncidentsPage)
		r.Handle(method, "/incidents/:id", s.handleIncidentPage)
		r.Handle(method, "/services/:slug", s.handleServicePage)
		r.Handle(method, "/embed/services/:slug", s.handleEmbedPage)
		r.Handle(method, "/assets/*path", s.handleAsset)
		r.Handle(method, "/services/:slug/chart.png", s.handleChartPNG)
		// For crawlers and browsers; never built from the request's Host.
		r.Handle(method, "/robots.txt", s.handleRobots)
		r.Handle(method, "/sitemap.xml", s.handleSitemap)
		r.Handle(method, "/favicon.ico", s.handleFavicon)
		r.Handle(method, "/favicon.svg", s.handleFavicon)
	}
	r.NoRoute(s.handleNotFound)

	v1 := r.Group("/api/v1")
	v1.GET("/services", s.handleServices)
	v1.GET("/services/:slug", s.handleService)
	v1.GET("/services/:slug/series", s.handleSeries)
	v1.GET("/services/:slug/series.csv", s.handleSeriesCSV)
	v1.GET("/services/:slug/countries", s.handleCountries)
	v1.GET("/services/:slug/comments", s.handleComments)
	v1.GET("/services/:slug/recent", s.handleRecent)
	v1.GET("/sparklines", s.handleSparklines)
	v1.GET("/incidents", s.handleIncidents)
	v1.GET("/incidents/:id", s.handleIncident)
	// Reports go to ingest; proxying them lets pages post same-origin.
	v1.POST("/reports", s.handleReport)

	// The partner API: keys, quotas and scopes are checked per route.
	if p := s.partner; p != nil {
		pv1 := r.Group("/v1")
		pv1.GET("/alerts", p.Auth.Require(partner.ScopeAlerts), p.HandleAlerts)
		pv1.GET("/alerts/stream", p.Auth.Require(partner.ScopeAlerts), p.HandleStream)
		pv1.GET("/incidents/:id", p.Auth.Require(partner.ScopeAlerts), p.HandleIncident)
		pv1.GET("/services/:slug/stats", p.Auth.Require(partner.ScopeSeries), p.HandleStats)
		// Feeds and docs are public, for newsrooms and would-be partners.
		pv1.GET("/feeds/:file", p.HandleFeed)
		pv1.GET("/services/:slug/feeds/:file", p.HandleFeed)
		pv1.GET("/docs", p.HandleDocs)
		pv1.GET("/openapi.yaml", p.HandleOpenAPI)
		if w := s.webhooks; w != nil {
			wh := pv1.Group("/webhooks", p.Auth.Require(partner.ScopeWebhooks))
			wh.POST("", w.Create)
			wh.GET("", w.List)
			wh.GET("/:id", w.Get)
			wh.DELETE("/:id", w.Delete)
			wh.GET("/:id/deliveries", w.Deliveries)
		}
	}
}
