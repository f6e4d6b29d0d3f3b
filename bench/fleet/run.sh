#!/usr/bin/env bash
# The fleet bench: starts deploy/fleet.sh if it is not up, then bench/fleet/fleet_bench.py
# (1 vs 3 replicas behind nginx, hot and cold tiles at z14/z16, cache hit ratio,
# upload-to-visible-everywhere, a replica killed mid-load). 127.0.0.1 only, bounded in time
# (a few minutes). Not run in CI. Stop the fleet afterwards with deploy/fleet.sh stop.
#   FLEET_SCALE=N bench/fleet/run.sh   # a bigger city (qala synth --scale N) on first start
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
# Restarted: every cache (nginx's and each qala's) starts empty, so the cold passes are cold.
deploy/fleet.sh stop
deploy/fleet.sh start
exec python3 bench/fleet/fleet_bench.py
