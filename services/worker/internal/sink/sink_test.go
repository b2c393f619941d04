package sink

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/report"
	"github.com/lapor/lapor/services/shared/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func openDB(t *testing.T) driver.Conn {
	t.Helper()
	conn := env.Migrated(t)
	return conn
}

func reports(n int, at time.Time) []report.Report {
	services := []string{"gojek", "bca", "whatsapp"}
	symptoms := []string{"login", "app", "payments"}
	out := make([]report.Report, n)
	for i := range out {
		out[i] = report.Report{
			ID:       fmt.Sprintf("r%05d", i),
			Service:  services[i%len(services)],
			Symptom:  symptoms[(i/len(services))%len(symptoms)],
			Time:     at.Add(time.Duration(i%90) * time.Second),
			Country:  "ID",
			Reporter: fmt.Sprintf("who%d", i%7),
		}
	}
	return out
}

type key struct{ service, symptom string }

// minuteCounts reads the rollup the way readers do.
func minuteCounts(ctx context.Context, t *testing.T, conn driver.Conn) map[key]uint64 {
	t.Helper()
	rows, err := conn.Query(ctx, "SELECT service, symptom, uniqExactMerge(reports) FROM reports_minute GROUP BY service, symptom")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[key]uint64{}
	for rows.Next() {
		var k key
		var n uint64
		if err := rows.Scan(&k.service, &k.symptom, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func rawCount(ctx context.Context, t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(id) FROM reports").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteSameBatchTwiceDoesNotDouble(t *testing.T) {
	conn := openDB(t)
	ctx := testenv.Ctx(t)
	s := New(conn)
	reps := reports(900, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))
	want := map[key]uint64{}
	for _, r := range reps {
		want[key{r.Service, r.Symptom}]++
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := s.Write(ctx, reps); err != nil {
			t.Fatalf("write attempt %d: %v", attempt, err)
		}
		if got := rawCount(ctx, t, conn); got != uint64(len(reps)) {
			t.Errorf("after attempt %d: uniqExact(id) = %d, want %d", attempt, got, len(reps))
		}
		got := minuteCounts(ctx, t, conn)
		if len(got) != len(want) {
			t.Errorf("after attempt %d: %d service+symptom groups, want %d", attempt, len(got), len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("after attempt %d: %v = %d, want %d", attempt, k, got[k], n)
			}
		}
	}
	// The raw table really does hold both copies until a merge, which is
	// why readers must count distinct ids.
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM reports").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != uint64(len(reps)) && rows != 2*uint64(len(reps)) {
		t.Errorf("count() = %d, want %d or %d", rows, len(reps), 2*len(reps))
	}
}

func TestWriteKeepsEveryField(t *testing.T) {
	conn := openDB(t)
	ctx := testenv.Ctx(t)
	want := report.Report{
		ID: "abc", Service: "gojek", Symptom: "login", Time: time.Date(2025, 3, 4, 10, 11, 12, 0, time.UTC),
		Country: "ID", Region: "Jakarta", City: "Jakarta Selatan", ASN: 7713, ISP: "Telkom",
		Platform: "android", Reporter: "k1", Comment: "tidak bisa masuk 😢",
	}
	if err := New(conn).Write(ctx, []report.Report{want}); err != nil {
		t.Fatal(err)
	}
	var got report.Report
	err := conn.QueryRow(ctx, "SELECT id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, comment FROM reports").
		Scan(&got.ID, &got.Service, &got.Symptom, &got.Time, &got.Country, &got.Region, &got.City, &got.ASN, &got.ISP, &got.Platform, &got.Reporter, &got.Comment)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(want.Time) {
		t.Errorf("ts = %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Errorf("row = %+v\nwant %+v", got, want)
	}
}

func TestWriteEmptyIsNoop(t *testing.T) {
	conn := openDB(t)
	if err := New(conn).Write(testenv.Ctx(t), nil); err != nil {
		t.Fatal(err)
	}
}
