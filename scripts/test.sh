#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks formatting and vet,
# then runs every module's tests. Tests start their own Redis and ClickHouse
# on free ports with temporary data folders and stop them after.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh chromium zookeeper

echo "== frontend build"
# The web binary embeds the build; the browser test drives it.
(cd frontend && npm ci --no-audit --no-fund && npm run check:api && npm run build && npm run size)

echo "== gofmt"
unformatted=$(gofmt -l services)
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet github.com/lapor/lapor/services/...

echo "== go test"
go test -count=1 -timeout 45m github.com/lapor/lapor/services/...

echo "== benchmarks (short: only keeps them working, asserts no timing; 'make bench' runs the full one)"
go run ./services/stack/cmd/bench -short

echo "== deployment files (chart rendered with Helm's engine, compose parsed)"
# Its own module, outside the workspace: Helm's dependencies stay out of the services.
(cd services/deploy && GOWORK=off go vet ./... && GOWORK=off go test -count=1 ./...)

echo "== detector evaluation (reduced; 'make eval' runs the full one)"
go run ./services/detector/cmd/detector eval -quick
go run ./services/detector/cmd/detector synth -quick
go run ./services/detector/cmd/detector synth -quick -suite alt

echo "== fuzz (brief)"
go test -run='^$' -fuzz='^FuzzDecode$' -fuzztime="${LAPOR_FUZZTIME:-10s}" ./services/ingest/internal/ingest
go test -run='^$' -fuzz='^FuzzTracker$' -fuzztime="${LAPOR_FUZZTIME:-10s}" ./services/shared/spike

echo "== browser screenshots"
shopt -s nullglob
shots=(frontend/screenshots/*.png)
for f in "${shots[@]}"; do echo "screenshots: $PWD/$f"; done
[ ${#shots[@]} -gt 0 ] || echo "screenshots: none (the browser test was skipped)"
