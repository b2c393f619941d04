// Package deploy holds no code: its tests render the Helm chart
// (charts/lapor) and read docker-compose.yml, and check that the
// deployments count people correctly: the ingest trusts no network range,
// the web and the ingest share a forward secret, and no one trusts a whole
// private range.
package deploy

// The module stays outside go.work on purpose: Helm's engine brings
// client-go, whose requirements would raise shared versions in every
// service binary. scripts/test.sh runs it with GOWORK=off.
