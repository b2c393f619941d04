package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/httpapi"
)

// Public status of a service: ok, or the level of its open incident.
const (
	ServiceOK       = "ok"
	ServicePossible = "possible"
	ServiceDetected = "detected"
)

// Limits on query parameters.
const (
	MinStep        = time.Minute
	MaxStep        = 24 * time.Hour
	DefaultStep    = 15 * time.Minute
	DefaultRange   = 24 * time.Hour
	MaxPoints      = 2000
	DefaultLimit   = 50
	MaxLimit       = 1000
	maxQueryLength = 100
	maxIDLength    = 64
)

const cacheControl = "public, max-age=5"

// retryAfter is what clients are told to wait when the store is down.
const retryAfter = 5 * time.Second

var countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)

// snapshot is the state every listing shares: open incidents and the last
// hour's reports. It is cached for a moment.
type snapshot struct {
	open     map[string]lapor.Incident // the most severe open incident of each service
	activity Activity
	judged   map[string]clickhouse.Expectation // each service's latest judged bucket, if recent
}

// judgedWithin is how old a service's latest judged bucket may be for the
// pages to say that its reports are above normal: a few detector cycles.
const judgedWithin = 5 * time.Minute

func (s *Server) loadSnapshot(ctx context.Context) (snapshot, error) {
	now := s.now()
	open, err := s.store.Incidents(ctx, clickhouse.IncidentFilter{Status: lapor.StatusOpen, Limit: MaxLimit})
	if err != nil {
		return snapshot{}, fmt.Errorf("list open incidents: %w", err)
	}
	act, err := s.store.Activity(ctx, now.Add(-time.Hour))
	if err != nil {
		return snapshot{}, fmt.Errorf("read last hour of reports: %w", err)
	}
	judged, err := s.store.LatestExpectations(ctx, now.Add(-judgedWithin))
	if err != nil {
		return snapshot{}, fmt.Errorf("read latest judgements: %w", err)
	}
	snap := snapshot{open: map[string]lapor.Incident{}, activity: act, judged: judged}
	// List returns newest first, so on a tie the newest incident stays.
	for _, in := range open {
		cur, ok := snap.open[in.Service]
		if !ok || statusRank(levelStatus(in.Level)) < statusRank(levelStatus(cur.Level)) {
			snap.open[in.Service] = in
		}
	}
	return snap, nil
}

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
	catalog.Service
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

func (snap snapshot) service(svc catalog.Service) serviceJSON {
	// The contract wants lists, never null.
	svc.Countries, svc.Aliases, svc.Indicators = nonNil(svc.Countries), nonNil(svc.Aliases), nonNil(svc.Indicators)
	out := serviceJSON{
		Service:         svc,
		Status:          ServiceOK,
		ReportsLastHour: snap.activity.Totals[svc.Slug].Reports,
	}
	if in, ok := snap.open[svc.Slug]; ok {
		since := in.StartedAt.UTC()
		status := levelStatus(in.Level)
		out.Status, out.Level, out.IncidentID, out.Since = status, status, in.ID, &since
	} else if r, ok := snap.judged[svc.Slug]; ok {
		out.Elevated = elevated(r)
	}
	return out
}

// serviceFilter selects services from the catalog.
type serviceFilter struct {
	q, category, country string
}

func (f serviceFilter) match(svc catalog.Service) bool {
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

// services returns the matching services with their status, services with
// problems first (worst first), then by name.
func (s *Server) services(ctx context.Context, f serviceFilter) ([]serviceJSON, error) {
	snap, err := s.status.Get(ctx, s.loadSnapshot)
	if err != nil {
		return nil, err
	}
	out := []serviceJSON{}
	for _, svc := range s.catalog.All() { // sorted by name
		if f.match(svc) {
			out = append(out, snap.service(svc))
		}
	}
	// Reports above normal without an incident rank between possible and ok.
	rank := func(s serviceJSON) int {
		r := 2 * statusRank(s.Status)
		if s.Elevated != nil {
			r--
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

func (s *Server) handleServices(c *gin.Context) {
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
	list, err := s.services(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, "list services", err)
		return
	}
	ok(c, gin.H{"services": list})
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
	Incident *incidentJSON `json:"incident,omitempty"`
	LastHour lastHourJSON  `json:"last_hour"`
}

func (s *Server) handleService(c *gin.Context) {
	svc, found := s.catalog.Get(c.Param("slug"))
	if !found {
		httpapi.Abort(c, http.StatusNotFound, "unknown_service", "no service with this slug", "slug")
		return
	}
	snap, err := s.status.Get(c.Request.Context(), s.loadSnapshot)
	if err != nil {
		s.storeError(c, "read service status", err)
		return
	}
	tot := snap.activity.Totals[svc.Slug]
	out := serviceDetailJSON{
		serviceJSON: snap.service(svc),
		LastHour:    lastHourJSON{Reports: tot.Reports, Reporters: tot.Reporters, Symptoms: []symptomCountJSON{}, Countries: []countryCountJSON{}},
	}
	for _, b := range snap.activity.Symptoms[svc.Slug] {
		out.LastHour.Symptoms = append(out.LastHour.Symptoms, symptomCountJSON{Symptom: b.Key, Reports: b.Reports, Reporters: b.Reporters})
	}
	for _, b := range snap.activity.Countries[svc.Slug] {
		out.LastHour.Countries = append(out.LastHour.Countries, countryCountJSON{Country: b.Key, Reports: b.Reports, Reporters: b.Reporters})
	}
	if in, open := snap.open[svc.Slug]; open {
		j := toIncidentJSON(in)
		out.Incident = &j
	}
	ok(c, out)
}

type pointJSON struct {
	T         time.Time `json:"t"`
	Reports   uint64    `json:"reports"`
	Reporters uint64    `json:"reporters"`
	// Final says the bucket's numbers will not change (see finalBefore).
	Final bool `json:"final"`
	// What the detector judged the bucket against; null where it judged
	// nothing (see Point).
	Expected          *float64 `json:"expected"`
	ThresholdPossible *float64 `json:"threshold_possible"`
	ThresholdDetected *float64 `json:"threshold_detected"`
}

// known is x, or nil for NaN and infinities, which JSON cannot hold.
func known(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func toPointJSON(p Point) pointJSON {
	out := pointJSON{T: p.T, Reports: p.Reports, Reporters: p.Reporters,
		ThresholdPossible: known(p.Possible), ThresholdDetected: known(p.Detected)}
	if p.Judged {
		out.Expected = known(p.Expected)
	}
	return out
}

type seriesJSON struct {
	Service string    `json:"service"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Step    int64     `json:"step"`
	Unit    string    `json:"unit"`
	// FinalUntil is the time up to which the numbers are final: buckets
	// that end by it never change. Null when that cannot be told.
	FinalUntil *time.Time  `json:"final_until"`
	Points     []pointJSON `json:"points"`
}

// finalPoints turns a range's points into JSON, marking those that end
// by final (the zero time: none).
func finalPoints(r seriesRange, pts []Point, final time.Time) ([]pointJSON, *time.Time) {
	last := readTo(r)
	out := make([]pointJSON, 0, len(pts))
	for _, p := range pts {
		j := toPointJSON(p)
		end := p.T.Add(r.step)
		if last.Before(end) {
			end = last
		}
		j.Final = !final.IsZero() && !end.After(final)
		out = append(out, j)
	}
	if final.IsZero() {
		return out, nil
	}
	f := final.UTC().Truncate(time.Second)
	return out, &f
}

// seriesRange is a checked series request.
type seriesRange struct {
	from, to time.Time // from is aligned down to step
	step     time.Duration
	points   int64
}

// paramError is a query parameter the client got wrong.
type paramError struct {
	code, field, message string
}

func invalid(field, format string, args ...any) *paramError {
	return &paramError{code: "invalid_parameter", field: field, message: fmt.Sprintf(format, args...)}
}

// parseSeriesRange checks from, to and step and aligns from down to step.
func parseSeriesRange(fromS, toS, stepS string, now time.Time) (seriesRange, *paramError) {
	var r seriesRange
	r.to = now.UTC().Truncate(time.Second)
	if toS != "" {
		t, err := time.Parse(time.RFC3339, toS)
		if err != nil {
			return r, invalid("to", "to must be an RFC 3339 time such as 2024-05-01T00:00:00Z")
		}
		r.to = t.UTC()
	}
	r.from = r.to.Add(-DefaultRange)
	if fromS != "" {
		t, err := time.Parse(time.RFC3339, fromS)
		if err != nil {
			return r, invalid("from", "from must be an RFC 3339 time such as 2024-05-01T00:00:00Z")
		}
		r.from = t.UTC()
	}
	r.step = DefaultStep
	if stepS != "" {
		d, err := parseStep(stepS)
		if err != nil || d < MinStep || d > MaxStep || d%time.Minute != 0 {
			return r, invalid("step", "step must be a duration such as 15m, or seconds such as 900: whole minutes from 1m to 24h")
		}
		r.step = d
	}
	// ClickHouse DateTime holds 1970 to 2106.
	if r.from.Unix() < 0 || r.from.Unix() > math.MaxUint32 {
		return r, invalid("from", "from must be between 1970 and 2106")
	}
	if r.to.Unix() < 0 || r.to.Unix() > math.MaxUint32 {
		return r, invalid("to", "to must be between 1970 and 2106")
	}
	if !r.from.Before(r.to) {
		return r, invalid("from", "from must be before to")
	}
	step := int64(r.step / time.Second)
	r.from = time.Unix(r.from.Unix()-r.from.Unix()%step, 0).UTC()
	r.points = (r.to.Unix() - r.from.Unix() + step - 1) / step
	if r.points > MaxPoints {
		return r, &paramError{code: "range_too_large", message: fmt.Sprintf(
			"from..to at this step makes %d points; at most %d are allowed, so widen step or narrow the range", r.points, MaxPoints)}
	}
	return r, nil
}

// parseStep reads a Go duration ("15m") or a number of seconds ("900").
func parseStep(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		// Checked before multiplying, which could wrap around.
		if n < 0 || n > int64(MaxStep/time.Second) {
			return 0, errors.New("step out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// unitName says a step in words: "minute", "15 minutes", "hour", "day".
func unitName(step time.Duration) string {
	n, unit := int64(step/time.Minute), "minute"
	switch {
	case step%(24*time.Hour) == 0:
		n, unit = int64(step/(24*time.Hour)), "day"
	case step%time.Hour == 0:
		n, unit = int64(step/time.Hour), "hour"
	}
	if n == 1 {
		return unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

func (s *Server) handleSeries(c *gin.Context) {
	svc, r, pts, found := s.seriesOf(c)
	if !found {
		return
	}
	out := seriesJSON{
		Service: svc.Slug, From: r.from, To: r.to, Step: int64(r.step / time.Second),
		Unit: "reports per " + unitName(r.step),
	}
	out.Points, out.FinalUntil = finalPoints(r, pts, s.finalBefore(c.Request.Context()))
	ok(c, out)
}

type symptomShareJSON struct {
	Symptom string  `json:"symptom"`
	Share   float64 `json:"share"`
}

type incidentJSON struct {
	ID           string             `json:"id"`
	Service      string             `json:"service"`
	Level        lapor.Level        `json:"level"`
	Status       lapor.Status       `json:"status"`
	StartedAt    time.Time          `json:"started_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
	EndedAt      *time.Time         `json:"ended_at,omitempty"`
	EndReason    lapor.EndReason    `json:"end_reason,omitempty"`
	Peak         uint32             `json:"peak"`
	PeakAt       time.Time          `json:"peak_at"`
	Baseline     float64            `json:"baseline"`
	LastCount    uint32             `json:"last_count"`
	TopSymptoms  []symptomShareJSON `json:"top_symptoms"`
	TopCountries []string           `json:"top_countries"`
}

func toIncidentJSON(in lapor.Incident) incidentJSON {
	out := incidentJSON{
		ID: in.ID, Service: in.Service, Level: in.Level, Status: in.Status,
		StartedAt: in.StartedAt.UTC(), UpdatedAt: in.UpdatedAt.UTC(), PeakAt: in.PeakAt.UTC(),
		Peak: in.Peak, Baseline: in.Baseline, LastCount: in.LastCount,
		TopSymptoms: []symptomShareJSON{}, TopCountries: nonNil(in.TopCountries),
	}
	// An open incident has no end; ClickHouse stores that as the epoch.
	if !in.Open() && in.EndedAt.Unix() > 0 {
		end := in.EndedAt.UTC()
		out.EndedAt, out.EndReason = &end, in.EndReason
	}
	for i, sym := range in.TopSymptoms {
		share := 0.0
		if i < len(in.TopSymptomShares) {
			share = in.TopSymptomShares[i]
		}
		out.TopSymptoms = append(out.TopSymptoms, symptomShareJSON{Symptom: sym, Share: share})
	}
	return out
}

func (s *Server) handleIncidents(c *gin.Context) {
	f := clickhouse.IncidentFilter{Service: c.Query("service"), Status: lapor.Status(c.Query("status")), Level: lapor.Level(c.Query("level"))}
	category := strings.TrimSpace(c.Query("category"))
	if len(f.Service) > maxIDLength {
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
		for _, svc := range s.catalog.All() {
			if strings.EqualFold(svc.Category, category) {
				f.Services = append(f.Services, svc.Slug)
			}
		}
		if len(f.Services) == 0 {
			ok(c, gin.H{"incidents": []incidentJSON{}}) // no service, so no incident
			return
		}
	}
	list, err := s.store.Incidents(c.Request.Context(), f)
	if err != nil {
		s.storeError(c, "list incidents", err)
		return
	}
	out := make([]incidentJSON, 0, len(list))
	for _, in := range list {
		out = append(out, toIncidentJSON(in))
	}
	ok(c, gin.H{"incidents": out})
}

func (s *Server) handleIncident(c *gin.Context) {
	id := c.Param("id")
	if len(id) > maxIDLength {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	list, err := s.store.Incidents(c.Request.Context(), clickhouse.IncidentFilter{ID: id, Limit: 1})
	if err != nil {
		s.storeError(c, "read incident", err)
		return
	}
	if len(list) == 0 {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no incident with this id", "id")
		return
	}
	ok(c, toIncidentJSON(list[0]))
}

// ok answers 200 with a cacheable JSON body.
func ok(c *gin.Context, body any) {
	c.Header("Cache-Control", cacheControl)
	c.JSON(http.StatusOK, body)
}

// storeError answers a failed read: 503 with Retry-After, as the store is
// what failed, not the request.
func (s *Server) storeError(c *gin.Context, what string, err error) {
	httpapi.Unavailable(c, s.log, retryAfter, what, err)
}
