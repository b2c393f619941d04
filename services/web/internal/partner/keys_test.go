package partner_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/web/internal/partner"
)

func TestKeysCreateListRevokeKeepOnlyAHash(t *testing.T) {
	f := newFixture(t)
	k, full, err := f.keys.Create(f.ctx, "Newsroom", []partner.Scope{partner.ScopeAlerts, partner.ScopeSeries}, "")
	if err != nil {
		t.Fatal(err)
	}
	id, secret, ok := partner.ParseKey(full)
	if !ok || id != k.ID || !strings.HasPrefix(full, "lapor_"+k.ID+"_") {
		t.Fatalf("key %q does not read as lapor_<id>_<secret> of %s", full, k.ID)
	}
	sum := sha256.Sum256([]byte(secret))
	if k.Hash != hex.EncodeToString(sum[:]) || k.Quota != partner.DefaultQuota {
		t.Errorf("stored hash %q quota %q", k.Hash, k.Quota)
	}

	// Nothing stored holds the secret.
	rows, err := f.conn.Query(f.ctx, "SELECT concat(id, name, hash, arrayStringConcat(scopes, ','), quota) FROM api_keys")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s, secret) {
			t.Error("the key's secret is stored")
		}
	}
	rows.Close()

	other, _, err := f.keys.Create(f.ctx, "Vendor", []partner.Scope{partner.ScopeWebhooks}, "10-S")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.keys.Revoke(f.ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	list, err := f.keys.List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("listed %d keys, want 2", len(list))
	}
	for _, got := range list {
		switch got.ID {
		case k.ID:
			if !got.Revoked() || got.Name != "Newsroom" || !slices.Equal(got.Scopes, k.Scopes) {
				t.Errorf("revoked key listed as %+v", got)
			}
		case other.ID:
			if got.Revoked() || got.Quota != "10-S" || !got.Has(partner.ScopeWebhooks) || got.Has(partner.ScopeAlerts) {
				t.Errorf("live key listed as %+v", got)
			}
		default:
			t.Errorf("unexpected key %s", got.ID)
		}
	}
	if _, err := f.keys.Revoke(f.ctx, "0000000000000000"); !errors.Is(err, partner.ErrNotFound) {
		t.Errorf("revoking an unknown key: %v, want ErrNotFound", err)
	}
}

func TestKeysRefuseBadInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		key    string
		scopes []partner.Scope
		quota  string
	}{
		{"no name", " ", []partner.Scope{partner.ScopeAlerts}, ""},
		{"no scope", "x", nil, ""},
		{"bad quota", "x", []partner.Scope{partner.ScopeAlerts}, "lots"},
		{"zero quota", "x", []partner.Scope{partner.ScopeAlerts}, "0-M"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := f.keys.Create(f.ctx, tt.key, tt.scopes, tt.quota); err == nil {
				t.Error("created")
			}
		})
	}
	if _, err := partner.ParseScopes("alerts:read,admin"); err == nil {
		t.Error("an unknown scope was accepted")
	}
	if got, err := partner.ParseScopes(" alerts:read, series:read,alerts:read "); err != nil || len(got) != 2 {
		t.Errorf("ParseScopes = %v, %v", got, err)
	}
}
