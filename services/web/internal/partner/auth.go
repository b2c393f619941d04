package partner

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/lapor/lapor/services/shared/httpapi"
	"github.com/lapor/lapor/services/shared/netblock"
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

// DefaultCacheTTL is how long the keys read from ClickHouse are reused: a
// new key starts working, and a revoked one stops, within this time.
const DefaultCacheTTL = 3 * time.Second

// failureRate is how many failed authentications (an unknown or revoked
// key, or a wrong secret) one client address may make per period before
// its requests are refused with 429 for the rest of the period, before
// any key is looked at. It is well above what a partner with a mistyped
// or revoked key runs into while noticing.
var failureRate = limiter.Rate{Period: time.Minute, Limit: 30}

// unavailableRetry is what partners are told to wait when Redis or
// ClickHouse cannot be reached.
const unavailableRetry = 2 * time.Second

// maxBlocked bounds the addresses remembered as over the failure limit.
const maxBlocked = 10000

// MissLookups is how many ids that are not among the keys last read Auth
// looks up one by one per cache period, so that a key created since then
// works at once. Beyond that an unknown id is refused without asking the
// store until the keys are read again: a flood of made-up ids costs at
// most 1 + MissLookups queries per period.
const MissLookups = 10

// KeyStore is what Auth reads API keys from (*Keys does, from ClickHouse).
// Auth holds every key, read at most once per cache period, so that an id
// it does not know is refused without a query: otherwise each made-up id
// would cost one.
type KeyStore interface {
	// List returns every key.
	List(ctx context.Context) ([]Key, error)
	// Get returns the key with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Key, error)
}

// Auth authenticates partner requests by API key, checks its scopes and
// counts them against the key's quota.
type Auth struct {
	keys  KeyStore
	store limiter.Store
	log   *slog.Logger
	ttl   time.Duration
	now   func() time.Time

	// mu is held while keys are read, so that requests arriving meanwhile
	// wait for that one query instead of making their own.
	mu       sync.Mutex
	index    map[string]Key      // every key by id; as big as the table, whatever ids are presented
	missed   map[string]struct{} // ids looked up since the last read and not found; at most MissLookups
	lookups  int                 // ids looked up one by one since the last read
	loadedAt time.Time           // zero before the first read
	readErr  error               // the last read's failure, answered until retryAt
	retryAt  time.Time

	blockMu sync.Mutex
	blocked map[string]time.Time // client address block -> end of its failure period
}

// NewAuth returns an Auth over the key store and the limiter store (the
// ulule/limiter Redis store in production). ttl is how long the keys read
// are reused (DefaultCacheTTL when zero): the key store is asked at most
// 1 + MissLookups times per ttl, however many requests arrive and whatever
// keys they carry.
func NewAuth(keys KeyStore, store limiter.Store, log *slog.Logger, ttl time.Duration) *Auth {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Auth{keys: keys, store: store, log: log, ttl: ttl, now: time.Now, blocked: map[string]time.Time{}}
}

// KeyID returns the id of the key Require authenticated, "" when none.
func KeyID(c *gin.Context) string {
	return c.GetString(ctxKeyID)
}

// Require authenticates the request's bearer key, checks that the key
// holds scope and counts the request against the key's quota, setting
// the X-RateLimit-* headers. It answers 401 unauthorized, 403 forbidden,
// 429 rate_limited (the quota is used up, or the client address made too
// many failed attempts), or 503 unavailable when its stores fail.
//
// The scope is checked before the quota is counted: a refused request
// does nothing, so it costs nothing. Its answer still carries the quota's
// headers, read without counting.
func (a *Auth) Require(scope Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		addr := addrBlock(c)
		if until, ok := a.isBlocked(addr); ok {
			a.tooManyFailures(c, until)
			return
		}
		k, ok := a.authenticate(c, addr)
		if !ok {
			return
		}
		if !k.Has(scope) {
			if _, ok := a.quota(c, k, false); ok {
				httpapi.Abort(c, http.StatusForbidden, "forbidden", "this API key lacks the scope "+string(scope), "")
			}
			return
		}
		lc, ok := a.quota(c, k, true)
		if !ok {
			return
		}
		if lc.Reached {
			wait := time.Unix(lc.Reset, 0).Sub(a.now())
			httpapi.AbortRetry(c, http.StatusTooManyRequests, wait, "rate_limited", "this API key's quota is used up; retry later")
			return
		}
		c.Set(ctxKeyID, k.ID)
		c.Next()
	}
}

func (a *Auth) authenticate(c *gin.Context, addr string) (Key, bool) {
	id, secret, ok := bearerKey(c.GetHeader("Authorization"))
	if !ok {
		unauthorized(c, "missing or malformed API key: send Authorization: Bearer lapor_<id>_<secret>")
		return Key{}, false
	}
	k, err := a.lookup(c.Request.Context(), id)
	if errors.Is(err, ErrNotFound) {
		a.failed(c, addr)
		return Key{}, false
	}
	if err != nil {
		httpapi.Unavailable(c, a.log, unavailableRetry, "authenticate API key", err)
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	if k.Revoked() || subtle.ConstantTimeCompare([]byte(hashHex(sum)), []byte(k.Hash)) != 1 {
		a.failed(c, addr)
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

// lookup returns the key with id from the keys last read, reading them
// again when they are older than the ttl. An id not among them is looked
// up on its own while the period's MissLookups (spent only by ids that
// turn out not to be keys) last, and is ErrNotFound without a query after
// that.
func (a *Auth) lookup(ctx context.Context, id string) (Key, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.index == nil || now.Sub(a.loadedAt) >= a.ttl {
		if err := a.reload(ctx, now); err != nil {
			return Key{}, err
		}
	}
	if k, ok := a.index[id]; ok {
		return k, nil
	}
	if _, ok := a.missed[id]; ok || a.lookups >= MissLookups {
		return Key{}, ErrNotFound
	}
	a.lookups++
	rctx, cancel := readContext(ctx)
	defer cancel()
	k, err := a.keys.Get(rctx, id)
	if errors.Is(err, ErrNotFound) {
		a.missed[id] = struct{}{}
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("look up API key: %w", err)
	}
	// Only ids that are not keys use up the period's lookups: a real key
	// joins the index and is never looked up again, so an operator who
	// makes many keys at once does not see the newest refused.
	a.lookups--
	a.index[id] = k
	return k, nil
}

// reload reads every key; a.mu is held. After a failure the same error is
// answered for a second (or the ttl, if shorter) rather than asking a
// failing store again for every request.
func (a *Auth) reload(ctx context.Context, now time.Time) error {
	if a.readErr != nil && now.Before(a.retryAt) {
		return a.readErr
	}
	rctx, cancel := readContext(ctx)
	defer cancel()
	keys, err := a.keys.List(rctx)
	if err != nil {
		a.readErr, a.retryAt = fmt.Errorf("read API keys: %w", err), now.Add(min(time.Second, a.ttl))
		return a.readErr
	}
	index := make(map[string]Key, len(keys))
	for _, k := range keys {
		index[k.ID] = k
	}
	a.index, a.missed, a.lookups, a.loadedAt, a.readErr = index, map[string]struct{}{}, 0, now, nil
	return nil
}

// readContext is the context keys are read with. What is read serves every
// request, so one client leaving does not abort it; the timeout bounds how
// long the others wait.
func readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// quota reads the key's quota, counting this request when count, and sets
// the X-RateLimit-* headers. It answers the request itself (500 or 503)
// and returns false when the quota cannot be read.
func (a *Auth) quota(c *gin.Context, k Key, count bool) (limiter.Context, bool) {
	quota, err := rate.Parse(k.Quota)
	if err != nil {
		// Create validates quotas, so this is a stored row gone bad.
		a.log.Error("API key has a bad quota", "key_id", k.ID, "err", err)
		httpapi.Abort(c, http.StatusInternalServerError, "internal", "internal error", "")
		return limiter.Context{}, false
	}
	read := a.store.Peek
	if count {
		read = a.store.Get
	}
	lc, err := read(c.Request.Context(), "key:"+k.ID, quota)
	if err != nil {
		httpapi.Unavailable(c, a.log.With("key_id", k.ID), unavailableRetry, "count API key quota", err)
		return limiter.Context{}, false
	}
	setRateHeaders(c, lc)
	return lc, true
}

func setRateHeaders(c *gin.Context, lc limiter.Context) {
	c.Header("X-RateLimit-Limit", strconv.FormatInt(lc.Limit, 10))
	c.Header("X-RateLimit-Remaining", strconv.FormatInt(lc.Remaining, 10))
	c.Header("X-RateLimit-Reset", strconv.FormatInt(lc.Reset, 10))
}

// failed counts a failed authentication against the client's address and
// answers 401, or 429 once the address is over failureRate. The count is
// kept in the limiter store, so that every replica sees it; each replica
// remembers an address it found over the limit and refuses it at once,
// without asking the store, until the period ends.
func (a *Auth) failed(c *gin.Context, addr string) {
	lc, err := a.store.Get(c.Request.Context(), "authfail:"+addr, failureRate)
	if err != nil {
		// Counting is a guard, not the answer: the key is still wrong.
		a.log.Warn("count failed API key authentication", "err", err)
		unauthorized(c, "unknown or revoked API key")
		return
	}
	if !lc.Reached {
		unauthorized(c, "unknown or revoked API key")
		return
	}
	until := time.Unix(lc.Reset, 0)
	a.block(addr, until)
	a.tooManyFailures(c, until)
}

// tooManyFailures answers 429 to an address over the failure limit.
func (a *Auth) tooManyFailures(c *gin.Context, until time.Time) {
	setRateHeaders(c, limiter.Context{Limit: failureRate.Limit, Remaining: 0, Reset: until.Unix()})
	httpapi.AbortRetry(c, http.StatusTooManyRequests, until.Sub(a.now()), "rate_limited",
		"too many failed API key attempts from this address; retry later")
}

func (a *Auth) isBlocked(addr string) (time.Time, bool) {
	a.blockMu.Lock()
	defer a.blockMu.Unlock()
	until, ok := a.blocked[addr]
	if ok && !a.now().Before(until) {
		delete(a.blocked, addr)
		return time.Time{}, false
	}
	return until, ok
}

func (a *Auth) block(addr string, until time.Time) {
	a.blockMu.Lock()
	defer a.blockMu.Unlock()
	if len(a.blocked) >= maxBlocked {
		now := a.now()
		for k, u := range a.blocked {
			if !now.Before(u) {
				delete(a.blocked, k)
			}
		}
		if len(a.blocked) >= maxBlocked {
			// Still full: forget them all rather than grow; the store
			// still counts, so they are found again at their next failure.
			clear(a.blocked)
		}
	}
	a.blocked[addr] = until
}

// addrBlock is what failed authentications are counted by: a hash of the
// client's host (netblock.Host), so the limiter's store holds no address.
// The address is as gin resolves it, believing forwarding headers only
// from trusted proxies; one that does not parse shares one count with all
// such clients rather than escaping counting.
func addrBlock(c *gin.Context) string {
	addr, _ := netip.ParseAddr(c.ClientIP())
	sum := sha256.Sum256([]byte("lapor-auth-failures\x00" + netblock.Host(addr).String()))
	return hex.EncodeToString(sum[:16])
}
