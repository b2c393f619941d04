package partner

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/lapor/lapor/api"
)

// docsStyle is the docs page's only style. The page carries no script,
// and its CSP allows this style by hash and nothing else.
const docsStyle = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h2{margin-top:2.5rem;border-bottom:1px solid #ddd}h3{font-family:ui-monospace,monospace;font-size:1rem;margin-top:2rem}
.m{display:inline-block;min-width:4rem;font-weight:bold}td p{margin:0}
pre{background:#f4f4f4;padding:.75rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}`

var docsCSP = func() string {
	sum := sha256.Sum256([]byte(docsStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// markdown renders the document's descriptions, which are CommonMark
// with tables. Raw HTML in them is left out, never passed through.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table))

func renderMarkdown(s string) (template.HTML, error) {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(s), &b); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return template.HTML(b.String()), nil // goldmark escapes text and drops raw HTML
}

var docsTmpl = template.Must(template.New("docs").Funcs(template.FuncMap{"md": renderMarkdown}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} — partner API</title><style>{{.Style}}</style></head>
<body><h1>{{.Title}} — partner API {{.Version}}</h1>
<p>The machine-readable contract: <a href="/v1/openapi.yaml">/v1/openapi.yaml</a> (OpenAPI 3).</p>
<div>{{md .Description}}</div>
{{range .Ops}}<h3 id="{{.ID}}"><span class="m">{{.Method}}</span> {{.Path}}</h3>
<p><b>{{.Summary}}</b>{{if .Scope}} — API key with scope <code>{{.Scope}}</code>{{else}} — public, no key{{end}}</p>
{{if .Description}}<div>{{md .Description}}</div>{{end}}
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{if .Required}}yes{{end}}</td><td>{{md .Description}}</td></tr>
{{end}}</table>{{end}}
<table><tr><th>status</th><th>meaning</th></tr>
{{range .Responses}}<tr><td>{{.Code}}</td><td>{{md .Description}}</td></tr>
{{end}}</table>
{{end}}</body></html>
`))

type docsOp struct {
	ID, Method, Path, Summary, Description, Scope string
	Params                                        []*openapi3.Parameter
	Responses                                     []docsResponse
}

type docsResponse struct{ Code, Description string }

// renderDocs renders the /v1 part of the OpenAPI document as one HTML
// page, once, at start.
func renderDocs(spec []byte) ([]byte, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	data := struct {
		Title, Version, Description string
		Style                       template.CSS
		Ops                         []docsOp
	}{Style: template.CSS(docsStyle)}
	if doc.Info != nil {
		data.Title, data.Version, data.Description = doc.Info.Title, doc.Info.Version, doc.Info.Description
	}
	paths := doc.Paths.Keys()
	slices.Sort(paths)
	for _, p := range paths {
		if !strings.HasPrefix(p, "/v1/") {
			continue
		}
		item := doc.Paths.Value(p)
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			o := docsOp{ID: op.OperationID, Method: method, Path: p, Summary: op.Summary, Description: op.Description}
			if op.Security != nil {
				for _, req := range *op.Security {
					for _, scopes := range req {
						o.Scope = strings.Join(scopes, ", ")
					}
				}
			} else if doc.Security != nil {
				o.Scope = "(see the document)"
			}
			for _, pr := range append(item.Parameters, op.Parameters...) {
				if pr.Value != nil {
					o.Params = append(o.Params, pr.Value)
				}
			}
			if op.Responses != nil {
				codes := op.Responses.Keys()
				slices.Sort(codes)
				for _, code := range codes {
					r := op.Responses.Value(code)
					d := ""
					if r.Value != nil && r.Value.Description != nil {
						d = *r.Value.Description
					}
					o.Responses = append(o.Responses, docsResponse{Code: code, Description: d})
				}
			}
			data.Ops = append(data.Ops, o)
		}
	}
	var b bytes.Buffer
	if err := docsTmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render API docs: %w", err)
	}
	return b.Bytes(), nil
}

// HandleDocs answers GET /v1/docs.
func (a *API) HandleDocs(c *gin.Context) {
	c.Header("Content-Security-Policy", docsCSP)
	c.Header("Cache-Control", "public, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/html; charset=utf-8", a.docs)
}

// HandleOpenAPI answers GET /v1/openapi.yaml.
func (a *API) HandleOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/yaml", api.OpenAPI)
}
