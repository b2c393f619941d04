package main

import (
	"io"
	"strings"
	"testing"

	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/internal/partner"
)

func TestKeysCommand(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	getenv := func(string) string { return "" }
	if err := run(ctx, append([]string{"migrate"}, commonArgs(cfg)...), getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	keys := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(ctx, append([]string{"keys"}, append(args, commonArgs(cfg)...)...), getenv, &out, io.Discard)
		return out.String(), err
	}
	// Flags go before a positional id, as the flag package reads them.
	keysID := func(action, id string) (string, error) {
		var out strings.Builder
		err := run(ctx, append(append([]string{"keys", action}, commonArgs(cfg)...), id), getenv, &out, io.Discard)
		return out.String(), err
	}

	out, err := keys("create", "-name", "Newsroom", "-scopes", "alerts:read,series:read", "-quota", "60-M")
	if err != nil {
		t.Fatal(err)
	}
	id, _, ok := partner.ParseKey(strings.TrimSpace(out))
	if !ok {
		t.Fatalf("create printed %q, want only the key", out)
	}
	out, err = keys("list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "alerts:read,series:read") || !strings.Contains(out, "60-M") {
		t.Fatalf("list = %q, %v", out, err)
	}
	if out, err = keysID("revoke", id); err != nil || !strings.Contains(out, "revoked "+id) {
		t.Fatalf("revoke = %q, %v", out, err)
	}
	out, _ = keys("list")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, id) && strings.HasSuffix(strings.TrimSpace(line), " -") {
			t.Errorf("list after revoke shows the key live: %q", line)
		}
	}

	bad := [][]string{
		{},
		{"rotate"},
		{"create", "-name", "x", "-scopes", "admin"},
		{"create", "-name", "x", "-scopes", "alerts:read", "-quota", "many"},
		{"revoke"},
		{"list", "extra"},
	}
	for _, args := range bad {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if _, err := keys(args...); err == nil {
				t.Error("accepted")
			}
		})
	}
}
