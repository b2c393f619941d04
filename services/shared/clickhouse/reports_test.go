package clickhouse_test

import (
	"fmt"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

// batchOfReports is n reports over three services and symptoms, within 90
// seconds of at.
func batchOfReports(n int, at time.Time) []lapor.Report {
	services := []string{"gojek", "bca", "whatsapp"}
	symptoms := []string{"login", "app", "payments"}
	out := make([]lapor.Report, n)
	for i := range out {
		out[i] = lapor.Report{
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

func TestSaveSameReportsTwiceDoesNotDouble(t *testing.T) {
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	reps := batchOfReports(900, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))
	want := testenv.WantReports(reps)
	for attempt := 1; attempt <= 2; attempt++ {
		if err := clickhouse.SaveReports(ctx, conn, reps); err != nil {
			t.Fatalf("save attempt %d: %v", attempt, err)
		}
		t.Logf("after attempt %d", attempt)
		testenv.CheckReports(ctx, t, conn, want)
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

func TestSaveReportsKeepsEveryField(t *testing.T) {
	conn := env.Migrated(t)
	ctx := testenv.Ctx(t)
	want := lapor.Report{
		ID: "abc", Service: "gojek", Symptom: "login", Time: time.Date(2025, 3, 4, 10, 11, 12, 0, time.UTC),
		Country: "ID", Region: "Jakarta", City: "Jakarta Selatan", ASN: 7713, ISP: "Telkom",
		Platform: "android", Reporter: "k1", Network: "n1", Comment: "tidak bisa masuk 😢",
	}
	if err := clickhouse.SaveReports(ctx, conn, []lapor.Report{want}); err != nil {
		t.Fatal(err)
	}
	var got lapor.Report
	err := conn.QueryRow(ctx, "SELECT id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment FROM reports").
		Scan(&got.ID, &got.Service, &got.Symptom, &got.Time, &got.Country, &got.Region, &got.City, &got.ASN, &got.ISP, &got.Platform, &got.Reporter, &got.Network, &got.Comment)
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

func TestSaveNoReportsIsNoop(t *testing.T) {
	conn := env.Migrated(t)
	if err := clickhouse.SaveReports(testenv.Ctx(t), conn, nil); err != nil {
		t.Fatal(err)
	}
}
