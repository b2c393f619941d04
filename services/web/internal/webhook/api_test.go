package webhook

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/httpapi"
)

type listJSON struct {
	Webhooks []webhookJSON `json:"webhooks"`
}

func TestWebhookLifecycle(t *testing.T) {
	r := newRig(t, false)
	var c webhookJSON
	resp := r.call(t, "keyA", http.MethodPost, "/v1/webhooks", map[string]any{
		"url":         "https://hooks.example.com/lapor",
		"filter":      map[string]any{"services": []string{"WhatsApp", "gojek", "whatsapp"}, "countries": []string{"id"}, "levels": []string{"detected"}},
		"description": "  newsroom desk  ",
	}, &c)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d", resp.StatusCode)
	}
	if !regexp.MustCompile(`^whsec_[0-9a-f]{64}$`).MatchString(c.Secret) || resp.Header.Get("Location") != "/v1/webhooks/"+c.ID {
		t.Fatalf("create answered secret %q, Location %q", c.Secret, resp.Header.Get("Location"))
	}
	wantFilter := filterJSON{Services: []string{"whatsapp", "gojek"}, Countries: []string{"ID"}, Levels: []string{"detected"}}
	if !slices.Equal(c.Filter.Services, wantFilter.Services) || !slices.Equal(c.Filter.Countries, wantFilter.Countries) || c.Description != "newsroom desk" {
		t.Errorf("create normalised to %+v, want filter %+v and a trimmed description", c, wantFilter)
	}
	stored, found, err := r.store.Get(r.ctx, "keyA", c.ID)
	if err != nil || !found || stored.Secret != c.Secret {
		t.Fatalf("stored webhook %+v, %v, %v: the dispatcher needs the secret", stored, found, err)
	}

	var got webhookJSON
	if resp := r.call(t, "keyA", http.MethodGet, "/v1/webhooks/"+c.ID, nil, &got); resp.StatusCode != http.StatusOK || got.ID != c.ID || got.Secret != "" {
		t.Errorf("get: status %d, %+v (the secret must not be shown again)", resp.StatusCode, got)
	}
	var list listJSON
	r.call(t, "keyA", http.MethodGet, "/v1/webhooks", nil, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].ID != c.ID || list.Webhooks[0].Secret != "" {
		t.Errorf("list = %+v, want the one webhook without its secret", list)
	}
	if ds := r.deliveries(t, "keyA", c.ID, "?status=dead&limit=5"); len(ds) != 0 {
		t.Errorf("new webhook has deliveries %v", ds)
	}
	if resp := r.call(t, "keyA", http.MethodDelete, "/v1/webhooks/"+c.ID, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	if resp := r.call(t, "keyA", http.MethodGet, "/v1/webhooks/"+c.ID, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("get after delete: status %d, want 404", resp.StatusCode)
	}
	r.call(t, "keyA", http.MethodGet, "/v1/webhooks", nil, &list)
	if len(list.Webhooks) != 0 {
		t.Errorf("list after delete = %+v", list)
	}
	if active, err := r.store.Active(r.ctx); err != nil || len(active) != 0 {
		t.Errorf("the dispatcher would still see %v (%v)", active, err)
	}
}

func TestWebhooksAreTheirOwnersOnly(t *testing.T) {
	r := newRig(t, false)
	mine := r.subscribe(t, "keyA", "https://hooks.example.com/a", lapor.AlertFilter{})
	var list listJSON
	r.call(t, "keyB", http.MethodGet, "/v1/webhooks", nil, &list)
	if len(list.Webhooks) != 0 {
		t.Errorf("keyB lists %+v", list.Webhooks)
	}
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/v1/webhooks/" + mine.ID},
		{http.MethodGet, "/v1/webhooks/" + mine.ID + "/deliveries"},
		{http.MethodDelete, "/v1/webhooks/" + mine.ID},
		{http.MethodGet, "/v1/webhooks/wh_000000000000000000000000"},
		{http.MethodGet, "/v1/webhooks/not-an-id"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var e httpapi.ErrorBody
			resp := r.call(t, "keyB", tt.method, tt.path, nil, &e)
			if resp.StatusCode != http.StatusNotFound || e.Error.Code != "not_found" {
				t.Errorf("status %d %+v, want 404 not_found", resp.StatusCode, e)
			}
		})
	}
	if _, found, err := r.store.Get(r.ctx, "keyA", mine.ID); err != nil || !found {
		t.Errorf("keyB's delete touched keyA's webhook: %v, %v", found, err)
	}
	if resp := r.call(t, "", http.MethodGet, "/v1/webhooks", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a key: status %d, want 401", resp.StatusCode)
	}
}

func TestCreateWebhookRefusesBadRequests(t *testing.T) {
	r := newRig(t, false)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"loopback URL", `{"url":"http://127.0.0.1:8080/h"}`, 400, "invalid_url", "url"},
		{"metadata URL", `{"url":"http://169.254.169.254/latest"}`, 400, "invalid_url", "url"},
		{"private name", `{"url":"https://internal.example.com/h"}`, 400, "invalid_url", "url"},
		{"localhost", `{"url":"http://localhost/h"}`, 400, "invalid_url", "url"},
		{"not http", `{"url":"gopher://hooks.example.com/h"}`, 400, "invalid_url", "url"},
		{"no URL", `{"filter":{}}`, 400, "invalid_url", "url"},
		{"unknown service", `{"url":"https://hooks.example.com/h","filter":{"services":["nope"]}}`, 400, "invalid_filter", "filter.services"},
		{"bad country", `{"url":"https://hooks.example.com/h","filter":{"countries":["IDN"]}}`, 400, "invalid_filter", "filter.countries"},
		{"bad level", `{"url":"https://hooks.example.com/h","filter":{"levels":["severe"]}}`, 400, "invalid_filter", "filter.levels"},
		{"unknown field", `{"url":"https://hooks.example.com/h","secret":"mine"}`, 400, "malformed_json", "secret"},
		{"unknown filter field", `{"url":"https://hooks.example.com/h","filter":{"service":["whatsapp"]}}`, 400, "malformed_json", "service"},
		{"wrong type", `{"url":42}`, 400, "malformed_json", "url"},
		{"duplicate key", `{"url":"https://hooks.example.com/h","URL":"https://hooks.example.com/other"}`, 400, "malformed_json", "URL"},
		{"duplicate nested key", `{"url":"https://hooks.example.com/h","filter":{"levels":["possible"],"levels":["detected"]}}`, 400, "malformed_json", ""},
		{"not JSON", `url=https://hooks.example.com`, 400, "malformed_json", ""},
		{"two objects", `{"url":"https://hooks.example.com/h"}{}`, 400, "malformed_json", ""},
		{"empty", ``, 400, "malformed_json", ""},
		{"long description", `{"url":"https://hooks.example.com/h","description":"` + strings.Repeat("x", MaxDescription+1) + `"}`, 400, "invalid_parameter", "description"},
		{"too large", `{"url":"https://hooks.example.com/h","description":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "body_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e httpapi.ErrorBody
			resp := r.call(t, "keyA", http.MethodPost, "/v1/webhooks", tt.body, &e)
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Field != tt.field {
				t.Errorf("status %d %+v, want %d %s on %q", resp.StatusCode, e.Error, tt.status, tt.code, tt.field)
			}
		})
	}
	var list listJSON
	if r.call(t, "keyA", http.MethodGet, "/v1/webhooks", nil, &list); len(list.Webhooks) != 0 {
		t.Errorf("refused requests created %+v", list.Webhooks)
	}
}

func TestWebhookLimitPerKey(t *testing.T) {
	r := newRig(t, false)
	for range MaxPerOwner {
		r.subscribe(t, "keyA", "https://hooks.example.com/h", lapor.AlertFilter{})
	}
	var e httpapi.ErrorBody
	resp := r.call(t, "keyA", http.MethodPost, "/v1/webhooks", `{"url":"https://hooks.example.com/h"}`, &e)
	if resp.StatusCode != http.StatusConflict || e.Error.Code != "too_many_webhooks" {
		t.Errorf("webhook %d: status %d %+v, want 409 too_many_webhooks", MaxPerOwner+1, resp.StatusCode, e)
	}
	r.subscribe(t, "keyB", "https://hooks.example.com/h", lapor.AlertFilter{}) // other keys are not limited by it
}

func TestDeliveriesParameters(t *testing.T) {
	r := newRig(t, false)
	c := r.subscribe(t, "keyA", "https://hooks.example.com/h", lapor.AlertFilter{})
	for _, q := range []string{"?status=lost", "?limit=0", "?limit=1001", "?limit=ten"} {
		t.Run(q, func(t *testing.T) {
			var e httpapi.ErrorBody
			resp := r.call(t, "keyA", http.MethodGet, "/v1/webhooks/"+c.ID+"/deliveries"+q, nil, &e)
			if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_parameter" {
				t.Errorf("status %d %+v, want 400 invalid_parameter", resp.StatusCode, e)
			}
		})
	}
}
