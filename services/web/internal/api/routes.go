package api

import (
	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
)

// routes is the one place the web's endpoints are registered.
func (s *Server) routes(r *gin.Engine) {
	httpapi.Health(r, s.store.Ping)
	r.GET("/", s.handleHome)

	v1 := r.Group("/api/v1")
	v1.GET("/services", s.handleServices)
	v1.GET("/services/:slug", s.handleService)
	v1.GET("/services/:slug/series", s.handleSeries)
	v1.GET("/incidents", s.handleIncidents)
	v1.GET("/incidents/:id", s.handleIncident)
	// Reports go to ingest; proxying them lets pages post same-origin.
	v1.POST("/reports", s.handleReport)
}
