// Package webtest is what the tests of the web's handlers share: the
// whole web handler (package server) over a fresh, migrated ClickHouse
// database, a test catalog and frontend build, raw report rows to insert,
// and a check of every response against api/openapi.yaml. Only tests
// import it.
package webtest

import (
	"bytes"
	"context"
	_ "embed"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/internal/contract"
	"github.com/lapor/lapor/services/web/internal/server"
	"github.com/lapor/lapor/services/web/internal/ui"
)

// Env is the test servers Main started; nil when integration tests are
// off.
var Env *testenv.Env

// Main starts the test servers for a test package: call it from
// TestMain, as os.Exit(webtest.Main(m)).
func Main(m *testing.M) int { return testenv.Main(m, &Env) }

// Now is the clock every handler test runs at.
var Now = time.Date(2025, 3, 10, 12, 7, 30, 0, time.UTC)

//go:embed testdata/catalog.json
var catalogJSON []byte

// Catalog is the tests' catalog (testdata/catalog.json).
func Catalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Parse(catalogJSON)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// UI is a frontend build of two tiny HTML entries, one asset and an icon.
func UI(t testing.TB) *ui.UI {
	t.Helper()
	page := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("<!doctype html><html><head><meta charset=\"utf-8\">" + ui.Marker +
			"<script type=\"module\" src=\"/assets/app-1.js\"></script></head><body>" + body + "</body></html>")}
	}
	u, err := ui.New(fstest.MapFS{
		"index.html":      page("app"),
		"embed.html":      page("embed"),
		"assets/app-1.js": &fstest.MapFile{Data: []byte("export {}")},
		"favicon.svg":     &fstest.MapFile{Data: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Fixture is the web's handler over a fresh, migrated ClickHouse database.
type Fixture struct {
	H    http.Handler
	Conn driver.Conn
	Ctx  context.Context
}

// New returns a Fixture: the handler runs at Now over the test catalog
// and build, with ingest unreachable, as opts leave it.
func New(t testing.TB, opts ...func(*server.Options)) *Fixture {
	t.Helper()
	conn := Env.Migrated(t)
	ctx := testenv.Ctx(t)
	o := server.Options{
		Log: logging.Discard(), Store: clickhouse.NewPageStore(conn), Catalog: Catalog(t),
		IngestURL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"},
		Now:       func() time.Time { return Now },
		UI:        UI(t),
	}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := server.NewHandler(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return &Fixture{H: h, Conn: conn, Ctx: ctx}
}

// Row is one raw report to insert.
type Row struct {
	ID, Service, Symptom, Country, Reporter string
	Comment                                 string // none when empty
	TS                                      time.Time
}

// Insert writes raw reports, as the worker does.
func (f *Fixture) Insert(t testing.TB, rows ...Row) {
	t.Helper()
	batch, err := f.Conn.PrepareBatch(f.Ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, comment)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := batch.Append(r.ID, r.Service, r.Symptom, r.TS.UTC(), r.Country, "", "", uint32(0), "", "web", r.Reporter, r.Comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

// Get makes a GET, checks the response against the contract and returns
// it.
func (f *Fixture) Get(t testing.TB, target string) *httptest.ResponseRecorder {
	t.Helper()
	return Do(t, f.H, httptest.NewRequest(http.MethodGet, target, nil))
}

// CheckKeys GETs target, expects 200, and checks the keys decoded from the
// body (ids, slugs) against want, in order.
func (f *Fixture) CheckKeys(t *testing.T, target string, keys func(*testing.T, []byte) []string, want []string) {
	t.Helper()
	rec := f.Get(t, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := keys(t, rec.Body.Bytes()); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Do serves req with h, checks the response against the contract and
// returns it; req's body can be read again afterwards.
func Do(t testing.TB, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	contract.Check(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
	return rec
}
