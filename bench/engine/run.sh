#!/usr/bin/env bash
# Benchmark (not run in CI): the in-memory engine against the reference PostGIS SQL of
# sql/reference on benchmark-scale synthetic data, in one run: full recompute of every
# default indicator for districts and rings, ratio, agreement, what-if times, peak RSS.
#
# Usage: bench/engine/run.sh [ADMIN_DATABASE_URL]
#   ADMIN_DATABASE_URL: a PostGIS server where a database may be created (default:
#   $QALA_TEST_DATABASE_URL, i.e. the test cluster scripts/test starts). The database
#   qala_bench_engine is (re)created there; the synthetic files go to $BENCH_DIR
#   (default /tmp/bench-city-engine; reused when present).
# The machine is shared: quote the figures with that caveat, and run it once.
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL or set QALA_TEST_DATABASE_URL}}"
BENCH_DIR="${BENCH_DIR:-/tmp/bench-city-engine}"
QALA="${QALA:-$PWD/target/debug/qala}"
DB=qala_bench_engine
URL="${ADMIN_URL%/*}/$DB"

[ -x "$QALA" ] || cargo build -p qala-cli
if [ ! -f "$BENCH_DIR/tree-plantings.geojson" ]; then
  echo "==> qala synth --scale bench --out $BENCH_DIR"
  "$QALA" --quiet synth --scale bench --out "$BENCH_DIR"
fi

echo "==> fresh database $DB"
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="$URL"
export QALA_LOG=error
"$QALA" --quiet fixtures load 2>/dev/null
# The benchmark-scale layers replace the fixture-scale synthetic ones (a new version each).
t0=$(date +%s)
"$QALA" --quiet ingest "$BENCH_DIR/population.geojson" --layer population
"$QALA" --quiet ingest "$BENCH_DIR/tree-fellings.geojson" --layer tree-fellings
"$QALA" --quiet ingest "$BENCH_DIR/tree-plantings.geojson" --layer tree-plantings
"$QALA" --quiet ingest "$BENCH_DIR/services-synthetic.geojson" --layer services-synthetic --kind service
"$QALA" --quiet ingest "$BENCH_DIR/buildings-synthetic.geojson" --layer buildings-synthetic --kind building
echo "loaded in $(( $(date +%s) - t0 )) s"
# A new layer changes no figure until it is bound: the synthetic services join the roles.
bench/governance/bind-bench-services.sh "$QALA"
"$QALA" --quiet layers
psql "$URL" -Atq -c "ANALYZE"

echo "==> engine vs reference SQL (nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -f "process: %e s wall, max RSS %M KiB" \
  "$QALA" --quiet indicators --benchmark sql/reference --as-of 2026-06-30

# Street-network distance (timing only; agreement with pgRouting is tests/it/network.rs):
# every default indicator for districts, access ones straight vs walking. Network mode also
# computes the straight coverage (for the severance gap) and builds the street graph once.
echo "==> network vs straight distance, all indicators by district (compute time of one process each)"
compute_ms() {
  QALA_LOG=warn NO_COLOR=1 "$QALA" indicators --zones districts --distance "$1" --timings --format json \
    --as-of 2026-06-30 2>&1 >/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'compute_ms=[0-9.]*' | cut -d= -f2
}
straight_ms=$(compute_ms straight)
network_ms=$(compute_ms network)
# The same on foot with pgRouting (sql/reference/network*; graph build included there too).
pgr_ms=$("$QALA" --quiet indicators --zones districts --distance network --reference sql/reference \
  --as-of 2026-06-30 | python3 -c 'import json, sys; print(json.load(sys.stdin)["total_ms"])')
awk -v s="$straight_ms" -v n="$network_ms" -v p="$pgr_ms" \
  'BEGIN { printf "straight %.1f ms, network %.1f ms (graph build included): network/straight %.2fx\n", s, n, n / s;
           printf "pgRouting on foot %.1f ms: pgRouting/engine %.1fx\n", p, p / n }'
