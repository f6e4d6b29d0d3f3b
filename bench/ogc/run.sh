#!/usr/bin/env bash
# OGC API Features items with bbox + CQL2 filter over HTTP (qala serve, 1,000-feature pages)
# against the peer: the same query as plain PostGIS SQL (psql, no HTTP, no JSON assembly by
# us), in one run, on the fixtures. Not run in CI. 127.0.0.1 only; bounded request counts.
# Every request has its own box (see bench.py): no answer or count comes from a cache.
#
#   bench/ogc/run.sh                     # N=200 requests per query, fixtures
#   BENCH_SCALE=bench bench/ogc/run.sh   # fixtures, then buildings (500,000) and population
#                                        # replaced by `qala synth --scale bench`'s
#   QALA=target/release/qala bench/ogc/run.sh
#   QALA_ITEMS_FROM_DATABASE=1 bench/ogc/run.sh   # pages from PostgreSQL (default: from memory)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
QALA=${QALA:-$REPO/target/debug/qala}
SCALE=${BENCH_SCALE:-fixtures}
case $SCALE in
  fixtures) DB_NAME=${BENCH_DB:-qala_bench_ogc} ;;
  bench) DB_NAME=${BENCH_DB:-qala_bench_ogc_big} ;;
  *) echo "BENCH_SCALE is fixtures or bench" >&2; exit 2 ;;
esac
N=${N:-200}
[ -x "$QALA" ] || cargo build -p qala-cli
export QALA_HOME=${QALA_HOME:-$REPO/.qala-test}
"$QALA" -q db start >/dev/null
ADMIN=$("$QALA" -q db url)
DB_URL="${ADMIN%/*}/$DB_NAME"
if [ "$(psql "$ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  psql "$ADMIN" -qc "CREATE DATABASE $DB_NAME"
  DATABASE_URL=$DB_URL "$QALA" -q fixtures load >/dev/null
  if [ "$SCALE" = bench ]; then
    SYNTH=$REPO/target/bench-ogc/synth
    "$QALA" -q synth --scale bench --trees 1000 --services 50 --out "$SYNTH" >/dev/null
    DATABASE_URL=$DB_URL "$QALA" -q ingest "$SYNTH/buildings-synthetic.geojson" --layer buildings --kind building >/dev/null
    DATABASE_URL=$DB_URL "$QALA" -q ingest "$SYNTH/population.geojson" --layer population --kind population_cell >/dev/null
  fi
fi
PORT=$((20000 + RANDOM % 20000))
DATABASE_URL=$DB_URL "$QALA" -q serve --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
POSTMASTER=$(head -1 "$QALA_HOME/pgdata/postmaster.pid" 2>/dev/null || echo 0)
echo "# $(date -u +%Y-%m-%dT%H:%MZ) scale=$SCALE N=$N ${QALA#"$REPO"/}; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
python3 "$REPO/bench/ogc/bench.py" --base "http://127.0.0.1:$PORT" --db-url "$DB_URL" --n "$N" \
  --qala-pid "$PID" --postmaster-pid "$POSTMASTER"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
