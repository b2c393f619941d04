package publicapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// Limits of the sparklines and countries endpoints.
const (
	MaxHours           = 168
	DefaultSparkHours  = 24
	DefaultSparkStep   = time.Hour
	MinSparkStep       = 15 * time.Minute
	DefaultCountryHrs  = 6
	csvTimeLayout      = "20060102T1504Z"
	csvContentType     = "text/csv; charset=utf-8"
	sparklineUnitLabel = "reports per "
)

type sparklinesJSON struct {
	From     time.Time           `json:"from"`
	Step     int64               `json:"step"`
	Unit     string              `json:"unit"`
	Services map[string][]uint64 `json:"services"`
}

// parseHours reads an hours parameter from 1 to MaxHours.
func parseHours(s string, def int) (int, *read.ParamError) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxHours {
		return 0, read.Invalid("hours", "hours must be a whole number from 1 to %d", MaxHours)
	}
	return n, nil
}

// HandleSparklines answers GET /api/v1/sparklines: every service's reports
// over the last hours, in buckets.
func (a *API) HandleSparklines(c *gin.Context) {
	hours, perr := parseHours(c.Query("hours"), DefaultSparkHours)
	if perr != nil {
		httpapi.Abort(c, http.StatusBadRequest, perr.Code, perr.Message, perr.Field)
		return
	}
	step := DefaultSparkStep
	if v := c.Query("step"); v != "" {
		d, err := read.ParseStep(v)
		span := time.Duration(hours) * time.Hour
		if err != nil || d < MinSparkStep || d > read.MaxStep || d%time.Minute != 0 || d > span || span%d != 0 {
			httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter",
				"step must be whole minutes from 15m to 24h that divide the hours evenly", "step")
			return
		}
		step = d
	}
	key := fmt.Sprintf("%d/%d", hours, step/time.Second)
	b, err := a.sparklines.Body(c.Request.Context(), key, "", func(ctx context.Context) (sparklinesJSON, error) {
		return a.loadSparklines(ctx, hours, step)
	}, asIs)
	a.answer(c, "read sparklines", b, err)
}

// loadSparklines reads every catalog service's last hours in buckets of
// step; the last bucket is the one now falls in.
func (a *API) loadSparklines(ctx context.Context, hours int, step time.Duration) (sparklinesJSON, error) {
	n := int(time.Duration(hours) * time.Hour / step)
	stepSec := int64(step / time.Second)
	now := a.now().Unix()
	end := now - now%stepSec + stepSec
	from := time.Unix(end-int64(n)*stepSec, 0).UTC()
	counts, err := a.read.Sparklines(ctx, from, step, n)
	if err != nil {
		return sparklinesJSON{}, err
	}
	out := sparklinesJSON{From: from, Step: stepSec, Unit: sparklineUnitLabel + unitName(step), Services: map[string][]uint64{}}
	for _, svc := range a.catalog.All() {
		if cs, ok := counts[svc.Slug]; ok {
			out.Services[svc.Slug] = cs
		} else {
			out.Services[svc.Slug] = make([]uint64, n)
		}
	}
	return out, nil
}
