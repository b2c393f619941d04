package publicapi

import (
	"fmt"
	"net/http"
	"strings"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// HandleIncidents answers GET /api/v1/incidents, newest first, filtered by
// service, status, level and category.
func (a *API) HandleIncidents(c *gin.Context) {
	f := clickhouse.IncidentFilter{Service: c.Query("service"), Status: lapor.Status(c.Query("status")), Level: lapor.Level(c.Query("level"))}
	category := strings.TrimSpace(c.Query("category"))
	if len(f.Service) > read.MaxIDLength {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "service is too long", "service")
		return
	}
	if f.Status != "" && !f.Status.Valid() {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "status must be open or resolved", "status")
		return
	}
	if f.Level != "" && !f.Level.Valid() {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "level must be possible or detected", "level")
		return
	}
	if len(category) > maxQueryLength {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("category is longer than %d bytes", maxQueryLength), "category")
		return
	}
	limit, valid := httpapi.Limit(c, DefaultLimit, MaxLimit)
	if !valid {
		return
	}
	f.Limit = limit
	if category != "" {
		for _, svc := range a.catalog.All() {
			if strings.EqualFold(svc.Category, category) {
				f.Services = append(f.Services, svc.Slug)
			}
		}
		if len(f.Services) == 0 {
			a.ok(c, gin.H{"incidents": []lapor.Incident{}}) // no service, so no incident
			return
		}
	}
	list, err := a.read.Incidents(c.Request.Context(), f)
	if err != nil {
		a.storeError(c, "list incidents", err)
		return
	}
	if list == nil {
		list = []lapor.Incident{}
	}
	a.ok(c, gin.H{"incidents": list})
}

// HandleIncident answers GET /api/v1/incidents/{id}.
func (a *API) HandleIncident(c *gin.Context) {
	id := c.Param("id")
	if len(id) > read.MaxIDLength {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	list, err := a.read.Incidents(c.Request.Context(), clickhouse.IncidentFilter{ID: id, Limit: 1})
	if err != nil {
		a.storeError(c, "read incident", err)
		return
	}
	if len(list) == 0 {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	a.ok(c, list[0])
}
