package partner

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/rate"
)

// Scope is a permission an API key carries.
type Scope string

// The scopes a key can hold.
const (
	ScopeAlerts   Scope = "alerts:read"     // pull, stream, incidents
	ScopeSeries   Scope = "series:read"     // per-service stats
	ScopeWebhooks Scope = "webhooks:manage" // webhook subscriptions
)

// Scopes lists every scope, in the order they are documented.
var Scopes = []Scope{ScopeAlerts, ScopeSeries, ScopeWebhooks}

// ctxKeyID is where Require leaves the authenticated key's id.
const ctxKeyID = "partner.key_id"

// DefaultCacheTTL bounds how long a key looked up in ClickHouse is reused:
// a revoked key stops working within this time.
const DefaultCacheTTL = 3 * time.Second

// unavailableRetry is what partners are told to wait when Redis or
// ClickHouse cannot be reached.
const unavailableRetry = 2 * time.Second

// Auth authenticates partner requests by API key, counts them against the
// key's quota and checks its scopes.
type Auth struct {
	keys  *Keys
	store limiter.Store
	log   *slog.Logger
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	key Key
	err error // ErrNotFound cached too, so a flood of bad ids is cheap
	at  time.Time
}

// NewAuth returns an Auth over the key store and the limiter store (the
// ulule/limiter Redis store in production). ttl is how long a key lookup
// is reused (DefaultCacheTTL when zero).
func NewAuth(keys *Keys, store limiter.Store, log *slog.Logger, ttl time.Duration) *Auth {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Auth{keys: keys, store: store, log: log, ttl: ttl, now: time.Now, cache: map[string]cachedKey{}}
}

// KeyID returns the id of the key Require authenticated, "" when none.
func KeyID(c *gin.Context) string {
	return c.GetString(ctxKeyID)
}

// Require authenticates the request's bearer key, counts it against the
// key's quota (setting the X-RateLimit-* headers) and checks that the key
// holds scope. It answers 401 unauthorized, 429 rate_limited, 403
// forbidden, or 503 unavailable when its stores fail.
func (a *Auth) Require(scope Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		k, ok := a.authenticate(c)
		if !ok {
			return
		}
		if !a.countQuota(c, k) {
			return
		}
		if !k.Has(scope) {
			httpapi.Abort(c, http.StatusForbidden, "forbidden", "this API key lacks the scope "+string(scope), "")
			return
		}
		c.Set(ctxKeyID, k.ID)
		c.Next()
	}
}

func (a *Auth) authenticate(c *gin.Context) (Key, bool) {
	id, secret, ok := bearerKey(c.GetHeader("Authorization"))
	if !ok {
		unauthorized(c, "missing or malformed API key: send Authorization: Bearer lapor_<id>_<secret>")
		return Key{}, false
	}
	k, err := a.lookup(c.Request.Context(), id)
	if errors.Is(err, ErrNotFound) {
		unauthorized(c, "unknown or revoked API key")
		return Key{}, false
	}
	if err != nil {
		httpapi.Unavailable(c, a.log.With("key_id", id), unavailableRetry, "look up API key", err)
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	if k.Revoked() || subtle.ConstantTimeCompare([]byte(hashHex(sum)), []byte(k.Hash)) != 1 {
		unauthorized(c, "unknown or revoked API key")
		return Key{}, false
	}
	return k, true
}

func unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", `Bearer realm="lapor"`)
	httpapi.Abort(c, http.StatusUnauthorized, "unauthorized", msg, "")
}

// bearerKey splits "Bearer lapor_<id>_<secret>".
func bearerKey(h string) (id, secret string, ok bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", "", false
	}
	return ParseKey(strings.TrimSpace(tok))
}

// lookup returns the key with id, from the short cache when fresh.
func (a *Auth) lookup(ctx context.Context, id string) (Key, error) {
	now := a.now()
	a.mu.Lock()
	ck, ok := a.cache[id]
	a.mu.Unlock()
	if ok && now.Sub(ck.at) < a.ttl {
		return ck.key, ck.err
	}
	k, err := a.keys.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Key{}, err // store failures are not cached
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		clear(a.cache) // bounded: unknown ids must not grow it forever
	}
	a.cache[id] = cachedKey{key: k, err: err, at: now}
	a.mu.Unlock()
	return k, err
}

// countQuota counts the request against the key's quota and sets the
// X-RateLimit-* headers; over the quota it answers 429.
func (a *Auth) countQuota(c *gin.Context, k Key) bool {
	quota, err := rate.Parse(k.Quota)
	if err != nil {
		// Create validates quotas, so this is a stored row gone bad.
		a.log.Error("API key has a bad quota", "key_id", k.ID, "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return false
	}
	lc, err := a.store.Get(c.Request.Context(), "key:"+k.ID, quota)
	if err != nil {
		httpapi.Unavailable(c, a.log.With("key_id", k.ID), unavailableRetry, "count API key quota", err)
		return false
	}
	c.Header("X-RateLimit-Limit", strconv.FormatInt(lc.Limit, 10))
	c.Header("X-RateLimit-Remaining", strconv.FormatInt(lc.Remaining, 10))
	c.Header("X-RateLimit-Reset", strconv.FormatInt(lc.Reset, 10))
	if lc.Reached {
		wait := time.Unix(lc.Reset, 0).Sub(a.now())
		httpapi.AbortRetry(c, http.StatusTooManyRequests, wait, "rate_limited", "this API key's quota is used up; retry later")
		return false
	}
	return true
}
