// Package ui serves the built frontend that the binary embeds: the app and
// embed pages with a head written per request (title, description, Open
// Graph tags), the hashed assets with a long cache, and the security
// headers every page carries.
package ui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The build lands in dist/app (see frontend/vite.config.ts); dist/.keep
// lets a clean checkout compile before any npm build.
//
//go:embed all:dist
var dist embed.FS

// Dist is the embedded build: index.html, embed.html and assets/.
func Dist() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil, fmt.Errorf("open embedded frontend: %w", err)
	}
	return sub, nil
}

// Marker is where each HTML entry wants its head tags.
const Marker = "<!--lapor:head-->"

// Kind is which HTML entry a page is served from.
type Kind int

// The HTML entries.
const (
	App   Kind = iota // index.html: home, service page, incidents
	Embed             // embed.html: the chart alone, for iframes
)

// Head is what a page says about itself to browsers, search engines and
// link previews. Every field is escaped when written.
type Head struct {
	Title       string
	Description string
	URL         string // the page's absolute URL
	Image       string // absolute URL of a 1200×630 image; empty when none
}

var headTags = template.Must(template.New("head").Parse(`<title>{{.Title}}</title>
<meta name="description" content="{{.Description}}">
<meta property="og:site_name" content="Lapor">
<meta property="og:type" content="website">
<meta property="og:title" content="{{.Title}}">
<meta property="og:description" content="{{.Description}}">
{{- if .URL}}
<meta property="og:url" content="{{.URL}}">
{{- end}}
{{- if .Image}}
<meta property="og:image" content="{{.Image}}">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="630">
<meta name="twitter:card" content="summary_large_image">
{{- else}}
<meta name="twitter:card" content="summary">
{{- end}}
`))

// page is an HTML entry cut at its marker.
type page struct {
	before, after []byte
}

// UI serves one build. A UI over a build without index.html answers every
// page with a short "not built" notice.
type UI struct {
	fsys  fs.FS
	pages map[Kind]page
	// loaded is when the UI was made; assets are hashed and never change
	// while the process runs, so it serves as their modification time.
	loaded time.Time
	// gzipped holds the compressed form of the text assets, made once at
	// start: a phone on a slow network then fetches the 50 KB of the
	// service page's scripts instead of 130 KB.
	gzipped map[string][]byte
}

// New reads the HTML entries of the build in fsys. A build without
// index.html is not an error (see UI); one whose HTML lacks the marker is.
func New(fsys fs.FS) (*UI, error) {
	u := &UI{fsys: fsys, pages: map[Kind]page{}, loaded: time.Now()}
	for kind, name := range map[Kind]string{App: "index.html", Embed: "embed.html"} {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read frontend %s: %w", name, err)
		}
		before, after, found := bytes.Cut(b, []byte(Marker))
		if !found {
			return nil, fmt.Errorf("frontend %s has no %s marker in its head", name, Marker)
		}
		u.pages[kind] = page{before: before, after: after}
	}
	if _, ok := u.pages[App]; !ok {
		u.pages = map[Kind]page{} // half a build is no build
	}
	if err := u.compress(); err != nil {
		return nil, err
	}
	return u, nil
}

// compressible are the extensions worth gzipping: text. Images and fonts
// are compressed already.
var compressible = map[string]bool{".js": true, ".css": true, ".json": true, ".svg": true, ".txt": true, ".map": true}

// compress gzips the build's text files once, keeping only those that
// shrink.
func (u *UI) compress() error {
	u.gzipped = map[string][]byte{}
	return fs.WalkDir(u.fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // no build at all
		}
		if err != nil {
			return fmt.Errorf("walk frontend build: %w", err)
		}
		if d.IsDir() || !compressible[path.Ext(name)] {
			return nil
		}
		b, err := fs.ReadFile(u.fsys, name)
		if err != nil {
			return fmt.Errorf("read frontend %s: %w", name, err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
		if _, err := zw.Write(b); err != nil {
			return fmt.Errorf("gzip frontend %s: %w", name, err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("gzip frontend %s: %w", name, err)
		}
		if buf.Len() < len(b) {
			u.gzipped[name] = buf.Bytes()
		}
		return nil
	})
}

// acceptsGzip says whether the client takes gzip (a q of 0 refuses it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// Built says whether the frontend was built into the binary.
func (u *UI) Built() bool { return len(u.pages) > 0 }

// CSP is the Content-Security-Policy of the app's pages: everything from
// this origin only, no inline scripts or styles, no framing.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// embedCSP lets any site frame the embed pages.
var embedCSP = strings.Replace(CSP, "frame-ancestors 'none'", "frame-ancestors *", 1)

// SecurityHeaders sets the headers every page carries.
func SecurityHeaders(h http.Header, kind Kind) {
	if kind == Embed {
		h.Set("Content-Security-Policy", embedCSP)
	} else {
		h.Set("Content-Security-Policy", CSP)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lapor</title></head>
<body><p>frontend not built: run make build</p></body></html>
`

// ServePage answers with the entry of kind, its head filled from h, with
// the given status (200, or 404 for a page the app will say is not found).
func (u *UI) ServePage(w http.ResponseWriter, r *http.Request, status int, kind Kind, h Head) {
	hdr := w.Header()
	SecurityHeaders(hdr, kind)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	// Pages name the current assets, so they are checked every time.
	hdr.Set("Cache-Control", "no-cache")
	p, ok := u.pages[kind]
	if !ok {
		p, ok = u.pages[App]
	}
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method != http.MethodHead {
			w.Write([]byte(notBuilt))
		}
		return
	}
	var head bytes.Buffer
	if err := headTags.Execute(&head, h); err != nil {
		// Only a broken writer fails a template over strings.
		http.Error(w, "render page head", http.StatusInternalServerError)
		return
	}
	body := make([]byte, 0, len(p.before)+head.Len()+len(p.after))
	body = append(append(append(body, p.before...), head.Bytes()...), p.after...)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// ServeAsset serves a file of the build's assets/ folder with a long,
// immutable cache: their names carry a hash of their content. It answers
// false, writing nothing, when there is no such file.
func (u *UI) ServeAsset(w http.ResponseWriter, r *http.Request, name string) bool {
	// Cleaned first, so that ".." cannot climb out of assets/.
	name = path.Join("assets", path.Clean("/"+name))
	return u.serveFile(w, r, name, "public, max-age=31536000, immutable")
}

// ServeStatic serves a file at the root of the build (favicon, robots.txt)
// with a short cache; HTML entries are not served this way, as they need
// their head. It answers false, writing nothing, when there is no such
// file.
func (u *UI) ServeStatic(w http.ResponseWriter, r *http.Request, name string) bool {
	if strings.HasSuffix(name, ".html") {
		return false
	}
	return u.serveFile(w, r, name, "public, max-age=3600")
}

func (u *UI) serveFile(w http.ResponseWriter, r *http.Request, name, cache string) bool {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if !fs.ValidPath(name) || name == "." {
		return false
	}
	st, err := fs.Stat(u.fsys, name)
	if err != nil || st.IsDir() {
		return false
	}
	b, err := fs.ReadFile(u.fsys, name)
	if err != nil {
		return false
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	if gz, ok := u.gzipped[name]; ok {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			b = gz
		}
	}
	http.ServeContent(w, r, name, u.loaded, bytes.NewReader(b))
	return true
}
