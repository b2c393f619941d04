package publicapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/httpapi"
)

type countryRatioJSON struct {
	Country   string  `json:"country"`
	Reports   uint64  `json:"reports"`
	Reporters uint64  `json:"reporters"`
	Expected  float64 `json:"expected"`
	// Ratio is null when the country has no usual level (expected 0).
	Ratio *float64 `json:"ratio"`
}

type countriesJSON struct {
	Service   string             `json:"service"`
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Unit      string             `json:"unit"`
	UsualDays int                `json:"usual_days"`
	Countries []countryRatioJSON `json:"countries"`
}

// round2 keeps two decimals: enough for a reader, and stable in JSON.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// HandleCountries answers GET /api/v1/services/{slug}/countries: the last
// hours' reports by country, each against its usual level.
func (a *API) HandleCountries(c *gin.Context) {
	svc, found := a.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	hours, perr := parseHours(c.Query("hours"), DefaultCountryHrs)
	if perr != nil {
		httpapi.Abort(c, http.StatusBadRequest, perr.Code, perr.Message, perr.Field)
		return
	}
	key := svc.Slug + "/" + strconv.Itoa(hours)
	b, err := a.countries.Body(c.Request.Context(), key, "", func(ctx context.Context) (countriesJSON, error) {
		to := a.now().UTC().Truncate(time.Second)
		span := time.Duration(hours) * time.Hour
		// The rollup's minute that holds "now" is still filling; the
		// window is the hours of whole minutes that end with it, and each
		// past day's window is the same minutes.
		end := to.Truncate(time.Minute).Add(time.Minute)
		list, days, err := a.read.Countries(ctx, svc.Slug, end.Add(-span), end)
		if err != nil {
			return countriesJSON{}, err
		}
		unit := "reports in the last hour"
		if hours > 1 {
			unit = fmt.Sprintf("reports in the last %d hours", hours)
		}
		out := countriesJSON{Service: svc.Slug, From: to.Add(-span), To: to, Unit: unit, UsualDays: days, Countries: []countryRatioJSON{}}
		for _, b := range list {
			j := countryRatioJSON{Country: b.Key, Reports: b.Reports, Reporters: b.Reporters, Expected: round2(b.Expected)}
			if r, ok := b.Ratio(); ok {
				r = round2(r)
				j.Ratio = &r
			}
			out.Countries = append(out.Countries, j)
		}
		return out, nil
	}, asIs)
	a.answer(c, "read reports by country", b, err)
}
