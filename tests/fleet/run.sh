#!/usr/bin/env bash
# The fleet of deploy/fleet.sh as a test, from real parts: a PostgreSQL primary and its
# streaming replica (pg_basebackup -R), three `qala serve` reading the replica, nginx in
# front as load balancer and tile cache. tests/fleet/check.py then checks what a fleet
# promises (docs/scale.md): an upload through nginx is held by every replica, the writer
# holds it when it answers, TileJSON through nginx names the new version at once, a versioned
# tile is cut once and then served by nginx's cache with the same bytes, and a replica
# killed under load fails no request. Bounded in time; 127.0.0.1 only. scripts/test runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
export QALA_BIN=${QALA_BIN:-$REPO/target/debug/qala}
# Inside the repository: PostgreSQL (run as `postgres` when we are root) must reach it.
export FLEET_DIR=${FLEET_TEST_DIR:-$REPO/target/fleet-test}
FLEET=$REPO/deploy/fleet.sh
command -v nginx >/dev/null || { echo "tests/fleet: nginx is missing (scripts/setup installs it)" >&2; exit 1; }

cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then
    echo "tests/fleet: failed; the last lines of each log follow" >&2
    for f in "$FLEET_DIR"/logs/*.log "$FLEET_DIR"/nginx/logs/error.log; do
      [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  "$FLEET" stop --purge >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
"$FLEET" stop --purge >/dev/null 2>&1 || true
started=$(date +%s)
"$FLEET" start
echo "tests/fleet: up after $(( $(date +%s) - started )) s"
timeout 300 python3 tests/fleet/check.py
