// Package partner is the partner API under /v1: API keys with scopes and
// quotas, the alert pull endpoint and event stream, service stats,
// incidents, feeds and the API's documentation.
package partner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/rate"
)

// ErrNotFound says there is no key with the id given.
var ErrNotFound = errors.New("unknown API key")

// DefaultQuota is a new key's quota unless one is given.
const DefaultQuota = "600-M"

// Key is an API key as stored: its secret is never kept, only its hash.
type Key struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hash      string    `json:"-"` // hex SHA-256 of the secret
	Scopes    []Scope   `json:"scopes"`
	Quota     string    `json:"quota"` // ulule/limiter format, e.g. 600-M
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at"` // zero while the key works
	Version   uint64    `json:"-"`
}

// Has says whether the key holds scope.
func (k Key) Has(s Scope) bool { return slices.Contains(k.Scopes, s) }

// Revoked says whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() && k.RevokedAt.Unix() > 0 }

var keyRE = regexp.MustCompile(`^lapor_([0-9a-f]{16})_([0-9a-f]{64})$`)

// ParseKey splits a presented key "lapor_<id>_<secret>" into its id and
// secret.
func ParseKey(s string) (id, secret string, ok bool) {
	m := keyRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ParseScopes parses a comma-separated scope list, refusing unknown ones.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(Scopes, Scope(p)) {
			return nil, fmt.Errorf("unknown scope %q (known: %s)", p, joinScopes(Scopes))
		}
		if !slices.Contains(out, Scope(p)) {
			out = append(out, Scope(p))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("at least one scope is required")
	}
	return out, nil
}

func joinScopes(ss []Scope) string {
	strs := make([]string, len(ss))
	for i, s := range ss {
		strs[i] = string(s)
	}
	return strings.Join(strs, ",")
}

func hashHex(sum [sha256.Size]byte) string { return hex.EncodeToString(sum[:]) }

// KeyStorage is where Keys keeps API keys: clickhouse.KeyStore holds the
// SQL. Making keys, hashing their secrets and revoking them stay here.
type KeyStorage interface {
	// SaveKey writes a key's current state; the highest version wins.
	SaveKey(ctx context.Context, k clickhouse.APIKey) error
	// Key returns the key with id; ok is false when there is none.
	Key(ctx context.Context, id string) (k clickhouse.APIKey, ok bool, err error)
	// Keys returns every key, revoked ones included, oldest first.
	Keys(ctx context.Context) ([]clickhouse.APIKey, error)
}

// Keys are stored in ClickHouse.
var _ KeyStorage = (*clickhouse.KeyStore)(nil)

// Keys makes, lists and revokes API keys kept in a KeyStorage.
type Keys struct {
	store KeyStorage
	now   func() time.Time
}

// NewKeys returns the API keys kept in store.
func NewKeys(store KeyStorage) *Keys { return &Keys{store: store, now: time.Now} }

// Create makes a new key and returns it with the full key to hand to the
// partner, which is not kept anywhere and cannot be shown again.
func (ks *Keys) Create(ctx context.Context, name string, scopes []Scope, quota string) (Key, string, error) {
	if strings.TrimSpace(name) == "" {
		return Key{}, "", errors.New("create API key: a name is required")
	}
	if len(scopes) == 0 {
		return Key{}, "", errors.New("create API key: at least one scope is required")
	}
	if quota == "" {
		quota = DefaultQuota
	}
	if _, err := rate.Parse(quota); err != nil {
		return Key{}, "", fmt.Errorf("create API key: %w", err)
	}
	var idb [8]byte
	var secb [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Key{}, "", fmt.Errorf("create API key id: %w", err)
	}
	if _, err := rand.Read(secb[:]); err != nil {
		return Key{}, "", fmt.Errorf("create API key secret: %w", err)
	}
	secret := hex.EncodeToString(secb[:])
	now := ks.now().UTC().Truncate(time.Second)
	k := Key{
		ID:        hex.EncodeToString(idb[:]),
		Name:      strings.TrimSpace(name),
		Hash:      hashHex(sha256.Sum256([]byte(secret))),
		Scopes:    scopes,
		Quota:     quota,
		CreatedAt: now,
		Version:   uint64(ks.now().UnixNano()),
	}
	if err := ks.save(ctx, k); err != nil {
		return Key{}, "", fmt.Errorf("create API key: %w", err)
	}
	return k, "lapor_" + k.ID + "_" + secret, nil
}

// Revoke marks the key revoked; it fails with ErrNotFound for an unknown
// id. Revoking twice keeps the first time.
func (ks *Keys) Revoke(ctx context.Context, id string) (Key, error) {
	k, err := ks.Get(ctx, id)
	if err != nil {
		return Key{}, fmt.Errorf("revoke API key %s: %w", id, err)
	}
	if k.Revoked() {
		return k, nil
	}
	k.RevokedAt = ks.now().UTC().Truncate(time.Second)
	k.Version = max(k.Version+1, uint64(ks.now().UnixNano()))
	if err := ks.save(ctx, k); err != nil {
		return Key{}, fmt.Errorf("revoke API key %s: %w", id, err)
	}
	return k, nil
}

func (ks *Keys) save(ctx context.Context, k Key) error {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	return ks.store.SaveKey(ctx, clickhouse.APIKey{
		ID: k.ID, Name: k.Name, Hash: k.Hash, Scopes: scopes, Quota: k.Quota,
		CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt, Version: k.Version,
	})
}

// Get returns the key with id, or ErrNotFound.
func (ks *Keys) Get(ctx context.Context, id string) (Key, error) {
	row, ok, err := ks.store.Key(ctx, id)
	if err != nil {
		return Key{}, err
	}
	if !ok {
		return Key{}, ErrNotFound
	}
	return keyOf(row), nil
}

// List returns every key, revoked ones included, oldest first.
func (ks *Keys) List(ctx context.Context) ([]Key, error) {
	rows, err := ks.store.Keys(ctx)
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, row := range rows {
		out = append(out, keyOf(row))
	}
	return out, nil
}

// keyOf is the key a stored row holds.
func keyOf(row clickhouse.APIKey) Key {
	k := Key{ID: row.ID, Name: row.Name, Hash: row.Hash, Quota: row.Quota,
		CreatedAt: row.CreatedAt, RevokedAt: row.RevokedAt, Version: row.Version}
	for _, s := range row.Scopes {
		k.Scopes = append(k.Scopes, Scope(s))
	}
	return k
}
