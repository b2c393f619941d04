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
// and its CSP allows this style by hash and nothing else. Code blocks and
// tables scroll inside their own box, so that the page itself never
// scrolls sideways on a phone.
const docsStyle = `html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1b1b1b;overflow-wrap:break-word}
h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.3rem;margin-top:2.5rem;border-bottom:1px solid #ddd}
h3{font-family:ui-monospace,monospace;font-size:1rem;margin-top:2rem;overflow-wrap:anywhere}
.m{display:inline-block;min-width:4rem;font-weight:bold}td p{margin:0}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;max-width:100%;font-size:.875rem;line-height:1.4}
pre code{font-size:inherit}
table{display:block;max-width:100%;overflow-x:auto;border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}p code,li code,td code{overflow-wrap:anywhere}
nav ol{padding-left:1.25rem}nav li{margin:.15rem 0}`

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

// docsExamples is a curl command per operation of the partner API, by
// operationId; a test wants one for every /v1 operation.
var docsExamples = map[string]string{
	"partnerAlerts": `# The first page: the oldest events kept. Keep next_cursor for the next call.
curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/alerts?service=whatsapp,gojek&level=detected"
# Every later call: only what happened since.
curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/alerts?since=$CURSOR"`,
	"partnerAlertStream": `# -N shows each event as it arrives; Last-Event-ID resumes after that event.
curl -sS -N -H "Authorization: Bearer $LAPOR_KEY" -H "Last-Event-ID: $CURSOR" "$LAPOR_URL/v1/alerts/stream?country=ID"`,
	"partnerIncident": `curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/incidents/$INCIDENT_ID"`,
	"partnerStats":    `curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/services/whatsapp/stats?bucket=1h&from=2025-03-09T00:00:00Z&to=2025-03-10T00:00:00Z"`,
	"feedAtom":        `curl -sS "$LAPOR_URL/v1/feeds/incidents.atom"`,
	"feedRSS":         `curl -sS "$LAPOR_URL/v1/feeds/incidents.rss"`,
	"serviceFeedAtom": `curl -sS "$LAPOR_URL/v1/services/whatsapp/feeds/incidents.atom"`,
	"serviceFeedRSS":  `curl -sS "$LAPOR_URL/v1/services/whatsapp/feeds/incidents.rss"`,
	"partnerDocs":     `curl -sS "$LAPOR_URL/v1/docs"`,
	"openAPIDocument": `curl -sS -o openapi.yaml "$LAPOR_URL/v1/openapi.yaml"`,
	"createWebhook": `# The answer holds the webhook's secret, shown this once: keep it to check signatures.
curl -sS -X POST -H "Authorization: Bearer $LAPOR_KEY" -H "Content-Type: application/json" \
  -d '{"url":"https://example.com/lapor-hook","filter":{"services":["whatsapp"],"levels":["detected"]}}' \
  "$LAPOR_URL/v1/webhooks"`,
	"listWebhooks":      `curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/webhooks"`,
	"getWebhook":        `curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/webhooks/$WEBHOOK_ID"`,
	"deleteWebhook":     `curl -sS -X DELETE -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/webhooks/$WEBHOOK_ID"`,
	"webhookDeliveries": `curl -sS -H "Authorization: Bearer $LAPOR_KEY" "$LAPOR_URL/v1/webhooks/$WEBHOOK_ID/deliveries"`,
}

// docsVerifyGo checks a delivery's signature with Go's standard library
// alone, for receivers that do not import this repository's client
// package. verify_test.go holds the same function and checks it against
// the real signer; keep the two identical.
const docsVerifyGo = `import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

` + docsVerifyFunc

// docsVerifyFunc is the function of docsVerifyGo.
const docsVerifyFunc = `// verifyLapor reports whether a webhook delivery is genuine and fresh. Pass
// the raw body, as received, before any JSON decoding.
func verifyLapor(secret string, h http.Header, body []byte, now time.Time) bool {
	ts := h.Get("Lapor-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	// Refuse old (replayed) and far-future deliveries.
	if d := now.Sub(time.Unix(secs, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	// The signed string is the timestamp as sent, a dot, the raw body.
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	// Several comma-separated signatures may come while a secret rotates.
	for _, part := range strings.Split(h.Get("Lapor-Signature"), ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(v); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
`

var docsTmpl = template.Must(template.New("docs").Funcs(template.FuncMap{"md": renderMarkdown}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} — partner API</title><style>{{.Style}}</style></head>
<body><h1>{{.Title}} — partner API {{.Version}}</h1>
<p>The machine-readable contract: <a href="/v1/openapi.yaml">/v1/openapi.yaml</a> (OpenAPI 3).</p>
<nav aria-label="Contents"><h2 id="contents">Contents</h2><ol>
<li><a href="#authentication">Authentication, scopes and quotas</a></li>
<li><a href="#examples">Trying it with curl</a></li>
<li><a href="#overview">Overview and webhooks</a></li>
<li><a href="#verify-go">Checking webhook signatures in Go without the client package</a></li>
<li><a href="#endpoints">Endpoints</a><ol>
{{range .Ops}}<li><a href="#{{.ID}}">{{.Method}} {{.Path}}</a></li>
{{end}}</ol></li></ol></nav>

<h2 id="authentication">Authentication, scopes and quotas</h2>
<p>Every call except the feeds and these docs needs an API key, sent in the <code>Authorization</code> header of each request:</p>
<pre><code>Authorization: Bearer lapor_&lt;id&gt;_&lt;secret&gt;</code></pre>
<p>Keys are not self-service: ask the Lapor operators for one. An operator creates it with</p>
<pre><code class="language-sh">web keys create -name "Example News" -scopes alerts:read,series:read -quota 600-M</code></pre>
<p>and hands it to you; it is shown that once and only its hash is kept, so store it as a secret. A revoked key stops working within a few seconds.</p>
<p>A key holds one or more scopes, and each call needs one:</p>
<table><tr><th>scope</th><th>allows</th></tr>
<tr><td><code>alerts:read</code></td><td><code>GET /v1/alerts</code>, <code>GET /v1/alerts/stream</code>, <code>GET /v1/incidents/{id}</code></td></tr>
<tr><td><code>series:read</code></td><td><code>GET /v1/services/{slug}/stats</code></td></tr>
<tr><td><code>webhooks:manage</code></td><td><code>/v1/webhooks</code> and everything under it</td></tr>
</table>
<p>A missing, malformed, unknown or revoked key is answered <code>401</code> (with <code>WWW-Authenticate: Bearer</code>); a key without the scope, <code>403</code>. Too many failed attempts from one network are answered <code>429</code> for a while.</p>
<p>Each key has its own quota, requests per period (<code>600-M</code>, the default, is 600 a minute). Every answer to a key carries</p>
<table><tr><th>header</th><th>value</th></tr>
<tr><td><code>X-RateLimit-Limit</code></td><td>requests allowed per period</td></tr>
<tr><td><code>X-RateLimit-Remaining</code></td><td>requests left in this period</td></tr>
<tr><td><code>X-RateLimit-Reset</code></td><td>when the period ends, Unix seconds</td></tr>
</table>
<p>Over the quota the answer is <code>429</code> with <code>Retry-After</code>, in seconds: wait that long before the next request. <code>503</code> (a dependency is down) carries <code>Retry-After</code> too. Every error is JSON with a <code>code</code> to act on.</p>

<h2 id="examples">Trying it with curl</h2>
<p>Each endpoint below shows a curl command. They read the site's address and your key from the environment:</p>
<pre><code class="language-sh">export LAPOR_URL=https://lapor.example   # the address of this site
export LAPOR_KEY=lapor_&lt;id&gt;_&lt;secret&gt;   # your API key</code></pre>
<p><code>$CURSOR</code> is a <code>next_cursor</code> or an event's <code>cursor</code> from an earlier answer, <code>$INCIDENT_ID</code> an event's <code>incident_id</code>, <code>$WEBHOOK_ID</code> the <code>id</code> of one of your webhooks. Add <code>-i</code> to see the rate-limit headers.</p>

<section id="overview">{{md .Description}}</section>

<h2 id="verify-go">Checking webhook signatures in Go without the client package</h2>
<p>The same check as <code>client.Verify</code> above, with the standard library alone. The Node.js and Python versions above do the same: the timestamp within 5 minutes of your clock, then the HMAC-SHA256 of <code>&lt;Lapor-Timestamp&gt;.&lt;raw body&gt;</code>, keyed with the webhook's secret, compared in constant time with each <code>v1=</code> value of <code>Lapor-Signature</code>.</p>
<pre><code class="language-go">{{.VerifyGo}}</code></pre>
<p>In a handler:</p>
<pre><code class="language-go">body, err := io.ReadAll(io.LimitReader(r.Body, 1&lt;&lt;20))
if err != nil || !verifyLapor(secret, r.Header, body, time.Now()) {
	http.Error(w, "bad signature", http.StatusBadRequest)
	return
}
// Handle the event once per Lapor-Event-Id, then answer 2xx within 10 s.</code></pre>

<h2 id="endpoints">Endpoints</h2>
{{range .Ops}}<h3 id="{{.ID}}"><span class="m">{{.Method}}</span> {{.Path}}</h3>
<p><b>{{.Summary}}</b>{{if .Scope}} — API key with scope <code>{{.Scope}}</code>{{else}} — public, no key{{end}}</p>
{{if .Description}}<div>{{md .Description}}</div>{{end}}
{{if .Example}}<pre><code class="language-sh">{{.Example}}</code></pre>{{end}}
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
	Example                                       string // a curl command
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
		VerifyGo                    string
		Style                       template.CSS
		Ops                         []docsOp
	}{Style: template.CSS(docsStyle), VerifyGo: docsVerifyGo}
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
			o := docsOp{ID: op.OperationID, Method: method, Path: p, Summary: op.Summary, Description: op.Description,
				Example: docsExamples[op.OperationID]}
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
