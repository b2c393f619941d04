package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	lapor "github.com/lapor/lapor/services/shared"
)

// reportsInsert names its columns: ClickHouse 18.16 rejects a batch without them.
const reportsInsert = "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment)"

// SaveReports inserts reports as one batch. Saving the same reports again
// is harmless: reports folds rows by id and every count is distinct by id.
// On a cluster the insert returns once every shard holds its rows (see
// Open), so a caller may then acknowledge them.
func SaveReports(ctx context.Context, conn driver.Conn, reps []lapor.Report) error {
	if len(reps) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, reportsInsert)
	if err != nil {
		return fmt.Errorf("prepare batch of %d reports: %w", len(reps), err)
	}
	defer b.Close()
	// Column-wise appends avoid per-row reflection, which matters at
	// hundreds of thousands of reports a second.
	n := len(reps)
	var (
		ids, services, symptoms = make([]string, n), make([]string, n), make([]string, n)
		ts                      = make([]time.Time, n)
		countries, regions      = make([]string, n), make([]string, n)
		cities, isps            = make([]string, n), make([]string, n)
		asns                    = make([]uint32, n)
		platforms, reporters    = make([]string, n), make([]string, n)
		networks, comments      = make([]string, n), make([]string, n)
	)
	for i := range reps {
		r := &reps[i]
		ids[i], services[i], symptoms[i] = r.ID, r.Service, r.Symptom
		ts[i] = r.Time.UTC()
		countries[i], regions[i], cities[i] = r.Country, r.Region, r.City
		asns[i], isps[i] = r.ASN, r.ISP
		platforms[i], reporters[i], networks[i], comments[i] = r.Platform, r.Reporter, r.Network, r.Comment
	}
	cols := []any{ids, services, symptoms, ts, countries, regions, cities, asns, isps, platforms, reporters, networks, comments}
	for i, col := range cols {
		if err := b.Column(i).Append(col); err != nil {
			return fmt.Errorf("append column %d of batch of %d reports: %w", i, n, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert batch of %d reports: %w", n, err)
	}
	return nil
}
