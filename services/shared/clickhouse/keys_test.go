package clickhouse_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestKeyStore checks that keys read back as saved, the newest version of
// each, oldest first, with a working key's revocation time zero.
func TestKeyStore(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	s := clickhouse.NewKeyStore(env.Migrated(t))
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	older := clickhouse.APIKey{ID: "00000000000000aa", Name: "Newsroom", Hash: "h1", Scopes: []string{"alerts:read", "series:read"},
		Quota: "600-M", CreatedAt: t0, Version: 1}
	newer := clickhouse.APIKey{ID: "00000000000000bb", Name: "Vendor", Hash: "h2", Scopes: []string{"webhooks:manage"},
		Quota: "10-S", CreatedAt: t0.Add(time.Hour), Version: 1}
	revoked := older
	revoked.RevokedAt, revoked.Version = t0.Add(2*time.Hour), 2
	for _, k := range []clickhouse.APIKey{newer, older, revoked} {
		if err := s.SaveKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		id     string
		want   clickhouse.APIKey
		wantOK bool
	}{
		{"revoked, newest version", older.ID, revoked, true},
		{"working", newer.ID, newer, true},
		{"unknown", "0000000000000000", clickhouse.APIKey{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := s.Key(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || !sameKey(got, tt.want) {
				t.Errorf("Key(%s) = %+v, %v; want %+v, %v", tt.id, got, ok, tt.want, tt.wantOK)
			}
		})
	}

	all, err := s.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || !sameKey(all[0], revoked) || !sameKey(all[1], newer) {
		t.Errorf("Keys = %+v, want the revoked key then the working one", all)
	}
}

func sameKey(a, b clickhouse.APIKey) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Hash == b.Hash && slices.Equal(a.Scopes, b.Scopes) &&
		a.Quota == b.Quota && a.CreatedAt.Equal(b.CreatedAt) && a.RevokedAt.Equal(b.RevokedAt) &&
		a.RevokedAt.IsZero() == b.RevokedAt.IsZero() && a.Version == b.Version
}
