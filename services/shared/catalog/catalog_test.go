package catalog_test

import (
	"testing"

	"github.com/lapor/lapor/services/shared/catalog"
)

func TestSeedValid(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() == 0 {
		t.Fatal("empty catalog")
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", "{"},
		{"bad slug", `[{"slug":"Bad Slug","name":"x","indicators":["app"]}]`},
		{"dup slug", `[{"slug":"a","name":"x","indicators":["app"]},{"slug":"a","name":"y","indicators":["app"]}]`},
		{"no indicators", `[{"slug":"a","name":"x","indicators":[]}]`},
		{"no name", `[{"slug":"a","indicators":["app"]}]`},
		{"script status page", `[{"slug":"a","name":"x","status_url":"javascript:alert(1)","indicators":["app"]}]`},
		{"plain http status page", `[{"slug":"a","name":"x","status_url":"http://status.example.com","indicators":["app"]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := catalog.Parse([]byte(tt.in)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestGet(t *testing.T) {
	c, err := catalog.Parse([]byte(`[{"slug":"b","name":"B","indicators":["app","login"]},{"slug":"a","name":"A","indicators":["app"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := c.Get("b")
	if !ok || !s.HasIndicator("login") || s.HasIndicator("payments") {
		t.Fatalf("Get(b) = %+v, %v", s, ok)
	}
	if c.All()[0].Slug != "a" {
		t.Fatal("not sorted by name")
	}
	if _, ok := c.Get("zzz"); ok {
		t.Fatal("found unknown slug")
	}
}
