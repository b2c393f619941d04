package publicapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/web/internal/server"
	"github.com/lapor/lapor/services/web/internal/webtest"
)

func TestMain(m *testing.M) { os.Exit(webtest.Main(m)) }

// testNow is the clock every test runs at.
var testNow = webtest.Now

// Helpers every handler test shares.
var (
	openIncident  = webtest.OpenIncident
	resolved      = webtest.Resolved
	settableClock = webtest.SettableClock
	decodeError   = webtest.DecodeError
	v7            = webtest.V7
	eventually    = webtest.Eventually
)

type errorDetail = webtest.ErrorDetail

// Options are the web's options, which fixtures take.
type Options = server.Options

// fixture is the whole web handler over a fresh database
// (webtest.Fixture), with the shorthands these tests use.
type fixture struct {
	*webtest.Fixture
	h    http.Handler
	conn driver.Conn
	ctx  context.Context
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	f := webtest.New(t, opts...)
	return &fixture{Fixture: f, h: f.H, conn: f.Conn, ctx: f.Ctx}
}

// row is one raw report to insert.
type row struct {
	id, service, symptom, country, reporter string
	ts                                      time.Time
}

func (f *fixture) insert(t *testing.T, rows ...row) {
	t.Helper()
	raw := make([]webtest.Row, len(rows))
	for i, r := range rows {
		raw[i] = webtest.Row{ID: r.id, Service: r.service, Symptom: r.symptom, Country: r.country, Reporter: r.reporter, TS: r.ts}
	}
	f.Insert(t, raw...)
}

// get makes a request, checks the response against the contract and
// returns it.
func (f *fixture) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return f.Get(t, target)
}

func (f *fixture) checkKeys(t *testing.T, target string, keys func(*testing.T, []byte) []string, want []string) {
	t.Helper()
	f.CheckKeys(t, target, keys, want)
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
	return webtest.Do(t, h, req)
}
