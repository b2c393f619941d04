// Package clickhouse is Lapor's ClickHouse: the one place a connection is
// opened (Open), the schema and its migrations (Migrate, MigrateCommand),
// and the storage of incidents (SaveIncidents, Incidents) and of what the
// detector judged each bucket against (SaveExpectations,
// ExpectationSeries, LatestExpectations). It uses the native protocol,
// the only one that works with ClickHouse 18.16, and the SQL that 18.16
// and current releases share. It also saves the worker's reports
// (SaveReports) and writes the simulator's backfilled history into the
// rollup (BackfillStage, ReadRollupHistory). The detector's reads of the
// rollup and the raw reports, and its alert_events archive, are
// DetectorStore's; the partner API keys are KeyStore's, and webhook
// subscriptions and their delivery log WebhookStore's; the web's reads
// for its pages and API, and the reports' comments with their hiding, are
// PageStore's. No SQL of Lapor's lives anywhere else.
//
// Connections: ClickHouseAddr may list several servers (comma-separated): the client
// connects to the first that answers, and to the next when it does not.
// With a cluster named (ClickHouseCluster), Open also:
//   - creates the database on every node of the cluster when the node it
//     reached lacks it (ON CLUSTER when the cluster has Keeper, see
//     ClickHouseReplicated; else node by node, as system.clusters lists them);
//   - sends every query with insert_distributed_sync=1, so an insert into
//     a Distributed table returns only once every shard has stored its rows
//     (the worker acknowledges a report only after that);
//   - checks that the servers' profile lets a query over a Distributed
//     table hold a subquery over another (distributed_product_mode, which
//     must be global: see checkProductMode);
//   - returns a *Cluster, through which Migrate reaches each node.
//
// Migrations: Migrate applies Lapor's numbered schema files (sql/), which are
// embedded in every binary. Each file is applied once and recorded in
// schema_migrations; statements use IF NOT EXISTS so that two services
// starting together, or a run cut short, can safely apply a file again.
// ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, so an ADD COLUMN whose
// column is already there counts as applied. The files are written for one
// node; on a cluster, Migrate lays them out over it (see Layout).
//
// Expectations: SaveExpectations and ExpectationSeries store and read
// what the detector judged each service's buckets against (the expectations table): the expected count of every
// bucket and, for each span ending with it, the span's count, expected
// sum and the counts that open "possible problems" and "problems
// detected" (spike.Judgement). Pages and the API draw the usual range
// from these rows, so a reader sees the detector's own line: a count
// above the band is one the detector counted as an outage, and an open
// incident never sits inside a band the web made up by other rules.
//
// Rows are soft state: a bucket the detector did not judge (it was down,
// or the history predates it and was never replayed) has none, and
// readers say so instead of inventing one.
package clickhouse
