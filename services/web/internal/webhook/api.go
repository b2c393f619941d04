// Package webhook pushes alert events to partners' URLs: subscriptions per
// API key (the /v1/webhooks endpoints), a delivery log partners can read,
// and the Dispatcher that signs, sends, retries and dead-letters
// deliveries, in order per subscription, surviving restarts.
package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/redis"
)

// Limits on subscriptions.
const (
	MaxPerOwner       = 20   // subscriptions per API key
	MaxDescription    = 200  // characters
	MaxFilterValues   = 100  // values per filter list
	MaxBody           = 8192 // bytes of a create request
	DefaultDeliveries = 50
	MaxDeliveries     = 1000
)

// retryAfter is what partners are told to wait when a store is down.
const retryAfter = 2 * time.Second

var (
	idRE      = regexp.MustCompile(`^wh_[0-9a-f]{24}$`)
	countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)
)

// APIOptions are what the webhook endpoints need.
type APIOptions struct {
	Log          *slog.Logger
	Store        Store
	Alerts       *redis.AlertLog  // a new subscription starts at its end
	Catalog      *catalog.Catalog // filter services must be in it
	AllowPrivate bool             // accept URLs on private networks (tests, closed networks)
	Lookup       Lookup           // resolves URL hosts; the system resolver when nil
}

// API serves /v1/webhooks. Its handlers expect an authentication
// middleware before them; Owner names the authenticated API key (the web
// server sets it to partner.KeyID), and a key only ever sees its own
// subscriptions.
type API struct {
	Owner func(*gin.Context) string
	o     APIOptions
}

// NewAPI returns the webhook endpoints; set Owner before serving.
func NewAPI(o APIOptions) (*API, error) {
	if o.Log == nil || o.Store == nil || o.Alerts == nil || o.Catalog == nil {
		return nil, errors.New("webhook api: log, store, alert log and catalog are required")
	}
	if o.Lookup == nil {
		o.Lookup = defaultLookup
	}
	return &API{o: o}, nil
}

// webhookJSON is a subscription as partners see it; Secret only in the
// answer to its creation.
type webhookJSON struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	Filter      filterJSON `json:"filter"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"created_at"`
	Secret      string     `json:"secret,omitempty"`
}

// filterJSON is lapor.AlertFilter with every list present, as the contract
// promises lists rather than missing fields.
type filterJSON struct {
	Services  []string `json:"services"`
	Countries []string `json:"countries"`
	Levels    []string `json:"levels"`
}

func toJSON(sub Subscription) webhookJSON {
	return webhookJSON{
		ID:  sub.ID,
		URL: sub.URL,
		Filter: filterJSON{
			Services:  nonNil(sub.Filter.Services),
			Countries: nonNil(sub.Filter.Countries),
			Levels:    nonNil(sub.Filter.Levels),
		},
		Description: sub.Description,
		CreatedAt:   sub.CreatedAt,
	}
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// owner returns the authenticated key's id, or answers and returns false.
func (a *API) owner(c *gin.Context) (string, bool) {
	if a.Owner == nil {
		a.o.Log.Error("webhook api: Owner is not set")
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return "", false
	}
	id := a.Owner(c)
	if id == "" {
		c.Header("WWW-Authenticate", `Bearer realm="lapor"`)
		httpapi.Abort(c, http.StatusUnauthorized, "unauthorized", "an API key is required", "")
		return "", false
	}
	return id, true
}

func (a *API) unavailable(c *gin.Context, what string, err error) {
	httpapi.Unavailable(c, a.o.Log, retryAfter, what, err)
}

type createRequest struct {
	URL         string            `json:"url"`
	Filter      lapor.AlertFilter `json:"filter"`
	Description string            `json:"description"`
}

// Create handles POST /v1/webhooks: it answers 201 with the subscription
// and its secret, which is never shown again.
func (a *API) Create(c *gin.Context) {
	owner, ok := a.owner(c)
	if !ok {
		return
	}
	req, field, err := decodeCreate(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpapi.Abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is larger than %d bytes", MaxBody), "")
			return
		}
		httpapi.Abort(c, http.StatusBadRequest, "malformed_json", err.Error(), field)
		return
	}
	u, err := checkURL(c.Request.Context(), strings.TrimSpace(req.URL), a.o.AllowPrivate, a.o.Lookup)
	if err != nil {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_url", err.Error(), "url")
		return
	}
	filter, field, err := a.checkFilter(req.Filter)
	if err != nil {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_filter", err.Error(), field)
		return
	}
	desc := strings.TrimSpace(req.Description)
	if utf8.RuneCountInString(desc) > MaxDescription {
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("description is longer than %d characters", MaxDescription), "description")
		return
	}
	ctx := c.Request.Context()
	subs, err := a.o.Store.List(ctx, owner)
	if err != nil {
		a.unavailable(c, "list webhooks", err)
		return
	}
	if len(subs) >= MaxPerOwner {
		httpapi.Abort(c, http.StatusConflict, "too_many_webhooks", fmt.Sprintf("an API key may have at most %d webhooks; delete one first", MaxPerOwner), "")
		return
	}
	start, err := a.o.Alerts.Last(ctx)
	if err != nil {
		a.unavailable(c, "read end of alert log", err)
		return
	}
	id, secret, err := newIDAndSecret()
	if err != nil {
		a.unavailable(c, "make webhook id", err)
		return
	}
	now := time.Now()
	sub := Subscription{
		ID: id, Owner: owner, URL: u, Filter: filter, Description: desc, Secret: secret,
		StartCursor: start, CreatedAt: now.UTC().Truncate(time.Second), Version: uint64(now.UnixNano()),
	}
	if err := a.o.Store.Save(ctx, sub); err != nil {
		a.unavailable(c, "save webhook", err)
		return
	}
	out := toJSON(sub)
	out.Secret = secret
	c.Header("Location", "/v1/webhooks/"+id)
	c.JSON(http.StatusCreated, out)
}

// decodeCreate reads the create request; field names the part at fault.
func decodeCreate(body io.Reader) (createRequest, string, error) {
	var req createRequest
	// Read whole (the body is bounded by MaxBody) to be walked twice: to
	// decode it, and to refuse a key given twice, of which encoding/json
	// would silently keep the last.
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return req, "", err
		}
		return req, "", fmt.Errorf("read request body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&req)
	if err == nil {
		if key, top, dup := httpapi.DuplicateKey(data); dup {
			field := ""
			if top {
				field = key
			}
			return req, field, fmt.Errorf("duplicate key %q", key)
		}
	}
	if err == nil {
		// Anything after the object is an error too; reading it also finds
		// a body that only grows too large after the object.
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = terr
			if err == nil {
				err = errors.New("unexpected data after the JSON object")
			}
		}
	}
	if err == nil {
		return req, "", nil
	}
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return req, "", err
	case errors.Is(err, io.EOF):
		return req, "", errors.New("request body is empty")
	case errors.As(err, &ute) && ute.Field != "":
		return req, ute.Field, fmt.Errorf("%s has the wrong type", ute.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return req, name, fmt.Errorf("unknown field %q", name)
	}
	return req, "", errors.New("request body must be a JSON object with url, filter and description")
}

// checkFilter validates and normalises a filter.
func (a *API) checkFilter(f lapor.AlertFilter) (lapor.AlertFilter, string, error) {
	for field, xs := range map[string][]string{"filter.services": f.Services, "filter.countries": f.Countries, "filter.levels": f.Levels} {
		if len(xs) > MaxFilterValues {
			return f, field, fmt.Errorf("%s has more than %d values", field, MaxFilterValues)
		}
	}
	var out lapor.AlertFilter
	for _, s := range f.Services {
		svc, ok := a.o.Catalog.Get(strings.ToLower(strings.TrimSpace(s)))
		if !ok {
			return f, "filter.services", fmt.Errorf("unknown service %q", s)
		}
		out.Services = appendNew(out.Services, svc.Slug)
	}
	for _, c := range f.Countries {
		if !countryRE.MatchString(c) {
			return f, "filter.countries", fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code", c)
		}
		out.Countries = appendNew(out.Countries, strings.ToUpper(c))
	}
	for _, l := range f.Levels {
		if !lapor.Level(l).Valid() {
			return f, "filter.levels", fmt.Errorf("level %q is not %s or %s", l, lapor.LevelPossible, lapor.LevelDetected)
		}
		out.Levels = appendNew(out.Levels, l)
	}
	return out, "", nil
}

func appendNew(xs []string, x string) []string {
	for _, v := range xs {
		if v == x {
			return xs
		}
	}
	return append(xs, x)
}

// newIDAndSecret draws a subscription id and its signing secret.
func newIDAndSecret() (string, string, error) {
	var id [12]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", "", fmt.Errorf("draw webhook id: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", "", fmt.Errorf("draw webhook secret: %w", err)
	}
	return "wh_" + hex.EncodeToString(id[:]), "whsec_" + hex.EncodeToString(secret[:]), nil
}

// List handles GET /v1/webhooks: the key's own subscriptions, oldest first.
func (a *API) List(c *gin.Context) {
	owner, ok := a.owner(c)
	if !ok {
		return
	}
	subs, err := a.o.Store.List(c.Request.Context(), owner)
	if err != nil {
		a.unavailable(c, "list webhooks", err)
		return
	}
	out := make([]webhookJSON, len(subs))
	for i, sub := range subs {
		out[i] = toJSON(sub)
	}
	c.JSON(http.StatusOK, gin.H{"webhooks": out})
}

// lookup finds the key's subscription named by the id path parameter, or
// answers 404 (also for another key's subscription) or 503.
func (a *API) lookup(c *gin.Context) (Subscription, bool) {
	owner, ok := a.owner(c)
	if !ok {
		return Subscription{}, false
	}
	id := c.Param("id")
	var (
		sub   Subscription
		found bool
		err   error
	)
	if idRE.MatchString(id) {
		sub, found, err = a.o.Store.Get(c.Request.Context(), owner, id)
	}
	if err == nil && !found {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		httpapi.Abort(c, http.StatusNotFound, "not_found", "no webhook with this id", "id")
		return Subscription{}, false
	}
	if err != nil {
		a.unavailable(c, "get webhook", err)
		return Subscription{}, false
	}
	return sub, true
}

// Get handles GET /v1/webhooks/{id}.
func (a *API) Get(c *gin.Context) {
	if sub, ok := a.lookup(c); ok {
		c.JSON(http.StatusOK, toJSON(sub))
	}
}

// Delete handles DELETE /v1/webhooks/{id}: deliveries stop within the
// dispatcher's refresh interval (an attempt in flight finishes).
func (a *API) Delete(c *gin.Context) {
	sub, ok := a.lookup(c)
	if !ok {
		return
	}
	sub.Deleted = true
	sub.Version = max(sub.Version+1, uint64(time.Now().UnixNano()))
	if err := a.o.Store.Save(c.Request.Context(), sub); err != nil {
		a.unavailable(c, "delete webhook", err)
		return
	}
	c.Status(http.StatusNoContent)
}

type attemptJSON struct {
	DeliveryID    string     `json:"delivery_id"`
	EventID       string     `json:"event_id"`
	Cursor        string     `json:"cursor"`
	Attempt       int        `json:"attempt"`
	At            time.Time  `json:"at"`
	Status        string     `json:"status"`
	StatusCode    int        `json:"status_code,omitempty"`
	Error         string     `json:"error,omitempty"`
	DurationMS    int64      `json:"duration_ms"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// Deliveries handles GET /v1/webhooks/{id}/deliveries?status=&limit=: the
// delivery log, newest event first and its last attempt first.
func (a *API) Deliveries(c *gin.Context) {
	status := c.Query("status")
	switch status {
	case "", StatusDelivered, StatusFailed, StatusDead:
	default:
		httpapi.Abort(c, http.StatusBadRequest, "invalid_parameter", "status must be delivered, failed or dead", "status")
		return
	}
	limit, ok := httpapi.Limit(c, DefaultDeliveries, MaxDeliveries)
	if !ok {
		return
	}
	sub, ok := a.lookup(c)
	if !ok {
		return
	}
	attempts, err := a.o.Store.Attempts(c.Request.Context(), sub.ID, status, limit)
	if err != nil {
		a.unavailable(c, "list webhook deliveries", err)
		return
	}
	out := make([]attemptJSON, len(attempts))
	for i, at := range attempts {
		out[i] = attemptJSON{
			DeliveryID: at.DeliveryID, EventID: at.EventID, Cursor: at.Cursor, Attempt: at.Attempt,
			At: at.At, Status: at.Status, StatusCode: at.StatusCode, Error: at.Error,
			DurationMS: at.Duration.Milliseconds(),
		}
		if !at.NextAt.IsZero() {
			next := at.NextAt
			out[i].NextAttemptAt = &next
		}
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": out})
}
