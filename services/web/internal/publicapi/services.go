package publicapi

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	lapor "github.com/lapor/lapor/services/shared"

	"github.com/gin-gonic/gin"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/web/internal/read"
)

// Public status of a service: ok, or the level of its open incident.
const (
	ServiceOK       = "ok"
	ServicePossible = "possible"
	ServiceDetected = "detected"
)

func levelStatus(level lapor.Level) string {
	if level == lapor.LevelDetected {
		return ServiceDetected
	}
	return ServicePossible
}

// statusRank orders statuses worst first.
func statusRank(status string) int {
	switch status {
	case ServiceDetected:
		return 0
	case ServicePossible:
		return 1
	}
	return 2
}

type serviceJSON struct {
	lapor.Service
	Status          string     `json:"status"`
	Level           string     `json:"level,omitempty"`
	IncidentID      string     `json:"incident_id,omitempty"`
	Since           *time.Time `json:"since,omitempty"`
	ReportsLastHour uint64     `json:"reports_last_hour"`
	// Elevated is set when no incident is open but the detector's latest
	// judgement has reports over its alert threshold (an incident that
	// ended as faded while reports are still several times normal, or
	// one withheld because a single network carried it), so that a page
	// never shows "no problems" beside numbers far above normal.
	Elevated *elevatedJSON `json:"elevated,omitempty"`
}

// elevatedJSON is the span that is furthest over its alert threshold.
type elevatedJSON struct {
	Minutes  int       `json:"minutes"`  // the span's length
	Reports  uint64    `json:"reports"`  // reporters in it
	Expected float64   `json:"expected"` // what the detector expected in it
	At       time.Time `json:"at"`       // end of the span
}

// elevated is the span of a service's latest judgement furthest over its
// alert threshold, or nil when every span is under it.
func elevated(r clickhouse.Expectation) *elevatedJSON {
	var best *elevatedJSON
	worst := 1.0
	for _, j := range r.Spans {
		if !(j.Possible > 0) || math.IsInf(j.Possible, 0) || j.Count < j.Possible {
			continue
		}
		if over := j.Count / j.Possible; over >= worst {
			worst = over
			best = &elevatedJSON{Minutes: int(time.Duration(j.Span) * r.Length / time.Minute), Reports: uint64(j.Count),
				Expected: math.Round(j.Expected*10) / 10, At: r.Bucket.Add(r.Length).UTC()}
		}
	}
	return best
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// serviceStatus is a service as the listings show it, with its status.
func serviceStatus(st read.Status, svc lapor.Service) serviceJSON {
	// The contract wants lists, never null.
	svc.Countries, svc.Aliases, svc.Indicators = nonNil(svc.Countries), nonNil(svc.Aliases), nonNil(svc.Indicators)
	out := serviceJSON{
		Service:         svc,
		Status:          ServiceOK,
		ReportsLastHour: st.Activity.Totals[svc.Slug].Reports,
	}
	if in, ok := st.Open[svc.Slug]; ok {
		since := in.StartedAt.UTC()
		status := levelStatus(in.Level)
		out.Status, out.Level, out.IncidentID, out.Since = status, status, in.ID, &since
	} else if r, ok := st.Judged[svc.Slug]; ok {
		out.Elevated = elevated(r)
	}
	return out
}

// serviceFilter selects services from the catalog.
type serviceFilter struct {
	q, category, country string
}

func (f serviceFilter) match(svc lapor.Service) bool {
	if f.category != "" && !strings.EqualFold(svc.Category, f.category) {
		return false
	}
	if f.country != "" && !containsFold(svc.Countries, f.country) && !containsFold(svc.Countries, "*") {
		return false
	}
	if f.q == "" {
		return true
	}
	q := strings.ToLower(f.q)
	if strings.Contains(strings.ToLower(svc.Name), q) || strings.Contains(svc.Slug, q) {
		return true
	}
	for _, a := range svc.Aliases {
		if strings.Contains(strings.ToLower(a), q) {
			return true
		}
	}
	return false
}

func containsFold(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

// services returns the services of the status that match f, services
// with problems first (worst first), then by name.
func (a *API) services(st read.Status, f serviceFilter) []serviceJSON {
	out := []serviceJSON{}
	for _, svc := range a.catalog.All() { // sorted by name
		if f.match(svc) {
			out = append(out, serviceStatus(st, svc))
		}
	}
	// Reports above normal without an incident rank between possible and ok.
	rank := func(x serviceJSON) int {
		r := 2 * statusRank(x.Status)
		if x.Elevated != nil {
			r--
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// HandleServices answers GET /api/v1/services: the catalog's services
// (filtered by q, category and country) with their status, problems first.
func (a *API) HandleServices(c *gin.Context) {
	f := serviceFilter{
		q:        strings.TrimSpace(c.Query("q")),
		category: strings.TrimSpace(c.Query("category")),
		country:  strings.TrimSpace(c.Query("country")),
	}
	switch {
	case len(f.q) > maxQueryLength:
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("q is longer than %d bytes", maxQueryLength), "q")
		return
	case len(f.category) > maxQueryLength:
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("category is longer than %d bytes", maxQueryLength), "category")
		return
	case f.country != "" && !countryRE.MatchString(f.country):
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "country must be a two-letter ISO 3166 code", "country")
		return
	}
	// Each status read is encoded once per filter, and every request
	// with that filter until the next read gets the same bytes.
	view := "services\x00" + f.q + "\x00" + f.category + "\x00" + f.country
	b, err := a.read.StatusBody(c.Request.Context(), view, func(st read.Status) (any, error) {
		return gin.H{"services": a.services(st, f)}, nil
	})
	a.answer(c, "list services", b, err)
}

type symptomCountJSON struct {
	Symptom   string `json:"symptom"`
	Reports   uint64 `json:"reports"`
	Reporters uint64 `json:"reporters"`
}

type countryCountJSON struct {
	Country   string `json:"country"`
	Reports   uint64 `json:"reports"`
	Reporters uint64 `json:"reporters"`
}

type lastHourJSON struct {
	Reports   uint64             `json:"reports"`
	Reporters uint64             `json:"reporters"`
	Symptoms  []symptomCountJSON `json:"symptoms"`
	Countries []countryCountJSON `json:"countries"`
}

type serviceDetailJSON struct {
	serviceJSON
	Incident *lapor.Incident `json:"incident,omitempty"`
	LastHour lastHourJSON    `json:"last_hour"`
}

// HandleService answers GET /api/v1/services/{slug}: one service with its
// status, open incident and last hour of reports.
func (a *API) HandleService(c *gin.Context) {
	svc, found := a.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	b, err := a.read.StatusBody(c.Request.Context(), "service\x00"+svc.Slug, func(st read.Status) (any, error) {
		return serviceDetail(st, svc), nil
	})
	a.answer(c, "read service status", b, err)
}

// serviceDetail is one service as its page shows it, from the status.
func serviceDetail(st read.Status, svc lapor.Service) serviceDetailJSON {
	tot := st.Activity.Totals[svc.Slug]
	out := serviceDetailJSON{
		serviceJSON: serviceStatus(st, svc),
		LastHour:    lastHourJSON{Reports: tot.Reports, Reporters: tot.Reporters, Symptoms: []symptomCountJSON{}, Countries: []countryCountJSON{}},
	}
	for _, b := range st.Activity.Symptoms[svc.Slug] {
		out.LastHour.Symptoms = append(out.LastHour.Symptoms, symptomCountJSON{Symptom: b.Key, Reports: b.Reports, Reporters: b.Reporters})
	}
	for _, b := range st.Activity.Countries[svc.Slug] {
		out.LastHour.Countries = append(out.LastHour.Countries, countryCountJSON{Country: b.Key, Reports: b.Reports, Reporters: b.Reporters})
	}
	if in, open := st.Open[svc.Slug]; open {
		out.Incident = &in
	}
	return out
}
