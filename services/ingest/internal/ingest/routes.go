package ingest

import (
	"github.com/gin-gonic/gin"

	"github.com/lapor/lapor/services/ingest/internal/clientaddr"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// addRoutes is the one list of the service's endpoints.
func addRoutes(r *gin.Engine, s *server) {
	r.Use(logRequests(s.log))
	// First, so that everything after agrees on who the client is.
	r.Use(clientaddr.Middleware(s.forward))
	httpapi.Health(r, s.log, s.ready, nil)
	r.POST("/api/v1/reports", s.handleReport())
}
