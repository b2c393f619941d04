// Package redis is Lapor's Redis: every key, stream, script and lease
// lives here, and no other package names a key or sends a script. It
// uses go-redis (imported as goredis here and by its callers).
//
// The slot rule: keys that one Lua script or transaction touches together
// must share a Redis Cluster hash slot. A key hashes by the part between
// its first { and the next }, and a key without braces by its whole name,
// so the keys that go with a stream are named {stream}:… (InSlot) and the
// stream keeps its plain name. Each report stream carries its dedupe and
// network-cap keys and its dead letters; the alert log carries the
// detector's lease, incident states, checkpoint and event markers.
//
// What lives where:
//   - client.go: Open, the one place a client is built (a cluster found
//     from one node's address; passwords kept out of go-redis's logs).
//   - streams.go: the stream names, shards (ReportStreams, ShardOf),
//     DeadLetter and OldestUnwritten.
//   - reports.go: ingest's append script (Appender) and the worker's
//     consumer group, claims, pruning and dead letters (ReportGroup).
//   - alerts.go: the alert log (AlertLog: After, Wait, Last, cursors) and
//     its publish script, fenced by the publisher's lease.
//   - lease.go: Lease, one replica at a time.
//   - detector.go: the detector's keys, the legacy-key rename, its
//     incident states and clear script, and its learnt records
//     (DetectorState).
//   - limits.go and webhooks.go: the rate limiters' key prefixes and the
//     webhook dispatcher's lease key; ratelimit.go: ingest's rate-limit
//     script and keys; ingest_batch.go: a batch of ingest requests' limits
//     and appends in two pipelines (Appender.Ingest).
//
// Key names and script semantics are what earlier releases wrote and
// read: change them only with a migration.
package redis
