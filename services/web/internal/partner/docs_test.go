package partner

import (
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lapor/lapor/api"
)

func TestDocsPage(t *testing.T) {
	page, err := renderDocs(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	tests := []struct{ name, want string }{
		{"viewport", `<meta name="viewport" content="width=device-width,initial-scale=1">`},
		{"bearer", "Authorization: Bearer lapor_&lt;id&gt;_&lt;secret&gt;"},
		{"how keys are made", "web keys create -name"},
		{"scopes", "<code>webhooks:manage</code>"},
		{"quota headers", "X-RateLimit-Remaining"},
		{"429", "<code>429</code> with <code>Retry-After</code>"},
		{"contents", `<nav aria-label="Contents">`},
		{"stream resumes", `curl -sS -N -H &#34;Authorization: Bearer $LAPOR_KEY&#34; -H &#34;Last-Event-ID: $CURSOR&#34;`},
		{"alerts since", `/v1/alerts?since=$CURSOR`},
		{"Go verification", "func verifyLapor("},
		{"code blocks scroll in their box", "pre{background:#f4f4f4;padding:.75rem;overflow-x:auto"},
		{"tables scroll in their box", "table{display:block;max-width:100%;overflow-x:auto"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(html, tc.want) {
				t.Errorf("docs lack %q", tc.want)
			}
		})
	}
	// Every link of the contents leads somewhere on the page.
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(html, `id="`+m[1]+`"`) {
			t.Errorf("contents link #%s has no target", m[1])
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, " style=") {
		t.Error("docs carry a script or an inline style attribute, which the CSP refuses")
	}
}

// Every partner operation shows a curl command, and each command calls
// its own path with its own method.
func TestDocsExamples(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	page, err := renderDocs(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range item.Operations() {
			t.Run(op.OperationID, func(t *testing.T) {
				seen[op.OperationID] = true
				ex, ok := docsExamples[op.OperationID]
				if !ok {
					t.Fatalf("%s %s has no curl example in docsExamples", method, path)
				}
				// The path with its parameters filled in by shell variables
				// or sample values: compare the fixed parts.
				re := "\\$LAPOR_URL" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/?"]+`) + `[?"]`
				if !regexp.MustCompile(re).MatchString(ex) {
					t.Errorf("example does not call %s:\n%s", path, ex)
				}
				if hasX := strings.Contains(ex, "-X "+method); method != http.MethodGet && !hasX || method == http.MethodGet && strings.Contains(ex, "-X ") {
					t.Errorf("example does not use %s:\n%s", method, ex)
				}
				if needsKey := op.Security == nil || len(*op.Security) > 0; needsKey != strings.Contains(ex, "Authorization: Bearer $LAPOR_KEY") {
					t.Errorf("example sends a key: %v, operation needs one: %v", !needsKey, needsKey)
				}
				if !strings.Contains(string(page), template.HTMLEscapeString(ex)) {
					t.Error("example is not on the page")
				}
			})
		}
	}
	for id := range docsExamples {
		if !seen[id] {
			t.Errorf("docsExamples has %q, which is no /v1 operation", id)
		}
	}
}
