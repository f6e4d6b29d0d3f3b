#!/usr/bin/env bash
# Benchmark (not run in CI) of governed figures on the benchmark city (issue 10):
#  - a new version of a bound layer reaches HTTP /indicators in how long (incremental engine
#    update: only that layer is indexed again), for a small layer and for the population;
#  - publishing an edition, and recomputing it from its pins (byte-identical check);
#  - time to engine-ready and peak RSS of `qala serve`.
# Usage: QALA=target/release/qala bench/governance/run.sh [ADMIN_DATABASE_URL]
# ADMIN_DATABASE_URL defaults to $QALA_TEST_DATABASE_URL. Reuses $BENCH_DIR (default
# /tmp/bench-city-engine) from bench/engine/run.sh. The machine may be shared: say so when
# quoting the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL or set QALA_TEST_DATABASE_URL}}"
BENCH_DIR="${BENCH_DIR:-/tmp/bench-city-engine}"
QALA="${QALA:-$PWD/target/release/qala}"
PORT="${BENCH_PORT:-18481}"
DB=qala_bench_governed
URL="${ADMIN_URL%/*}/$DB"
WORK="$PWD/target/bench-governance"
mkdir -p "$WORK"
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

[ -x "$QALA" ] || cargo build --release -p qala-cli
if [ ! -f "$BENCH_DIR/tree-plantings.geojson" ]; then
  "$QALA" --quiet synth --scale bench --out "$BENCH_DIR"
fi
export DATABASE_URL="$URL" QALA_LOG=error
loaded=$(psql "$ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" || true)
# BENCH_REUSE=1 keeps a city loaded by an earlier run (its extra versions included).
if [ "${BENCH_REUSE:-0}" != 1 ] || [ "$loaded" != 1 ]; then
  psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  "$QALA" --quiet fixtures load 2>/dev/null
  for f in population tree-fellings tree-plantings; do
    "$QALA" --quiet ingest "$BENCH_DIR/$f.geojson" --layer "$f"
  done
  "$QALA" --quiet ingest "$BENCH_DIR/services-synthetic.geojson" --layer services-synthetic --kind service
  "$QALA" --quiet ingest "$BENCH_DIR/buildings-synthetic.geojson" --layer buildings-synthetic --kind building
  bench/governance/bind-bench-services.sh "$QALA"
  psql "$URL" -Atq -c "ANALYZE"
fi

echo "== qala serve on the benchmark city ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(now)
QALA_LOG=${BENCH_SERVE_LOG:-error} /usr/bin/time -v "$QALA" serve --listen "127.0.0.1:$PORT" --web-dir /nonexistent >"$WORK/serve.log" 2>&1 &
SERVE=$!
trap 'pkill -TERM -P $SERVE 2>/dev/null || true; wait $SERVE 2>/dev/null || true' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.2; done
echo "engine ready after $(since "$t0") s"
curl -fs "http://127.0.0.1:$PORT/indicators/stops_500m" >/dev/null

# reflect SLUG FILE: ingest FILE as a new version of SLUG, then time until /indicators/ID
# names that version.
reflect() {
  local slug=$1 file=$2 id=$3
  local v t before
  before=$(psql "$URL" -Atq -c "SELECT current_version_id FROM layer WHERE slug = '$slug'")
  "$QALA" --quiet ingest "$file" --layer "$slug" >/dev/null
  v=$(psql "$URL" -Atq -c "SELECT current_version_id FROM layer WHERE slug = '$slug'")
  if [ "$v" = "$before" ]; then
    echo "the load of $file made no new version of $slug: nothing to time" >&2
    return 1
  fi
  t=$(now)
  # One poller (no process start per poll): every 10 ms until the answer names version $v.
  python3 - "http://127.0.0.1:$PORT/indicators/$id" "$slug" "$v" "$t" <<'PY'
import json, sys, time, urllib.request
url, slug, v, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
while True:
    try:
        with urllib.request.urlopen(url) as r:
            if json.load(r)["layer_versions"].get(slug) == v:
                break
    except Exception:
        pass
    time.sleep(0.01)
print(f"new version of {slug:<14} reflected in {url.split('/', 3)[3]} after {time.time() - t0:.2f} s (from the end of the load)")
PY
}
python3 - "$WORK/stops.geojson" <<'PY'
import json, sys
import time
run = int(time.time())  # a new version every run, also on a reused database
fs = [{"type": "Feature", "properties": {"name": f"bench stop {i} ({run})", "category": "bus_stop"},
       "geometry": {"type": "Point", "coordinates": [76.80 + (i % 20) * 0.015, 43.18 + (i // 20) * 0.015]}}
      for i in range(200)]
json.dump({"type": "FeatureCollection", "features": fs}, open(sys.argv[1], "w"))
PY
reflect transit-stops "$WORK/stops.geojson" stops_500m
# The population: a second copy of the cells with 1-97 residents more each (a new version,
# also on a reused database).
python3 - "$BENCH_DIR/population.geojson" "$WORK/population2.geojson" <<'PY'
import json, sys, time
extra = 1 + int(time.time()) % 97
d = json.load(open(sys.argv[1]))
for f in d["features"]:
    f["properties"]["residents"] = f["properties"].get("residents", 0) + extra
json.dump(d, open(sys.argv[2], "w"))
PY
reflect population "$WORK/population2.geojson" stops_500m

ADMIN=$("$QALA" --quiet token create --role admin)
t=$(now)
curl -fs -X POST -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d '{"title":"bench (HTTP)"}' "http://127.0.0.1:$PORT/editions" >/dev/null
echo "publish over HTTP (from the server's engine): $(since "$t") s"
t=$(now)
"$QALA" --quiet indicators publish --title bench --by bench
echo "publish with the CLI (layers read from the database): $(since "$t") s"
t=$(now)
"$QALA" --quiet indicators editions --verify 1
echo "verify edition 1 (recompute from pins): $(since "$t") s"

pkill -TERM -P $SERVE || true
wait $SERVE || true
trap - EXIT
awk -F': ' '/Maximum resident set size/ {printf "qala serve peak RSS %.0f MB\n", $2/1024}' "$WORK/serve.log"
