#!/usr/bin/env bash
# Installs what Lapor needs on a Debian machine, only when it is missing:
# redis-server and clickhouse-server from Debian's packages (and those
# named as arguments: chromium, zookeeper), Go modules.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
for p in "$@"; do
  case "$p" in
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
    # ZooKeeper for the ClickHouse cluster tests (ON CLUSTER DDL, Replicated
    # tables), which start their own: the jar and Java, without zookeeperd's
    # system service.
    zookeeper) [ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper) ;;
    *) need+=("$p") ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian packages start their own default instances on some systems;
# Lapor never uses those, it starts private ones on its own ports.
for m in services/*/; do
  if grep -q "./${m%/}\$" go.work; then
    (cd "$m" && go mod download)
  else
    # Modules kept out of the workspace (services/deploy pulls in Helm and
    # client-go; in the workspace they would raise the services' versions).
    (cd "$m" && GOWORK=off go mod download)
  fi
done
