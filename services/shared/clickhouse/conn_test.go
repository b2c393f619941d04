package clickhouse_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestOpenFailsOver lists a server that does not answer before one that
// does: Open uses the second.
func TestOpenFailsOver(t *testing.T) {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
	ch, err := testenv.StartClickHouse()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Stop)
	dead, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Ctx(t)
	conn, err := clickhouse.Open(ctx, config.Common{ClickHouseAddr: "127.0.0.1:" + strconv.Itoa(dead) + ", " + ch.Addr, ClickHouseDB: "failover", ClickHouseUser: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := conn.(*clickhouse.Cluster); ok {
		t.Error("a connection without a cluster named is a *clickhouse.Cluster")
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil || db != "failover" {
		t.Fatalf("currentDatabase() = %q, %v; want failover", db, err)
	}
}

func TestOpenNeedsAnAddress(t *testing.T) {
	if _, err := clickhouse.Open(testenv.Ctx(t), config.Common{ClickHouseAddr: " , "}); err == nil {
		t.Fatal("Open with no address succeeded")
	}
}

func TestQuoteIdent(t *testing.T) {
	if got, want := clickhouse.QuoteIdent("a`b\\c"), "`a\\`b\\\\c`"; got != want {
		t.Fatalf("QuoteIdent = %s, want %s", got, want)
	}
}
