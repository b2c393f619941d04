package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/internal/ui"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// testNow is the clock every API test runs at.
var testNow = time.Date(2025, 3, 10, 12, 7, 30, 0, time.UTC)

// fixture is a handler over a fresh, migrated ClickHouse database.
type fixture struct {
	h    http.Handler
	conn driver.Conn
	ctx  context.Context
}

type fixtureOption func(*Options)

func newFixture(t *testing.T, opts ...fixtureOption) *fixture {
	t.Helper()
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	data, err := os.ReadFile(filepath.Join("testdata", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Log: logging.Discard(), Store: clickhouse.NewPageStore(conn), Catalog: cat,
		IngestURL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"},
		Now:       func() time.Time { return testNow },
		UI:        testUI(t),
	}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := NewHandler(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, conn: conn, ctx: ctx}
}

// testUI is a frontend build of two tiny HTML entries and one asset.
func testUI(t *testing.T) *ui.UI {
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

// row is one raw report to insert.
type row struct {
	id, service, symptom, country, reporter string
	ts                                      time.Time
}

func (f *fixture) insert(t *testing.T, rows ...row) {
	t.Helper()
	batch, err := f.conn.PrepareBatch(f.ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, comment)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := batch.Append(r.id, r.service, r.symptom, r.ts.UTC(), r.country, "", "", uint32(0), "", "web", r.reporter, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

// get makes a request, checks the response against the OpenAPI contract and
// returns it.
func (f *fixture) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, f.h, httptest.NewRequest(http.MethodGet, target, nil))
}

// checkKeys GETs target, expects 200, and checks the keys decoded from the
// body (ids, slugs) against want, in order.
func (f *fixture) checkKeys(t *testing.T, target string, keys func(*testing.T, []byte) []string, want []string) {
	t.Helper()
	rec := f.get(t, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := keys(t, rec.Body.Bytes()); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// checkBadParameter GETs target and expects 400 invalid_parameter naming
// field.
func (f *fixture) checkBadParameter(t *testing.T, target, field string) {
	t.Helper()
	rec := f.get(t, target)
	if e := decodeError(t, rec.Body.Bytes()); rec.Code != http.StatusBadRequest || e.Code != "invalid_parameter" || e.Field != field {
		t.Errorf("status %d error %+v, want 400 invalid_parameter on %s", rec.Code, e, field)
	}
}

func do(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	checkContract(t, req, rec)
	return rec
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// checkContract fails the test when a response does not match
// api/openapi.yaml: an undocumented status, a missing header, or a body that
// breaks its schema.
func checkContract(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	specOnce.Do(func() {
		// Pages, charts and CSV are checked for status and headers; their
		// bodies are plain strings to the contract.
		for _, ct := range []string{"text/html", "image/png"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join("..", "..", "..", "..", "api", "openapi.yaml"))
		if err != nil {
			specErr = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			specErr = err
			return
		}
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatalf("load api/openapi.yaml: %v", specErr)
	}
	route, params, err := specRouter.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in api/openapi.yaml: %v", req.Method, req.URL, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: response %d breaks api/openapi.yaml: %v\nbody: %s", req.Method, req.URL, rec.Code, err, rec.Body.String())
	}
}
