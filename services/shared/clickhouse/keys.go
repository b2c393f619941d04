package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// APIKey is a partner API key as the api_keys table holds it: the hash of
// its secret, never the secret.
type APIKey struct {
	ID        string
	Name      string
	Hash      string // hex SHA-256 of the secret
	Scopes    []string
	Quota     string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key works
	Version   uint64
}

// KeyStore is the web's store of partner API keys (table api_keys, a
// ReplacingMergeTree: the row with the highest version wins). The partner
// package declares the part of it that it uses; making keys, hashing
// their secrets and checking them stay there.
type KeyStore struct{ conn driver.Conn }

// NewKeyStore returns the key store over conn.
func NewKeyStore(conn driver.Conn) *KeyStore { return &KeyStore{conn: conn} }

const keyColumns = "id, name, hash, scopes, quota, created_at, revoked_at, version"

// SaveKey writes a key's current state. The table has no NULL: a key
// that works is stored with the Unix epoch as its revocation time.
func (s *KeyStore) SaveKey(ctx context.Context, k APIKey) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO api_keys ("+keyColumns+")")
	if err != nil {
		return fmt.Errorf("prepare api_keys insert: %w", err)
	}
	revoked := k.RevokedAt
	if revoked.IsZero() {
		revoked = time.Unix(0, 0)
	}
	if err := batch.Append(k.ID, k.Name, k.Hash, k.Scopes, k.Quota, k.CreatedAt.UTC(), revoked.UTC(), k.Version); err != nil {
		batch.Abort()
		return fmt.Errorf("append API key %s: %w", k.ID, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert API key %s: %w", k.ID, err)
	}
	return nil
}

// Key returns the key with id; ok is false when there is none.
func (s *KeyStore) Key(ctx context.Context, id string) (k APIKey, ok bool, err error) {
	keys, err := s.query(ctx, " WHERE id = ?", id)
	if err != nil || len(keys) == 0 {
		return APIKey{}, false, err
	}
	return keys[0], true, nil
}

// Keys returns every key, revoked ones included, oldest first.
func (s *KeyStore) Keys(ctx context.Context) ([]APIKey, error) {
	return s.query(ctx, "")
}

func (s *KeyStore) query(ctx context.Context, where string, args ...any) ([]APIKey, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+keyColumns+" FROM api_keys FINAL"+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("query API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		if err := rows.Scan(&k.ID, &k.Name, &k.Hash, &k.Scopes, &k.Quota, &k.CreatedAt, &k.RevokedAt, &k.Version); err != nil {
			return nil, fmt.Errorf("scan API key: %w", err)
		}
		if k.RevokedAt.Unix() <= 0 {
			k.RevokedAt = time.Time{} // the epoch stands for "not revoked"
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read API keys: %w", err)
	}
	return out, nil
}
