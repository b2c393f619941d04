package publicapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// RecentMinutes is the span "Is it just me?" counts: the minute now falls
// in and the 14 before it. It matches ingest's dedupe window, in which a
// reporter counts once per service, so its distinct reporters are people
// (hosts), not clicks.
const RecentMinutes = 15

type recentJSON struct {
	Service   string            `json:"service"`
	From      time.Time         `json:"from"`
	To        time.Time         `json:"to"`
	Reports   uint64            `json:"reports"`
	Reporters uint64            `json:"reporters"`
	Country   *countryCountJSON `json:"country,omitempty"`
}

// HandleRecent answers GET /api/v1/services/{slug}/recent: how many reported a service in the last
// RecentMinutes, and how many of them from one country: what a reader is
// shown after reporting. The country is the one ingest located the
// reader in and told them; the web never sees their address.
func (a *API) HandleRecent(c *gin.Context) {
	svc, found := a.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	country := strings.TrimSpace(c.Query("country"))
	if country != "" && !countryRE.MatchString(country) {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "country must be a two-letter ISO 3166 code", "country")
		return
	}
	country = strings.ToUpper(country)
	b, err := a.recent.Body(c.Request.Context(), svc.Slug+"/"+country, "", func(ctx context.Context) (recentJSON, error) {
		now := a.now().UTC()
		from := now.Truncate(time.Minute).Add(-(RecentMinutes - 1) * time.Minute)
		all, in, err := a.read.Recent(ctx, svc.Slug, country, from)
		if err != nil {
			return recentJSON{}, err
		}
		out := recentJSON{Service: svc.Slug, From: from, To: now.Truncate(time.Second), Reports: all.Reports, Reporters: all.Reporters}
		if country != "" {
			out.Country = &countryCountJSON{Country: country, Reports: in.Reports, Reporters: in.Reporters}
		}
		return out, nil
	}, asIs)
	a.answer(c, "read recent reports", b, err)
}
