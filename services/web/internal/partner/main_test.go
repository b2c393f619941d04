package partner_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/web/client"
	"github.com/lapor/lapor/services/web/internal/contract"
	"github.com/lapor/lapor/services/web/internal/partner"
	"github.com/lapor/lapor/services/web/internal/server"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// keyTTL is how long the fixture's Auth reuses a key lookup.
const keyTTL = 200 * time.Millisecond

// readTimeout is the test server's read timeout.
const readTimeout = 500 * time.Millisecond

// fixture is the whole web handler, partner API on, served by a live
// httptest server over a fresh ClickHouse database and a flushed Redis.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	srv      *httptest.Server
	conn     driver.Conn
	rdb      *goredis.Client
	keys     *partner.Keys
	alerts   *redis.AlertLog
	shutdown context.CancelFunc // ends open streams, as a server shutdown does
	hc       *http.Client       // checks every response against the contract
}

func newFixture(t *testing.T, opts ...func(*server.Options)) *fixture {
	t.Helper()
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	conn := env.Migrated(t)
	rdb := env.RedisClient(t)
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := redisstore.NewStoreWithOptions(rdb, limiter.StoreOptions{Prefix: "test:partner:limit"})
	if err != nil {
		t.Fatal(err)
	}
	log := logging.Discard()
	keys := partner.NewKeys(clickhouse.NewKeyStore(conn))
	alerts := redis.NewAlertLog(rdb)
	sctx, shutdown := context.WithCancel(ctx)
	o := server.Options{
		Log: log, Store: clickhouse.NewPageStore(conn), Catalog: cat,
		IngestURL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"},
		Partner: &partner.Options{
			Alerts:    alerts,
			Auth:      partner.NewAuth(keys, store, log, keyTTL),
			Shutdown:  sctx,
			Heartbeat: 200 * time.Millisecond,
		},
	}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := server.NewHandler(sctx, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	// Like production's server, which has one: a stream must outlive it.
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(func() {
		shutdown()
		srv.Close()
	})
	return &fixture{
		t: t, ctx: ctx, srv: srv, conn: conn, rdb: rdb, keys: keys, alerts: alerts, shutdown: shutdown,
		hc: &http.Client{Transport: &contract.Transport{T: t}, Timeout: 30 * time.Second},
	}
}

// key creates an API key and returns it in full.
func (f *fixture) key(quota string, scopes ...partner.Scope) string {
	f.t.Helper()
	_, full, err := f.keys.Create(f.ctx, "test", scopes, quota)
	if err != nil {
		f.t.Fatal(err)
	}
	return full
}

// client is a partner client with a new key holding scopes.
func (f *fixture) client(scopes ...partner.Scope) *client.Client {
	f.t.Helper()
	return client.New(f.srv.URL, f.key("100000-M", scopes...), &client.Options{HTTPClient: f.hc})
}

// get makes a GET with an optional bearer key.
func (f *fixture) get(path, key string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, body
}

// publish appends events to the alert log and returns their cursors.
func (f *fixture) publish(evs ...lapor.AlertEvent) []string {
	f.t.Helper()
	var ids []string
	for _, ev := range evs {
		p, err := ev.Encode()
		if err != nil {
			f.t.Fatal(err)
		}
		id, err := f.alerts.Append(f.ctx, p)
		if err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
