#!/usr/bin/env bash
# qala vs martin on the same PostGIS tables and the same tiles (z10–z16 over Almaty), with
# wrk, in one run. Not run in CI. Loads 127.0.0.1 only, bounded in time.
#
#   bench/tiles/run.sh            # synthesises + loads the bench city once, then measures
#   BENCH_RELOAD=1 bench/tiles/run.sh
#
# Needs: wrk (apt-get install wrk), martin (MARTIN=/path/to/martin; e.g. built with
#   cargo install martin --version 1.14.0 --locked --no-default-features --features postgres,metrics --root /work/tools/martin),
#   a release qala (built here if missing). The database is the test cluster of
#   scripts/test (.qala-test) unless BENCH_ADMIN_URL names another PostGIS server.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
QALA=${QALA:-$REPO/target/release/qala}
MARTIN=${MARTIN:-$(command -v martin || echo /work/tools/martin/bin/martin)}
DB_NAME=${BENCH_DB:-qala_bench_tiles}
WORK=${BENCH_WORK:-$REPO/target/bench-tiles}
mkdir -p "$WORK"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$MARTIN" ] || { echo "martin is missing: set MARTIN=/path/to/martin" >&2; exit 1; }
[ -x "$QALA" ] || cargo build --release -p qala-cli

if [ -z "${BENCH_ADMIN_URL:-}" ]; then
  QALA_HOME=$REPO/.qala-test "$QALA" -q db start >/dev/null
  BENCH_ADMIN_URL=$(QALA_HOME=$REPO/.qala-test "$QALA" -q db url)
fi
DB_URL="${BENCH_ADMIN_URL%/*}/$DB_NAME"

loaded=$(psql "$BENCH_ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" || true)
if [ "${BENCH_RELOAD:-0}" = 1 ] || [ "$loaded" != 1 ]; then
  echo "== building the benchmark city (qala synth --scale bench) into $DB_NAME"
  psql "$BENCH_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME" -qc "CREATE DATABASE $DB_NAME"
  rm -rf "$WORK/synth"
  "$QALA" -q synth --scale bench --out "$WORK/synth" | tee "$WORK/synth.txt"
  # lines: "  N features  PATH  (SYNTHETIC kind)"
  while read -r _ _ path _ kind; do
    kind=${kind%)}
    slug=$(basename "$path" .geojson)
    slug=${slug%-synthetic}
    echo "-- ingest $slug ($kind)"
    DATABASE_URL=$DB_URL "$QALA" -q ingest "$path" --layer "$slug" --kind "$kind" >/dev/null
  done < "$WORK/synth.txt"
fi

# The peer's best case: martin sends many small queries at once, and PostgreSQL's default
# parallel plans (a worker started per tile query, ~20 ms each on 2 cores) and JIT slowed its
# tiles 3-5x here. Tile servers run without them; qala's cold tiles query nothing.
psql "$BENCH_ADMIN_URL" -qc "ALTER DATABASE $DB_NAME SET max_parallel_workers_per_gather = 0" -qc "ALTER DATABASE $DB_NAME SET jit = off"
psql "$DB_URL" -qc "ANALYZE"
exec python3 "$REPO/bench/tiles/bench.py" --qala "$QALA" --martin "$MARTIN" --db-url "$DB_URL" --work "$WORK" "$@"
