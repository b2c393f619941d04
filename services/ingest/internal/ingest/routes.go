package ingest

import (
	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/shared/httpapi"
)

// addRoutes is the one list of the service's endpoints.
func addRoutes(r *gin.Engine, s *server) {
	r.Use(logRequests(s.log))
	httpapi.Health(r, s.log, s.ready)
	r.POST("/api/v1/reports", s.limits.Middleware(), s.handleReport())
}
